//! Numerical gradients: finite differences, and `gradcheck`, which compares a graph's analytic
//! gradients with them.
//!
//! The notes' definition of the derivative gives the forward difference
//! `(f(x + h) − f(x)) / h`, whose error is O(h). The central difference
//! `(f(x + h) − f(x − h)) / 2h` costs one more evaluation per entry and has error O(h²); it is
//! what [`gradcheck`] uses.
//!
//! ```
//! use nalgebra::Vector2;
//! use shapegrad::check::{central_difference, forward_difference};
//!
//! // f(x) = x₀² + 3·x₁, ∇f = (2·x₀, 3)
//! let f = |x: &Vector2<f64>| x[0] * x[0] + 3.0 * x[1];
//! let x = Vector2::new(1.5, -2.0);
//! let forward = forward_difference(f, &x, 1e-6);
//! let central = central_difference(f, &x, 1e-6);
//! assert!((forward[0] - 3.0).abs() < 1e-5); // O(h) error
//! assert!((central[0] - 3.0).abs() < 1e-9); // O(h²) error, plus rounding
//! assert!((central[1] - 3.0).abs() < 1e-9);
//! ```

use std::fmt;

use nalgebra::SMatrix;

use crate::graph::Var;
use crate::kernels::Real;

/// The forward-difference gradient of a scalar function of a matrix, `(f(x + h·eᵢ) − f(x)) / h`
/// for every entry `i`: R·C + 1 evaluations, error O(h).
///
/// ```
/// use nalgebra::Matrix1;
/// let d = shapegrad::check::forward_difference(|x: &Matrix1<f64>| x[0].powi(2), &Matrix1::new(3.0), 1e-7);
/// assert!((d[0] - 6.0).abs() < 1e-6);
/// ```
pub fn forward_difference<T: Real, const R: usize, const C: usize>(
    mut f: impl FnMut(&SMatrix<T, R, C>) -> T,
    x: &SMatrix<T, R, C>,
    h: T,
) -> SMatrix<T, R, C> {
    let f_x = f(x);
    let mut nudged = *x;
    SMatrix::from_fn(|r, c| {
        let original = nudged[(r, c)];
        nudged[(r, c)] = original + h;
        let f_plus = f(&nudged);
        nudged[(r, c)] = original;
        (f_plus - f_x) / h
    })
}

/// The central-difference gradient of a scalar function of a matrix,
/// `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h` for every entry `i`: 2·R·C evaluations, error O(h²).
///
/// ```
/// use nalgebra::Matrix1;
/// let d = shapegrad::check::central_difference(|x: &Matrix1<f64>| x[0].powi(3), &Matrix1::new(2.0), 1e-5);
/// assert!((d[0] - 12.0).abs() < 1e-8);
/// ```
pub fn central_difference<T: Real, const R: usize, const C: usize>(
    mut f: impl FnMut(&SMatrix<T, R, C>) -> T,
    x: &SMatrix<T, R, C>,
    h: T,
) -> SMatrix<T, R, C> {
    let mut nudged = *x;
    SMatrix::from_fn(|r, c| {
        let original = nudged[(r, c)];
        nudged[(r, c)] = original + h;
        let f_plus = f(&nudged);
        nudged[(r, c)] = original - h;
        let f_minus = f(&nudged);
        nudged[(r, c)] = original;
        (f_plus - f_minus) / (h + h)
    })
}

