use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Absolute value, element-wise: `|x|`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ sign(x) (R×C), with sign(0) = 0
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// At exactly `x = 0` (`0.0` and `-0.0` alike) `|x|` has no derivative; shapegrad uses the
/// subgradient 0 there, like [`Relu`](crate::ops::Relu) at its kink. (Rust's `f64::signum`
/// would give `+1` for `0.0` and `−1` for `-0.0`; shapegrad does not use it at 0.) A NaN input
/// gives a NaN value and a NaN gradient. Sugar: `a.abs()`, as in nalgebra.
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x3::new(-2.0, 0.0, 3.0));
/// let y: Var<'_, f64, 1, 3> = a.abs();
/// assert_eq!(y.value(), Matrix1x3::new(2.0, 0.0, 3.0));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x3::new(-1.0, 0.0, 1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Abs;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Abs {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Abs"))
    }

    fn name(&self) -> &'static str {
        "abs"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.abs())
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        let sign = |x: T| {
            if x == T::zero() {
                T::zero()
            } else {
                x.signum()
            }
        };
        (d_out.zip_map(a, |d, x| d * sign(x)),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.abs());
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let sign = |x: T| {
                if x == T::zero() {
                    T::zero()
                } else {
                    x.signum()
                }
            };
            d_a.add_zip_map(d_out, a, |d, x| d * sign(x));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `|x|` element-wise, see [`Abs`](crate::ops::Abs).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(-1.5, 2.0));
    /// assert_eq!(x.abs().value(), nalgebra::Vector2::new(1.5, 2.0));
    /// ```
    #[track_caller]
    pub fn abs(self) -> Var<'g, T, R, C> {
        self.graph().apply(Abs, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x4, Matrix3x4};

    use super::Abs;
    use crate::diff::testing::{away_from_zero, check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(-3.5, 2.0, -0.0, f64::NEG_INFINITY));
        let y = x.abs().value();
        assert_eq!(y, Matrix1x4::new(3.5, 2.0, 0.0, f64::INFINITY));
        assert!(y[2].is_sign_positive(), "|-0.0| = +0.0");
    }

    #[test]
    fn gradcheck_random_away_from_the_kink() {
        let mut rng = rng(260);
        let x: Matrix3x4<f64> = away_from_zero(random(&mut rng), 0.05);
        assert!(x.iter().any(|&v| v < 0.0) && x.iter().any(|&v| v > 0.0));
        check_unary(Abs, Abs, x);
        check_unary(Abs, Abs, away_from_zero(random::<1, 1>(&mut rng), 0.05));
    }

    #[test]
    fn gradient_at_zero_and_minus_zero_is_zero() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, -0.0, 1e-300, -1e-300));
        let grads = x.abs().backward_with(Matrix1x4::repeat(7.0));
        let d = grads.wrt(x);
        assert_eq!(*d, Matrix1x4::new(0.0, 0.0, 7.0, -7.0));
    }

    #[test]
    fn nan_input_gives_nan_value_and_gradient() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(f64::NAN, 1.0, -1.0, 0.0));
        let y = x.abs();
        assert!(y.value()[0].is_nan());
        let grads = y.backward_with(Matrix1x4::repeat(1.0));
        let d = grads.wrt(x);
        assert!(d[0].is_nan());
        assert_eq!((d[1], d[2], d[3]), (1.0, -1.0, 0.0));
    }
}
