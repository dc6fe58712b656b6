use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::vmath::{Func, map_into};

/// Hyperbolic tangent, element-wise: `tanh x`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ (1 − y²) (R×C), where y = tanh x is the cached output
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break. The
/// local gradient is computed from the cached output. For large `|x|` the output rounds to
/// `±1` and the gradient to 0 (no overflow, no NaN). Sugar: `a.tanh()`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(0.0, 1000.0));
/// let y: Var<'_, f64, 1, 2> = a.tanh();
/// assert_eq!(y.value(), Matrix1x2::new(0.0, 1.0));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x2::new(1.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Tanh;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Tanh {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Tanh"))
    }

    fn name(&self) -> &'static str {
        "tanh"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        let mut out = SMatrix::zeros();
        map_into(Func::Tanh, a, &mut out);
        out
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(out, |d, y| d * (T::one() - y * y)),)
    }

    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        map_into(Func::Tanh, a, out);
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
            d_a.add_zip_map(d_out, out, |d, y| d * (T::one() - y * y));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `tanh x` element-wise, see [`Tanh`](crate::ops::Tanh).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.0, -1000.0));
    /// assert_eq!(x.tanh().value(), nalgebra::Vector2::new(0.0, -1.0));
    /// ```
    #[track_caller]
    pub fn tanh(self) -> Var<'g, T, R, C> {
        self.graph().apply(Tanh, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Tanh;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        // tanh x = (e²ˣ − 1) / (e²ˣ + 1)
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(0.5, -2.0, 0.0));
        let by_definition = x
            .value()
            .map(|v| ((2.0 * v).exp() - 1.0) / ((2.0 * v).exp() + 1.0));
        let y = x.tanh().value();
        assert!((y - by_definition).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(220);
        check_unary(Tanh, Tanh, random::<3, 4>(&mut rng).scale(3.0));
        check_unary(Tanh, Tanh, random::<1, 1>(&mut rng));
    }

    #[test]
    fn gradient_is_one_minus_square_of_output() {
        // tanh'(x) = 1 / cosh²(x), computed independently of the output.
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(0.3, -1.2, 2.5));
        let grads = x.tanh().backward_with(Matrix1x3::repeat(1.0));
        let expected = x.value().map(|v| 1.0 / v.cosh().powi(2));
        assert!((grads.wrt(x) - expected).abs().max() < 1e-15);
    }

    #[test]
    fn saturates_without_nan_at_large_inputs() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(1000.0, -1000.0, 1e308, f64::INFINITY));
        let y = x.tanh();
        assert_eq!(y.value(), Matrix1x4::new(1.0, -1.0, 1.0, 1.0));
        let grads = y.backward_with(Matrix1x4::repeat(1.0));
        assert_eq!(*grads.wrt(x), Matrix1x4::zeros());
    }
}
