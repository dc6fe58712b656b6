use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::vmath::{Func, map_into};

/// Exponential, element-wise: `eˣ`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ y (R×C), where y = eˣ is the cached output
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break. The
/// local gradient is the output itself, read from the tape rather than recomputed.
///
/// Range: `eˣ` overflows to `+inf` for `x` above `ln(T::MAX)` (≈ 709.78 for `f64`, ≈ 88.72 for
/// `f32`), and the gradient there is `dOut·inf` (`±inf`, or NaN where `dOut` is 0); it
/// underflows to 0 below ≈ −745 (`f64`) / −104 (`f32`), with gradient 0. Sugar: `a.exp()`.
///
/// For `f32` and `f64` the values come from shapegrad's vectorised kernel (within 1 ulp of the
/// correctly rounded value in the tests, see the README's Performance section); other scalars,
/// such as dual numbers, use their own `exp`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(0.0, 1.0));
/// let y: Var<'_, f64, 1, 2> = a.exp();
/// assert_eq!(y.value(), Matrix1x2::new(1.0, std::f64::consts::E));
/// assert_eq!(*y.sum().backward().wrt(a), y.value()); // (eˣ)' = eˣ
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Exp;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Exp {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Exp"))
    }

    fn name(&self) -> &'static str {
        "exp"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        let mut out = SMatrix::zeros();
        map_into(Func::Exp, a, &mut out);
        out
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.component_mul(out),)
    }

    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        map_into(Func::Exp, a, out);
    }

    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, out, |d, y| d * y);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `eˣ` element-wise, see [`Exp`](crate::ops::Exp).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.0, 2.0_f64.ln()));
    /// assert_eq!(x.exp().value(), nalgebra::Vector2::new(1.0, 2.0));
    /// ```
    #[track_caller]
    pub fn exp(self) -> Var<'g, T, R, C> {
        self.graph().apply(Exp, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Exp;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(0.0, -1.0, 3.0));
        let e = std::f64::consts::E;
        let expected = Matrix1x3::new(1.0, 1.0 / e, e * e * e);
        let y = x.exp().value();
        assert!((y - expected).abs().max() < 1e-12, "{y}");
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(200);
        check_unary(Exp, Exp, random::<3, 4>(&mut rng).scale(3.0));
        check_unary(Exp, Exp, random::<1, 1>(&mut rng));
        check_unary(Exp, Exp, random::<1, 5>(&mut rng));
    }

    #[test]
    fn overflow_gives_inf_and_underflow_gives_zero() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(1000.0, 709.0, -709.0, -1000.0));
        let y = x.exp();
        let v = y.value();
        assert_eq!(v[0], f64::INFINITY);
        assert!(v[1].is_finite() && v[1] > 1e307);
        assert!(v[2] > 0.0 && v[2] < 1e-307);
        assert_eq!(v[3], 0.0);
        let grads = y.backward_with(Matrix1x4::repeat(2.0));
        let d = grads.wrt(x);
        assert_eq!(d[0], f64::INFINITY);
        assert_eq!(d[3], 0.0);
        assert!((d[1] / (2.0 * v[1]) - 1.0).abs() < 1e-15);
    }
}
