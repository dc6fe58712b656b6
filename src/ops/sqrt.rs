use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Square root, element-wise: `√x`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ 1/(2y) (R×C), where y = √x is the cached output
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// Domain, exactly as `f64::sqrt`, with gradients to match:
/// * `x > 0`: finite value, gradient `dOut / (2√x)`;
/// * `x = 0` (`0.0` or `-0.0`): value `0` (`-0.0` for `-0.0`, as IEEE 754 says); the local
///   derivative is `+inf`, so the gradient is `+inf` where `dOut > 0`, `−inf` where `dOut < 0`
///   and NaN where `dOut = 0`;
/// * `x < 0` or NaN: value NaN and gradient NaN;
/// * `x = +∞`: value `+∞`, gradient `dOut/∞ = 0`; `x = −∞` is negative: NaN.
///
/// Sugar: `a.sqrt()`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(4.0, 0.25));
/// let y: Var<'_, f64, 1, 2> = a.sqrt();
/// assert_eq!(y.value(), Matrix1x2::new(2.0, 0.5));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x2::new(0.25, 1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sqrt;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Sqrt {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Sqrt"))
    }

    fn name(&self) -> &'static str {
        "sqrt"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.sqrt())
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        let inf: T = nalgebra::convert(f64::INFINITY);
        (d_out.zip_map(out, |d, y| {
            if y == T::zero() {
                // 1/(2·(−0.0)) would be −inf: the derivative at 0 is +inf from either zero.
                d * inf
            } else {
                d / (y + y)
            }
        }),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.sqrt());
    }

    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let inf: T = nalgebra::convert(f64::INFINITY);
            d_a.add_zip_map(d_out, out, |d, y| {
                if y == T::zero() { d * inf } else { d / (y + y) }
            });
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `√x` element-wise, see [`Sqrt`](crate::ops::Sqrt).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(9.0, 0.0));
    /// assert_eq!(x.sqrt().value(), nalgebra::Vector2::new(3.0, 0.0));
    /// ```
    #[track_caller]
    pub fn sqrt(self) -> Var<'g, T, R, C> {
        self.graph().apply(Sqrt, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Sqrt;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(16.0, 2.0, 1e-6));
        let y = x.sqrt().value();
        assert_eq!(y[0], 4.0);
        assert!((y[1] - std::f64::consts::SQRT_2).abs() < 1e-15);
        assert!((y[2] - 1e-3).abs() < 1e-18);
    }

    #[test]
    fn gradcheck_random_positive() {
        let mut rng = rng(250);
        let x = random::<3, 4>(&mut rng).map(|v| v.abs() + 0.2);
        check_unary(Sqrt, Sqrt, x);
        check_unary(
            Sqrt,
            Sqrt,
            random::<1, 1>(&mut rng).map(|v| 9.0 * v.abs() + 0.5),
        );
    }

    #[test]
    fn at_zero_value_is_zero_and_gradient_infinite() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, -0.0, 0.0, 0.0));
        let y = x.sqrt();
        assert_eq!(y.value(), Matrix1x4::zeros());
        assert!(y.value()[1].is_sign_negative(), "√(−0.0) = −0.0");
        let grads = y.backward_with(Matrix1x4::new(1.0, 1.0, -2.0, 0.0));
        let d = grads.wrt(x);
        assert_eq!(d[0], f64::INFINITY);
        assert_eq!(d[1], f64::INFINITY, "-0.0 has the same derivative as 0.0");
        assert_eq!(d[2], f64::NEG_INFINITY);
        assert!(d[3].is_nan(), "0 · inf");
    }

    #[test]
    fn below_zero_value_and_gradient_are_nan() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(-4.0, -1e-300, f64::NAN));
        let y = x.sqrt();
        assert!(y.value().iter().all(|v| v.is_nan()));
        let grads = y.backward_with(Matrix1x3::repeat(1.0));
        assert!(grads.wrt(x).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn huge_and_tiny_inputs() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(1e300, 1e-300, f64::INFINITY));
        let y = x.sqrt();
        let grads = y.backward_with(Matrix1x3::repeat(1.0));
        let d = grads.wrt(x);
        assert!((d[0] / 0.5e-150 - 1.0).abs() < 1e-15);
        assert!((d[1] / 0.5e150 - 1.0).abs() < 1e-15);
        assert_eq!(d[2], 0.0);
    }
}