/// Step and tolerances of [`gradcheck`].
///
/// An entry passes when `|analytic − numeric| ≤ atol + noise` or when
/// `|analytic − numeric| / max(|analytic|, |numeric|) ≤ rtol`, where `noise` is the rounding
/// error a central difference cannot avoid: `8·ε·(|f(x + h)| + |f(x − h)|) / 2h` (ε the machine
/// epsilon, 8 a margin for the rounding accumulated through the graph). It matters only when
/// the function's value is large compared with the gradient entry: for `|f| = 10⁵` and the
/// default `h`, it is about 6e-6.
///
/// That is the rule of approx's `relative_eq!(analytic, numeric, epsilon = atol + noise,
/// max_relative = rtol)`, written out rather than called for two reasons: approx calls two
/// equal infinities equal, while an infinite gradient matched by an overflowed difference
/// quotient must fail a check; and the verdict is computed from the errors the report shows
/// (`abs_error`, `rel_error`, `noise`), so the two cannot disagree. Comparing two
/// [`MatrixJacobian`](crate::jacobian::MatrixJacobian)s with approx's macros is supported.
///
/// The defaults follow the machine epsilon ε of `T`: `h = ε^(1/3)` (which balances the
/// O(h²) truncation error of the central difference against its O(ε/h) rounding error),
/// `rtol = 2·ε^(1/3)` and `atol = ε^(1/2)`. For `f64` that is h ≈ 6.1e-6, rtol ≈ 1.2e-5,
/// atol ≈ 1.5e-8; for `f32`, h ≈ 4.9e-3, rtol ≈ 9.8e-3, atol ≈ 3.5e-4 (use `f64` to check
/// gradients; `f32` finite differences are coarse).
///
/// ```
/// let o = shapegrad::check::GradcheckOptions::<f64>::default();
/// assert!((o.h - 6.06e-6).abs() < 1e-8);
/// let tight = shapegrad::check::GradcheckOptions { rtol: 1e-7, ..o };
/// assert_eq!(tight.h, o.h);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use = "options do nothing until passed to `gradcheck` or `jacobian_check`"]
pub struct GradcheckOptions<T> {
    /// The finite-difference step.
    pub h: T,
    /// The relative tolerance.
    pub rtol: T,
    /// The absolute tolerance.
    pub atol: T,
}

impl<T: Real> Default for GradcheckOptions<T> {
    fn default() -> Self {
        let eps = T::default_epsilon();
        GradcheckOptions {
            h: eps.cbrt(),
            rtol: eps.cbrt() * nalgebra::convert(2.0),
            atol: eps.sqrt(),
        }
    }
}

/// One compared gradient entry: which variable, where, and both values.
#[derive(Clone, Debug, PartialEq)]
pub struct GradcheckEntry<T> {
    /// The variable's node id ([`Var::id`]).
    pub node: usize,
    /// The variable's name, if it has one ([`Graph::var_named`](crate::Graph::var_named)).
    pub name: Option<String>,
    /// The variable's shape (rows, columns).
    pub shape: (usize, usize),
    /// The entry's row.
    pub row: usize,
    /// The entry's column.
    pub col: usize,
    /// The gradient from the backward pass.
    pub analytic: T,
    /// The central-difference estimate.
    pub numeric: T,
    /// `|analytic − numeric|`.
    pub abs_error: T,
    /// `|analytic − numeric| / max(|analytic|, |numeric|)` (0 when both are 0).
    pub rel_error: T,
    /// The rounding error the central difference may have (see [`GradcheckOptions`]), added to
    /// `atol`.
    pub noise: T,
}

impl<T: Real> GradcheckEntry<T> {
    /// Whether this entry is within the tolerances: `abs_error ≤ atol + noise` or
    /// `rel_error ≤ rtol`.
    ///
    /// ```
    /// use shapegrad::check::{GradcheckEntry, GradcheckOptions};
    ///
    /// let entry = GradcheckEntry {
    ///     node: 0, name: None, shape: (1, 1), row: 0, col: 0,
    ///     analytic: 2.0, numeric: 2.0 + 1e-9, abs_error: 1e-9, rel_error: 5e-10, noise: 0.0,
    /// };
    /// assert!(entry.passes(&GradcheckOptions::default()));
    /// ```
    pub fn passes(&self, options: &GradcheckOptions<T>) -> bool {
        self.discrepancy().passes(options)
    }

    fn discrepancy(&self) -> Discrepancy<T> {
        Discrepancy {
            abs_error: self.abs_error,
            rel_error: self.rel_error,
            noise: self.noise,
        }
    }
}

/// How far apart an analytic derivative and its finite-difference estimate are, and how far
/// apart rounding alone could put them. Shared by [`gradcheck`] and the Jacobian checks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Discrepancy<T> {
    pub(crate) abs_error: T,
    pub(crate) rel_error: T,
    pub(crate) noise: T,
}

impl<T: Real> Discrepancy<T> {
    pub(crate) fn new(analytic: T, numeric: T, noise: T) -> Self {
        let abs_error = (analytic - numeric).abs();
        let scale = analytic.abs().max(numeric.abs());
        let rel_error = if scale > T::zero() {
            abs_error / scale
        } else {
            T::zero()
        };
        Discrepancy {
            abs_error,
            rel_error,
            noise,
        }
    }

