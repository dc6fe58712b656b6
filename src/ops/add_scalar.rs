use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Adds a constant scalar `s` (not differentiated) to every entry.
///
/// ```text
/// Shape:    (R×C) + s → (R×C)
/// Gradient: dA = dOut (R×C)
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break; the
/// add gate passes the upstream gradient through unchanged. Sugar: `a.add_scalar(s)`, like
/// nalgebra's `Matrix::add_scalar`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::repeat(2.0));
/// let b: Var<'_, f64, 2, 3> = a.add_scalar(-0.5);
/// assert_eq!(b.value(), Matrix2x3::repeat(1.5));
/// assert_eq!(*b.sum().backward().wrt(a), Matrix2x3::repeat(1.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AddScalar<T>(pub T);

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for AddScalar<T> {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::call(
            "shapegrad::ops::AddScalar",
            [RustExpr::scalar(self.0)?],
        ))
    }

    fn name(&self) -> &'static str {
        "add_scalar"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.add_scalar(self.0)
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (*d_out,)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x + self.0);
    }

    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add(d_out);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Adds the constant `s` to every entry, see [`AddScalar`](crate::ops::AddScalar).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f32>::new();
    /// let x = g.var(nalgebra::Vector2::new(1.0_f32, -2.0));
    /// assert_eq!(x.add_scalar(1.0).value(), nalgebra::Vector2::new(2.0, -1.0));
    /// ```
    #[track_caller]
    pub fn add_scalar(self, s: T) -> Var<'g, T, R, C> {
        self.graph().apply(AddScalar(s), (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix2x3};

    use super::AddScalar;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(1.0, -2.0, 0.25));
        assert_eq!(x.add_scalar(3.0).value(), Matrix1x3::new(4.0, 1.0, 3.25));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(320);
        check_unary(AddScalar(2.5), AddScalar(2.5_f32), random::<3, 4>(&mut rng));
        check_unary(
            AddScalar(-1.0),
            AddScalar(-1.0_f32),
            random::<1, 1>(&mut rng),
        );
        check_unary(AddScalar(0.0), AddScalar(0.0_f32), random::<1, 4>(&mut rng));
    }

    #[test]
    fn gradient_passes_through_unchanged() {
        let mut rng = rng(321);
        let g = Graph::<f64>::new();
        let x = g.var(random::<2, 3>(&mut rng));
        let d_out: Matrix2x3<f64> = random(&mut rng);
        let y = x.add_scalar(1e300);
        assert_eq!(*y.backward_with(d_out).wrt(x), d_out);
    }

    #[test]
    fn equals_adding_a_constant_matrix() {
        let mut rng = rng(322);
        let g = Graph::<f64>::new();
        let x = g.var(random::<2, 3>(&mut rng));
        let by_scalar = x.add_scalar(-0.75).value();
        let by_matrix = (x + g.constant(Matrix2x3::repeat(-0.75))).value();
        assert_eq!(by_scalar, by_matrix);
    }
}
