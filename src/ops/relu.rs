use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Rectified linear unit, element-wise: `max(x, 0)`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ [x > 0] (R×C)
/// ```
///
/// At exactly `x = 0` ReLU has no derivative; shapegrad uses the subgradient 0 there (the
/// gradient passes only where `x > 0`), as PyTorch and the course notes do. Sugar: `a.relu()`.
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x3::new(-1.0, 0.0, 2.0));
/// let r: Var<'_, f64, 1, 3> = a.relu();
/// assert_eq!(r.value(), Matrix1x3::new(0.0, 0.0, 2.0));
/// assert_eq!(*r.sum().backward().wrt(a), Matrix1x3::new(0.0, 0.0, 1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Relu;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Relu {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Relu"))
    }

    fn name(&self) -> &'static str {
        "relu"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.max(T::zero()))
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(a, |d, x| if x > T::zero() { d } else { T::zero() }),)
    }

    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.max(T::zero()));
    }

    /// Branch-free: a select of `dOut` or 0 per entry, written in place.
    #[inline]
    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, a, |d, x| if x > T::zero() { d } else { T::zero() });
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `max(x, 0)` element-wise, see [`Relu`](crate::ops::Relu).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(-3.0, 3.0));
    /// assert_eq!(x.relu().value(), nalgebra::Vector2::new(0.0, 3.0));
    /// ```
    #[track_caller]
    pub fn relu(self) -> Var<'g, T, R, C> {
        self.graph().apply(Relu, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x4, Matrix3x4};

    use super::Relu;
    use crate::diff::testing::{away_from_zero, check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn gradcheck_random_away_from_the_kink() {
        let x: Matrix3x4<f64> = away_from_zero(random(&mut rng(90)), 0.05);
        assert!(x.iter().any(|&v| v < 0.0) && x.iter().any(|&v| v > 0.0));
        check_unary(Relu, Relu, x);
    }

    #[test]
    fn gradient_at_exactly_zero_is_zero() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, -0.0, 1e-300, -1e-300));
        let grads = x.relu().backward_with(Matrix1x4::repeat(7.0));
        assert_eq!(*grads.wrt(x), Matrix1x4::new(0.0, 0.0, 7.0, 0.0));
    }
}
