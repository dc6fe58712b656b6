use nalgebra::{Matrix1, SMatrix};

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// The Euclidean norm of a vector, or the Frobenius norm of a matrix:
/// `‖A‖ = √(Σ a[r, c]²)`, like nalgebra's `norm`.
///
/// ```text
/// Shape:    (R×C) → (1×1)
/// Gradient: dA = dOut·A/‖A‖ (R×C); 0 at A = 0
/// ```
///
/// The output's dimensions do not depend on the input's (typed).
///
/// At `A = 0` the norm has no derivative; the gradient is the **subgradient 0** there (the
/// smallest element of its subdifferential, the unit ball), not the NaN of `0/0`: a distance
/// `(p − t).norm()` can be minimised down to `p = t` without NaN. The sum of squares is
/// computed scaled by the largest `|a|`, so the value and the gradient neither underflow for
/// tiny entries (`‖(1e-200, 0)‖ = 1e-200`, gradient `(1, 0)`) nor overflow for huge ones; an
/// infinite entry gives `+∞`, a NaN entry NaN. For the smooth square, see
/// [`NormSquared`](super::NormSquared). Sugar: `a.norm()`.
///
/// ```
/// use nalgebra::{Matrix1x2, Vector2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let p = g.var(Vector2::new(3.0, 4.0));
/// let n: Var<'_, f64, 1, 1> = p.norm();
/// assert_eq!(n.value()[0], 5.0);
/// assert_eq!(*n.backward().wrt(p), Vector2::new(0.6, 0.8)); // the unit vector p/‖p‖
///
/// let at_target = g.var(Matrix1x2::new(1.0, 2.0));
/// let distance = (at_target - g.constant(Matrix1x2::new(1.0, 2.0))).norm();
/// assert_eq!(distance.value()[0], 0.0);
/// assert_eq!(*distance.backward().wrt(at_target), Matrix1x2::zeros()); // 0, not NaN
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Norm;

/// `√(Σ x²)`, scaled by the largest `|x|`.
fn norm<T: Real>(entries: &[T]) -> T {
    let scale = entries
        .iter()
        .fold(T::zero(), |s, &x| if x.abs() > s { x.abs() } else { s });
    if scale == T::zero() || !scale.is_finite() {
        // All zeros, or an infinite entry: the norm is the scale, unless an entry is NaN
        // (which the scale skipped).
        let is_nan = |x: T| x.partial_cmp(&x).is_none();
        return entries
            .iter()
            .fold(scale, |s, &x| if is_nan(x) { x } else { s });
    }
    let inverse = T::one() / scale;
    let sum = entries.iter().fold(T::zero(), |sum, &x| {
        let scaled = x * inverse;
        sum + scaled * scaled
    });
    scale * sum.sqrt()
}

/// `dOut·x/‖A‖` for one entry x (divided, not multiplied by 1/‖A‖, so that `(3, 4)` gives
/// exactly `(0.6, 0.8)`), or 0 at `A = 0`.
fn local<T: Real>(norm: T, d_out: T, x: T) -> T {
    if norm == T::zero() {
        T::zero()
    } else {
        d_out * (x / norm)
    }
}

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Norm {
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Norm"))
    }

    fn name(&self) -> &'static str {
        "norm"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> Matrix1<T> {
        Matrix1::new(norm(a.as_slice()))
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> (SMatrix<T, R, C>,) {
        (a.map(|x| local(out[0], d_out[0], x)),)
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_map(a, |x| local(out[0], d_out[0], x));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The Euclidean (Frobenius) norm, 1×1, with gradient 0 at 0; see
    /// [`Norm`](crate::ops::Norm).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Matrix2::new(1.0, 1.0, 1.0, 1.0));
    /// assert_eq!(x.norm().value()[0], 2.0);
    /// ```
    #[track_caller]
    pub fn norm(self) -> Var<'g, T, 1, 1> {
        self.graph().apply(Norm, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix1x3, Matrix2x3, Vector2};

    use super::Norm;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values_equal_nalgebras() {
        let mut rng = rng(560);
        let g = Graph::<f64>::new();
        let m = random::<4, 3>(&mut rng);
        let n = g.var(m).norm().value()[0];
        assert!((n - m.norm()).abs() < 1e-15, "{n} vs {}", m.norm());
        assert_eq!(g.var(Matrix1::new(-2.5)).norm().value()[0], 2.5);
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(561);
        check_unary(Norm, Norm, random::<4, 3>(&mut rng));
        check_unary(Norm, Norm, random::<3, 1>(&mut rng).scale(1e3));
        check_unary(Norm, Norm, random::<1, 1>(&mut rng));
    }

    #[test]
    fn gradient_at_zero_is_the_subgradient_zero() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix2x3::zeros());
        let n = a.norm();
        assert_eq!(n.value()[0], 0.0);
        assert_eq!(*n.backward().wrt(a), Matrix2x3::zeros());
        let b = g.var(Matrix2x3::repeat(-0.0));
        assert_eq!(*b.norm().backward().wrt(b), Matrix2x3::zeros());
    }

    #[test]
    fn tiny_and_huge_entries_neither_underflow_nor_overflow() {
        let g = Graph::<f64>::new();
        for s in [1e-300, 1e-200, 1e200, 1e300] {
            let p = g.var(Vector2::new(3.0 * s, -4.0 * s));
            let n = p.norm();
            let rel = (n.value()[0] - 5.0 * s).abs() / (5.0 * s);
            assert!(rel < 1e-15, "‖(3, −4)·{s:e}‖ = {}", n.value()[0]);
            let d = *n.backward().wrt(p);
            assert!(
                (d - Vector2::new(0.6, -0.8)).abs().max() < 1e-15,
                "{s:e}: {d}"
            );
        }
    }

    #[test]
    fn infinite_and_nan_entries() {
        let g = Graph::<f64>::new();
        let inf = g.var(Matrix1x3::new(1.0, f64::NEG_INFINITY, 2.0));
        assert_eq!(inf.norm().value()[0], f64::INFINITY);
        let nan = g.var(Matrix1x3::new(1.0, f64::NAN, 2.0));
        assert!(nan.norm().value()[0].is_nan());
        let only_nan = g.var(Matrix1x3::new(0.0, f64::NAN, 0.0));
        assert!(only_nan.norm().value()[0].is_nan());
    }

    #[test]
    fn squared_equals_norm_squared() {
        let mut rng = rng(562);
        let g = Graph::<f64>::new();
        let x = g.var(random::<2, 3>(&mut rng));
        let (a, b) = (x.norm().square(), x.norm_squared());
        assert!((a.value() - b.value()).abs().max() < 1e-15);
        let d_a = *a.backward().wrt(x);
        assert!((d_a - b.backward().wrt(x)).abs().max() < 1e-15);
    }
}