    pub(crate) fn passes(&self, options: &GradcheckOptions<T>) -> bool {
        self.abs_error <= options.atol + self.noise || self.rel_error <= options.rtol
    }

    /// How far outside the tolerances: ≤ 1 passes.
    fn badness(&self, options: &GradcheckOptions<T>) -> T {
        (self.abs_error / (options.atol + self.noise)).min(self.rel_error / options.rtol)
    }

    /// Whether `self` should replace `worst` as the worst entry seen (a NaN always does).
    pub(crate) fn is_worse_than(&self, worst: &Self, options: &GradcheckOptions<T>) -> bool {
        !self.abs_error.is_finite() || self.badness(options) > worst.badness(options)
    }
}

/// The rounding error a central difference `(f₊ − f₋) / 2h` may carry: ε·(|f₊| + |f₋|)/2h,
/// times 8 for the rounding accumulated through the graph.
pub(crate) fn rounding_noise<T: Real>(f_plus: T, f_minus: T, h: T) -> T {
    let margin: T = nalgebra::convert(8.0);
    margin * T::default_epsilon() * (f_plus.abs() + f_minus.abs()) / (h + h)
}

/// What [`gradcheck`] found: how many entries it compared and the worst of them.
///
/// Its `Display` names the worst entry (variable, row, column, both values, errors).
#[derive(Clone, Debug, PartialEq)]
#[must_use = "the check's verdict is in its report: assert `report.passed()`"]
pub struct GradcheckReport<T> {
    /// The number of gradient entries compared (the total size of all variables).
    pub entries_checked: usize,
    /// The number of variables ([`Graph::var`](crate::Graph::var) leaves) checked.
    pub variables_checked: usize,
    /// The entry farthest outside (or least inside) the tolerances; `None` if nothing was
    /// checked.
    pub worst: Option<GradcheckEntry<T>>,
    /// The options used.
    pub options: GradcheckOptions<T>,
}

impl<T: Real> GradcheckReport<T> {
    /// Whether every entry is within the tolerances. A check that compared nothing (a graph
    /// without variables) does not pass.
    pub fn passed(&self) -> bool {
        self.worst
            .as_ref()
            .is_some_and(|worst| worst.passes(&self.options))
    }
}

/// A value as `f64`, for messages.
pub(crate) fn show<T: Real>(x: T) -> f64 {
    x.to_subset().unwrap_or(f64::NAN)
}

impl<T: Real> fmt::Display for GradcheckReport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(w) = &self.worst else {
            return write!(f, "gradcheck FAILED: the graph has no variables to check");
        };
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        let label = match &w.name {
            Some(name) => format!("{name} (node {})", w.node),
            None => format!("node {}", w.node),
        };
        write!(
            f,
            "gradcheck {verdict}: {} entries of {} variables; worst entry {label} {}×{} at \
             [{}, {}]: analytic {:.6e}, numeric {:.6e}, abs error {:.2e}, rel error {:.2e} \
             (tolerance: rel {:.1e} or abs {:.1e} + rounding {:.1e}, h = {:.1e})",
            self.entries_checked,
            self.variables_checked,
            w.shape.0,
            w.shape.1,
            w.row,
            w.col,
            show(w.analytic),
            show(w.numeric),
            show(w.abs_error),
            show(w.rel_error),
            show(self.options.rtol),
            show(self.options.atol),
            show(w.noise),
            show(self.options.h),
        )
    }
}

