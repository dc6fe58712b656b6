//! Comparing an analytic Jacobian with a numerical one, entry by entry.

use std::fmt;

use super::{MatrixJacobian, matrix_jacobian, numerical_matrix_jacobian};
use crate::diff::check::{Discrepancy, GradcheckOptions, rounding_noise};
use crate::graph::Var;
use crate::kernels::Real;

/// One compared Jacobian entry `∂Y[i,j]/∂X[k,l]`: where, and both values.
///
/// ```
/// use nalgebra::Matrix2;
/// use shapegrad::{Graph, jacobian::jacobian_check};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
/// let report = jacobian_check(x * x, x, &Default::default());
/// let worst = report.worst.unwrap();
/// let (i, j) = worst.output;
/// let (k, l) = worst.input;
/// assert_eq!(worst.flat, (i + 2 * j, k + 2 * l));
/// assert!(worst.passes(&report.options));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct JacobianEntry<T> {
    /// `(i, j)`: the entry of the output Y.
    pub output: (usize, usize),
    /// `(k, l)`: the entry of the input X.
    pub input: (usize, usize),
    /// `(i + j·Ro, k + l·Ri)`: the entry's place in the flat Jacobian
    /// ([`MatrixJacobian::flatten`]).
    pub flat: (usize, usize),
    /// The value from the backward passes.
    pub analytic: T,
    /// The central-difference estimate.
    pub numeric: T,
    /// `|analytic − numeric|`.
    pub abs_error: T,
    /// `|analytic − numeric| / max(|analytic|, |numeric|)` (0 when both are 0).
    pub rel_error: T,
    /// The rounding error the central difference may carry, added to `atol` (0 in
    /// [`compare`], which sees no function values).
    pub noise: T,
}

impl<T: Real> JacobianEntry<T> {
    /// Whether this entry is within the tolerances: `abs_error ≤ atol + noise` or
    /// `rel_error ≤ rtol`.
    ///
    /// ```
    /// use shapegrad::{check::GradcheckOptions, jacobian::JacobianEntry};
    ///
    /// let entry = JacobianEntry {
    ///     output: (0, 0), input: (1, 0), flat: (0, 1),
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

/// What [`jacobian_check`] or [`compare`] found: how many entries were compared, and the worst.
///
/// Its `Display` names the worst entry (`∂Y[i,j]/∂X[k,l]`, its flat position, both values).
///
/// ```
/// use nalgebra::Vector2;
/// use shapegrad::{Graph, jacobian::jacobian_check};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Vector2::new(1.0, -1.0));
/// let report = jacobian_check(x.component_mul(x), x, &Default::default());
/// assert_eq!(report.entries_checked, 4);
/// assert!(report.to_string().starts_with("jacobian check passed: 4 entries; worst ∂Y["));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use = "the comparison's verdict is in its report: assert `report.passed()`"]
pub struct JacobianReport<T> {
    /// The number of entries compared, Ro·Co·Ri·Ci.
    pub entries_checked: usize,
    /// The entry farthest outside (or least inside) the tolerances; `None` if nothing was
    /// compared.
    pub worst: Option<JacobianEntry<T>>,
    /// The options used.
    pub options: GradcheckOptions<T>,
}

impl<T: Real> JacobianReport<T> {
    /// Whether every entry is within the tolerances. A comparison of nothing does not pass.
    ///
    /// ```
    /// use shapegrad::jacobian::{MatrixJacobian, compare};
    ///
    /// let empty = MatrixJacobian::<f64, 0, 1, 1, 1>::zeros();
    /// assert!(!compare(&empty, &empty, &Default::default()).passed());
    /// let one = MatrixJacobian::<f64, 1, 1, 1, 1>::zeros();
    /// assert!(compare(&one, &one, &Default::default()).passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.worst
            .as_ref()
            .is_some_and(|worst| worst.passes(&self.options))
    }
}

impl<T: Real> fmt::Display for JacobianReport<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(w) = &self.worst else {
            return write!(f, "jacobian check FAILED: the Jacobian has no entries");
        };
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        write!(
            f,
            "jacobian check {verdict}: {} entries; worst ∂Y[{}, {}]/∂X[{}, {}] (flat [{}, {}]): \
             analytic {:.6e}, numeric {:.6e}, abs error {:.2e}, rel error {:.2e} \
             (tolerance: rel {:.1e} or abs {:.1e} + rounding {:.1e}, h = {:.1e})",
            self.entries_checked,
            w.output.0,
            w.output.1,
            w.input.0,
            w.input.1,
            w.flat.0,
            w.flat.1,
            crate::diff::check::show(w.analytic),
            crate::diff::check::show(w.numeric),
            crate::diff::check::show(w.abs_error),
            crate::diff::check::show(w.rel_error),
            crate::diff::check::show(self.options.rtol),
            crate::diff::check::show(self.options.atol),
            crate::diff::check::show(w.noise),
            crate::diff::check::show(self.options.h),
        )
    }
}

