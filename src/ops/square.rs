use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Square, element-wise: `x²`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ 2x (R×C)
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break. The
/// same values as `a.powi(2)` or `a.component_mul(a)`, as one node with a one-line backward.
/// For `|x|` above ≈ 1.34e154 (`f64`) / 1.84e19 (`f32`) the value overflows to `+inf` while the
/// gradient `2x` is still finite. Sugar: `a.square()`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(3.0, -0.5));
/// let y: Var<'_, f64, 1, 2> = a.square();
/// assert_eq!(y.value(), Matrix1x2::new(9.0, 0.25));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x2::new(6.0, -1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Square;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Square {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Square"))
    }

    fn name(&self) -> &'static str {
        "square"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x * x)
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(a, |d, x| d * (x + x)),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x * x);
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, a, |d, x| d * (x + x));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `x²` element-wise, see [`Square`](crate::ops::Square).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(-3.0, 1.5));
    /// assert_eq!(x.square().value(), nalgebra::Vector2::new(9.0, 2.25));
    /// ```
    #[track_caller]
    pub fn square(self) -> Var<'g, T, R, C> {
        self.graph().apply(Square, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix2x3};

    use super::Square;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(-4.0, 0.0, 1.5));
        assert_eq!(x.square().value(), Matrix1x3::new(16.0, 0.0, 2.25));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(290);
        check_unary(Square, Square, random::<3, 4>(&mut rng).scale(3.0));
        check_unary(Square, Square, random::<1, 1>(&mut rng));
    }

    #[test]
    fn agrees_with_the_product_of_a_var_with_itself() {
        let mut rng = rng(291);
        let g = Graph::<f64>::new();
        let x = g.var(random::<2, 3>(&mut rng));
        let d_out: Matrix2x3<f64> = random(&mut rng);
        let by_square = *x.square().backward_with(d_out).wrt(x);
        let by_product = *x.component_mul(x).backward_with(d_out).wrt(x);
        assert_eq!(x.square().value(), x.component_mul(x).value());
        assert!((by_square - by_product).abs().max() < 1e-15);
    }

    #[test]
    fn overflowing_value_keeps_a_finite_gradient() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(1e200, -1e200, -0.0));
        let y = x.square();
        assert_eq!(y.value(), Matrix1x3::new(f64::INFINITY, f64::INFINITY, 0.0));
        let grads = y.backward_with(Matrix1x3::repeat(1.0));
        assert_eq!(*grads.wrt(x), Matrix1x3::new(2e200, -2e200, 0.0));
    }
}
