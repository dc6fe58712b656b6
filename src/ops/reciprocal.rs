use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Reciprocal, element-wise: `1 / x`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = −dOut ∘ y² (R×C), where y = 1/x is the cached output
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break. The
/// local gradient `−1/x² = −y²` is read from the cached output.
///
/// At `x = 0` the value is `+inf` for `0.0` and `−inf` for `-0.0` (IEEE 754 division), and the
/// local derivative is `−inf` for both (the limit of `−1/x²` from either side): the gradient is
/// `−inf` where `dOut > 0`, `+inf` where `dOut < 0`, NaN where `dOut = 0`. At `x = ±inf` the
/// value is `±0` and the gradient 0. Sugar: `a.reciprocal()`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(2.0, -0.5));
/// let y: Var<'_, f64, 1, 2> = a.reciprocal();
/// assert_eq!(y.value(), Matrix1x2::new(0.5, -2.0));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x2::new(-0.25, -4.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Reciprocal;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Reciprocal {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Reciprocal"))
    }

    fn name(&self) -> &'static str {
        "reciprocal"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| T::one() / x)
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(out, |d, y| -(d * (y * y))),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = T::one() / x);
    }

    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, out, |d, y| -(d * (y * y)));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `1 / x` element-wise, see [`Reciprocal`](crate::ops::Reciprocal).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(4.0, -0.25));
    /// assert_eq!(x.reciprocal().value(), nalgebra::Vector2::new(0.25, -4.0));
    /// ```
    #[track_caller]
    pub fn reciprocal(self) -> Var<'g, T, R, C> {
        self.graph().apply(Reciprocal, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Reciprocal;
    use crate::diff::testing::{away_from_zero, check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(4.0, -0.125, 1.0));
        assert_eq!(x.reciprocal().value(), Matrix1x3::new(0.25, -8.0, 1.0));
    }

    #[test]
    fn gradcheck_random_away_from_zero() {
        let mut rng = rng(300);
        let x = away_from_zero(random::<3, 4>(&mut rng), 0.2);
        assert!(x.iter().any(|&v| v < 0.0) && x.iter().any(|&v| v > 0.0));
        check_unary(Reciprocal, Reciprocal, x);
        check_unary(
            Reciprocal,
            Reciprocal,
            random::<1, 1>(&mut rng).add_scalar(3.0),
        );
    }

    #[test]
    fn gradient_is_minus_one_over_x_squared() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(0.3, -1.7, 5.0));
        let grads = x.reciprocal().backward_with(Matrix1x3::new(1.0, -2.0, 0.5));
        let expected = Matrix1x3::new(-1.0 / 0.09, 2.0 / (1.7 * 1.7), -0.5 / 25.0);
        let rel = (grads.wrt(x) - expected).component_div(&expected);
        assert!(rel.abs().max() < 1e-15, "{}", grads.wrt(x));
    }

    #[test]
    fn at_zero() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, -0.0, 0.0, 0.0));
        let y = x.reciprocal();
        let inf = f64::INFINITY;
        assert_eq!(y.value(), Matrix1x4::new(inf, -inf, inf, inf));
        let grads = y.backward_with(Matrix1x4::new(1.0, 1.0, -1.0, 0.0));
        let d = grads.wrt(x);
        assert_eq!((d[0], d[1], d[2]), (-inf, -inf, inf));
        assert!(d[3].is_nan(), "0 · inf");
    }

    #[test]
    fn at_infinity() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(f64::INFINITY, f64::NEG_INFINITY, 1e200));
        let y = x.reciprocal();
        let v = y.value();
        assert_eq!((v[0], v[1]), (0.0, 0.0));
        assert!(v[1].is_sign_negative());
        assert!((v[2] / 1e-200 - 1.0).abs() < 1e-15);
        // −1/x² is 0 at ±inf, and −1e−400 rounds to 0.
        let grads = y.backward_with(Matrix1x3::repeat(1.0));
        assert_eq!(*grads.wrt(x), Matrix1x3::zeros());
    }
}