/// Compares two Jacobians of the same function entry by entry (relative error with an absolute
/// floor, as [`gradcheck`](crate::check::gradcheck)) and reports the worst entry. `options.h`
/// is only reported.
///
/// ```
/// use shapegrad::jacobian::{MatrixJacobian, compare};
///
/// let exact = MatrixJacobian::<f64, 1, 1, 2, 1>::zeros();
/// let mut estimate = exact;
/// estimate.gradient_mut(0, 0)[1] = 1e-3;
/// let report = compare(&exact, &estimate, &Default::default());
/// assert!(!report.passed());
/// assert_eq!(report.worst.unwrap().input, (1, 0));
/// ```
pub fn compare<T: Real, const RO: usize, const CO: usize, const RI: usize, const CI: usize>(
    analytic: &MatrixJacobian<T, RO, CO, RI, CI>,
    numeric: &MatrixJacobian<T, RO, CO, RI, CI>,
    options: &GradcheckOptions<T>,
) -> JacobianReport<T> {
    compare_with_noise(analytic, numeric, options, |_, _| T::zero())
}

/// [`compare`], allowing `noise(i, j)` of rounding error in the estimates of output Y[i,j].
fn compare_with_noise<
    T: Real,
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
>(
    analytic: &MatrixJacobian<T, RO, CO, RI, CI>,
    numeric: &MatrixJacobian<T, RO, CO, RI, CI>,
    options: &GradcheckOptions<T>,
    noise: impl Fn(usize, usize) -> T,
) -> JacobianReport<T> {
    let mut report = JacobianReport {
        entries_checked: 0,
        worst: None,
        options: *options,
    };
    for [i, j, k, l] in indices(RO, CO, RI, CI) {
        let (a, n) = (analytic.get(i, j, k, l), numeric.get(i, j, k, l));
        let d = Discrepancy::new(a, n, noise(i, j));
        let entry = JacobianEntry {
            output: (i, j),
            input: (k, l),
            flat: (i + j * RO, k + l * RI),
            analytic: a,
            numeric: n,
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
    report
}

/// Every (i, j, k, l), in the flat Jacobian's column-major order.
fn indices(ro: usize, co: usize, ri: usize, ci: usize) -> impl Iterator<Item = [usize; 4]> {
    (0..ci * ri).flat_map(move |c| (0..co * ro).map(move |r| [r % ro, r / ro, c % ri, c / ri]))
}

/// Compares the reverse-mode Jacobian of `y` with respect to the leaf `x`
/// ([`matrix_jacobian`](super::matrix_jacobian): Ro·Co backward passes) with central
/// differences ([`numerical_matrix_jacobian`](super::numerical_matrix_jacobian) with step
/// `options.h`: 2·Ri·Ci forward replays) and reports the worst entry. Works for vectors (N×1)
/// and matrices alike; as with gradcheck, check smooth functions away from kinks.
///
/// ```
/// use nalgebra::{Matrix2x3, Vector3};
/// use shapegrad::{Graph, jacobian::jacobian_check};
///
/// let g = Graph::<f64>::new();
/// let w = g.constant(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let x = g.var(Vector3::new(0.5, -1.0, 2.0));
/// let y = (w * x).component_mul(w * x); // R³ → R², smooth
/// let report = jacobian_check(y, x, &Default::default());
/// assert!(report.passed(), "{report}");
/// assert_eq!(report.entries_checked, 6);
/// ```
///
/// # Panics
/// As [`jacobian`](super::jacobian) and [`numerical_jacobian`](super::numerical_jacobian).
#[track_caller]
pub fn jacobian_check<
    'g,
    T: Real,
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
>(
    y: Var<'g, T, RO, CO>,
    x: Var<'g, T, RI, CI>,
    options: &GradcheckOptions<T>,
) -> JacobianReport<T> {
    super::output_after_input("jacobian_check", y, x);
    let analytic = matrix_jacobian(y, x);
    let numeric = numerical_matrix_jacobian(y, x, options.h);
    // Y's current values stand in for Y(x ± h) in the rounding allowance.
    let y0 = y.value();
    compare_with_noise(&analytic, &numeric, options, |i, j| {
        rounding_noise(y0[(i, j)], y0[(i, j)], options.h)
    })
}