/// Compares the analytic gradient of `loss` with respect to every variable of its graph
/// (every [`Graph::var`](crate::Graph::var) leaf) with central differences, entry by entry,
/// and reports the worst entry.
///
/// It replays the graph: each entry of each variable is nudged by ±h with
/// [`Var::set_value`]-style updates and the loss recomputed, 2 forward passes per entry;
/// every leaf is restored afterwards. Check functions at points where they are smooth (not
/// ReLU at 0, not max at a tie): there the one-sided slopes differ and no finite difference
/// matches the subgradient.
///
/// ```
/// use nalgebra::{Matrix2, Matrix2x3};
/// use shapegrad::{Graph, check::{gradcheck, GradcheckOptions}};
///
/// let g = Graph::<f64>::new();
/// let w = g.var_named("W", Matrix2x3::new(0.1, -0.2, 0.3, 0.4, -0.5, 0.6));
/// let x = g.constant(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0).transpose());
/// let loss = (w * x).component_mul(w * x).sum();
/// let report = gradcheck(loss, &GradcheckOptions::default());
/// assert!(report.passed(), "{report}");
/// assert_eq!(report.entries_checked, 6);
/// assert_eq!(report.worst.unwrap().name.as_deref(), Some("W"));
/// ```
///
/// # Panics
/// If a [`Gradients`](crate::Gradients) of this graph is still alive (gradcheck runs a
/// backward pass of its own).
#[track_caller]
pub fn gradcheck<T: Real>(
    loss: Var<'_, T, 1, 1>,
    options: &GradcheckOptions<T>,
) -> GradcheckReport<T> {
    let graph = loss.graph();
    let vars = graph.var_ids();
    let analytic: Vec<Vec<T>> = {
        let grads = loss.backward();
        vars.iter()
            .map(|&id| {
                let (rows, cols) = graph.shape_of(id);
                grads
                    .slice_of(id, rows * cols)
                    .map(<[T]>::to_vec)
                    .unwrap_or_default()
            })
            .collect()
    };
    let loss_at = |id: usize, k: usize, x: T| {
        graph.set_leaf_entry(id, k, x);
        graph.entry(loss.id(), 0)
    };

    let mut report = GradcheckReport {
        entries_checked: 0,
        variables_checked: vars.len(),
        worst: None,
        options: *options,
    };
    for (&id, analytic) in vars.iter().zip(&analytic) {
        let (rows, cols) = graph.shape_of(id);
        for (k, &a) in analytic.iter().enumerate() {
            let original = graph.entry(id, k);
            let f_plus = loss_at(id, k, original + options.h);
            let f_minus = loss_at(id, k, original - options.h);
            graph.set_leaf_entry(id, k, original);
            let numeric = (f_plus - f_minus) / (options.h + options.h);
            let d = Discrepancy::new(a, numeric, rounding_noise(f_plus, f_minus, options.h));
            let entry = GradcheckEntry {
                node: id,
                name: None,
                shape: (rows, cols),
                row: k % rows,
                col: k / rows,
                analytic: a,
                numeric,
                abs_error: d.abs_error,
                rel_error: d.rel_error,
                noise: d.noise,
            };
            report.entries_checked += 1;
            let worse = match &report.worst {
                None => true,
                Some(w) => d.is_worse_than(&w.discrepancy(), options),
            };
            if worse {
                report.worst = Some(entry);
            }
        }
    }
    if let Some(worst) = &mut report.worst {
        worst.name = graph.name_of(worst.node);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_approx_relative_eq_except_that_infinities_fail() {
        let options = GradcheckOptions::<f64>::default();
        let approx_says = |a: f64, n: f64, noise: f64| {
            approx::relative_eq!(
                a,
                n,
                epsilon = options.atol + noise,
                max_relative = options.rtol
            )
        };
        // Away from the boundary (where a division and a multiplication may round apart),
        // the verdicts agree: pairs at relative distances from 1e-3·rtol to 1e3·rtol, and at
        // absolute distances around the floor.
        let mut rng = crate::kernels::rng::Rng::new(17);
        for _ in 0..10_000 {
            let a = (rng.uniform() - 0.5) * 10f64.powi(rng.below(12) as i32 - 6);
            let rel = options.rtol * 10f64.powf(6.0 * rng.uniform() - 3.0);
            let n = a * (1.0 + rel) + options.atol * (rng.uniform() - 0.5) * 4.0;
            let noise = if rng.below(2) == 0 { 0.0 } else { 1e-8 };
            let d = Discrepancy::new(a, n, noise);
            let margin = (d.badness(&options) - 1.0).abs();
            if margin > 1e-9 {
                assert_eq!(d.passes(&options), approx_says(a, n, noise), "{a} vs {n}");
            }
        }
        let inf = f64::INFINITY;
        assert!(approx_says(inf, inf, 0.0));
        assert!(!Discrepancy::new(inf, inf, 0.0).passes(&options));
        assert!(!Discrepancy::new(f64::NAN, 1.0, 0.0).passes(&options));
        assert!(!Discrepancy::new(inf, 1.0, 0.0).passes(&options));
    }
}
