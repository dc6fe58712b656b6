use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::vmath::{Func, map_into};

/// Logistic sigmoid, element-wise: `σ(x) = 1 / (1 + e⁻ˣ)`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ y ∘ (1 − y) (R×C), where y = σ(x) is the cached output
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// Stable for every finite input: σ is computed as `1 / (1 + e⁻ˣ)` for `x ≥ 0` and as
/// `eˣ / (1 + eˣ)` for `x < 0`, so the exponential never overflows (the one-branch form
/// `eˣ / (1 + eˣ)` gives `inf / inf = NaN` at `x = 1000`). `σ(1000) = 1` and `σ(−1000) = 0`,
/// both with gradient 0; σ(−720) ≈ e⁻⁷²⁰ keeps its relative accuracy. Sugar: `a.sigmoid()`.
///
/// For `f32` and `f64` the values come from shapegrad's vectorised kernel (within 1 ulp of the
/// correctly rounded value in the tests, see the README's Performance section); other scalars,
/// such as dual numbers, use their own `formula (the two-branch σ below)`.
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x3::new(0.0, 1000.0, -1000.0));
/// let y: Var<'_, f64, 1, 3> = a.sigmoid();
/// assert_eq!(y.value(), Matrix1x3::new(0.5, 1.0, 0.0));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x3::new(0.25, 0.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sigmoid;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Sigmoid {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Sigmoid"))
    }

    fn name(&self) -> &'static str {
        "sigmoid"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        let mut out = SMatrix::zeros();
        map_into(Func::Sigmoid, a, &mut out);
        out
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(out, |d, y| d * y * (T::one() - y)),)
    }

    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        map_into(Func::Sigmoid, a, out);
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
            d_a.add_zip_map(d_out, out, |d, y| d * y * (T::one() - y));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `1 / (1 + e⁻ˣ)` element-wise, see [`Sigmoid`](crate::ops::Sigmoid).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f32>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.0_f32, 1000.0));
    /// assert_eq!(x.sigmoid().value(), nalgebra::Vector2::new(0.5, 1.0));
    /// ```
    #[track_caller]
    pub fn sigmoid(self) -> Var<'g, T, R, C> {
        self.graph().apply(Sigmoid, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Sigmoid;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(0.0, 2.0_f64.ln(), -(3.0_f64.ln())));
        // σ(ln 2) = 1/(1 + 1/2) = 2/3, σ(−ln 3) = 1/(1 + 3) = 1/4
        let expected = Matrix1x3::new(0.5, 2.0 / 3.0, 0.25);
        let y = x.sigmoid().value();
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(230);
        check_unary(Sigmoid, Sigmoid, random::<3, 4>(&mut rng).scale(4.0));
        check_unary(Sigmoid, Sigmoid, random::<1, 1>(&mut rng));
    }

    #[test]
    fn extreme_inputs_give_finite_values_and_gradients() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(1000.0, -1000.0, 40.0, -40.0));
        let y = x.sigmoid();
        let v = y.value();
        assert_eq!((v[0], v[1]), (1.0, 0.0));
        assert!((v[3] / (-40.0_f64).exp() - 1.0).abs() < 1e-12);
        let grads = y.backward_with(Matrix1x4::repeat(1.0));
        let d = grads.wrt(x);
        assert!(d.iter().all(|v| v.is_finite()), "{d}");
        assert_eq!((d[0], d[1]), (0.0, 0.0));
        // σ'(−40) = σ(−40)(1 − σ(−40)) ≈ e⁻⁴⁰
        assert!((d[3] / (-40.0_f64).exp() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn extreme_inputs_in_f32() {
        let g = Graph::<f32>::new();
        let x = g.var(Matrix1x3::new(1000.0_f32, -1000.0, 0.0));
        let y = x.sigmoid();
        assert_eq!(y.value(), Matrix1x3::new(1.0, 0.0, 0.5));
        let grads = y.backward_with(Matrix1x3::repeat(1.0));
        assert_eq!(*grads.wrt(x), Matrix1x3::new(0.0, 0.0, 0.25));
    }

    #[test]
    fn far_negative_tail_keeps_relative_accuracy() {
        // 1 / (1 + e⁷²⁰) would overflow to 1/inf = 0; the true value e⁻⁷²⁰ is representable.
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(-720.0, -700.0, -745.0));
        let v = x.sigmoid().value();
        assert!((v[0] / (-720.0_f64).exp() - 1.0).abs() < 1e-9, "{}", v[0]);
        assert!((v[1] / (-700.0_f64).exp() - 1.0).abs() < 1e-12, "{}", v[1]);
        assert!(v[2] > 0.0);
    }
}
