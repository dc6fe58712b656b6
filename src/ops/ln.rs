use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::vmath::{Func, map_into};

/// Natural logarithm, element-wise: `ln x`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ (1 / x) (R×C)
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// Domain, exactly as `f64::ln`, with gradients to match:
/// * `x > 0`: finite value, gradient `dOut / x`;
/// * `x = 0` (`0.0` or `-0.0`): value `−inf`; the local derivative is `+inf`, so the gradient
///   is `+inf` where `dOut > 0`, `−inf` where `dOut < 0` and NaN where `dOut = 0`;
/// * `x < 0` or NaN: value NaN and gradient NaN (not the finite `1/x`, so that no finite
///   gradient comes out of an undefined value).
///
/// Sugar: `a.ln()`, nalgebra's (and Rust's) name for the natural logarithm.
///
/// For `f32` and `f64` the values come from shapegrad's vectorised kernel (within 1 ulp of the
/// correctly rounded value in the tests, see the README's Performance section); other scalars,
/// such as dual numbers, use their own `ln`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(1.0, 4.0));
/// let y: Var<'_, f64, 1, 2> = a.ln();
/// assert_eq!(y.value()[0], 0.0);
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x2::new(1.0, 0.25));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Ln;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Ln {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Ln"))
    }

    fn name(&self) -> &'static str {
        "ln"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        let mut out = SMatrix::zeros();
        map_into(Func::Ln, a, &mut out);
        out
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(a, ln_derivative_times),)
    }

    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        map_into(Func::Ln, a, out);
    }

    #[inline]
    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, a, ln_derivative_times);
        }
    }
}

/// `d · ln'(x)`: `d / x` for `x > 0`, `d · inf` at ±0 (1/(-0.0) would be −inf, but the
/// derivative of ln at 0 is +inf from either zero), NaN below 0 and at NaN. Selects only, so
/// the loop vectorises.
#[inline(always)]
fn ln_derivative_times<T: Real>(d: T, x: T) -> T {
    let local = if x > T::zero() {
        T::one() / x
    } else if x == T::zero() {
        T::one() / T::zero()
    } else {
        T::zero() / T::zero()
    };
    d * local
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The natural logarithm element-wise, see [`Ln`](crate::ops::Ln).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(1.0, std::f64::consts::E));
    /// assert_eq!(x.ln().value(), nalgebra::Vector2::new(0.0, 1.0));
    /// ```
    #[track_caller]
    pub fn ln(self) -> Var<'g, T, R, C> {
        self.graph().apply(Ln, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Ln;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let e = std::f64::consts::E;
        let x = g.var(Matrix1x3::new(1.0, e * e, 0.5));
        let y = x.ln().value();
        let expected = Matrix1x3::new(0.0, 2.0, -std::f64::consts::LN_2);
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random_positive() {
        let mut rng = rng(210);
        let x = random::<3, 4>(&mut rng).map(|v| v.abs() + 0.2);
        check_unary(Ln, Ln, x);
        check_unary(
            Ln,
            Ln,
            random::<1, 1>(&mut rng).map(|v| 5.0 * v.abs() + 0.5),
        );
    }

    #[test]
    fn at_zero_value_is_minus_inf_and_gradient_plus_inf() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, -0.0, 0.0, 0.0));
        let y = x.ln();
        assert_eq!(y.value(), Matrix1x4::repeat(f64::NEG_INFINITY));
        let grads = y.backward_with(Matrix1x4::new(1.0, 1.0, -3.0, 0.0));
        let d = grads.wrt(x);
        assert_eq!(d[0], f64::INFINITY);
        assert_eq!(d[1], f64::INFINITY, "-0.0 has the same derivative as 0.0");
        assert_eq!(d[2], f64::NEG_INFINITY);
        assert!(d[3].is_nan(), "0 · inf");
    }

    #[test]
    fn below_zero_value_and_gradient_are_nan() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(-1.0, -1e-300, f64::NAN));
        let y = x.ln();
        assert!(y.value().iter().all(|v| v.is_nan()));
        let grads = y.backward_with(Matrix1x3::repeat(1.0));
        assert!(grads.wrt(x).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn tiny_and_huge_inputs_stay_finite() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(1e-300, 1e300, f64::INFINITY));
        let y = x.ln();
        let v = y.value();
        assert!((v[0] + 300.0 * std::f64::consts::LN_10).abs() < 1e-12);
        assert!((v[1] - 300.0 * std::f64::consts::LN_10).abs() < 1e-12);
        assert_eq!(v[2], f64::INFINITY);
        let grads = y.backward_with(Matrix1x3::repeat(1.0));
        let d = grads.wrt(x);
        assert!((d[0] / 1e300 - 1.0).abs() < 1e-15 && (d[1] / 1e-300 - 1.0).abs() < 1e-15);
        assert_eq!(d[2], 0.0);
    }
}
