use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Multiplication by a constant scalar `s` (not differentiated).
///
/// ```text
/// Shape:    s·(R×C) → (R×C)
/// Gradient: dA = s·dOut (R×C)
/// ```
///
/// Sugar: `a.scale(s)`, like nalgebra's `Matrix::scale`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::repeat(2.0));
/// let b: Var<'_, f64, 2, 3> = a.scale(-1.5);
/// assert_eq!(b.value(), Matrix2x3::repeat(-3.0));
/// let grads = b.sum().backward();
/// assert_eq!(*grads.wrt(a), Matrix2x3::repeat(-1.5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale<T>(pub T);

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Scale<T> {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::call(
            "shapegrad::ops::Scale",
            [RustExpr::scalar(self.0)?],
        ))
    }

    fn name(&self) -> &'static str {
        "scale"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a * self.0
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out * self.0,)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x * self.0);
    }

    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_map(d_out, |d| d * self.0);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Multiplies every entry by the constant `factor`, see [`Scale`](crate::ops::Scale).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f32>::new();
    /// let x = g.var(nalgebra::Vector2::new(1.0_f32, 2.0));
    /// assert_eq!(x.scale(0.5).value(), nalgebra::Vector2::new(0.5, 1.0));
    /// ```
    #[track_caller]
    pub fn scale(self, factor: T) -> Var<'g, T, R, C> {
        self.graph().apply(Scale(factor), (self,))
    }
}

#[cfg(test)]
mod tests {
    use super::Scale;
    use crate::diff::testing::{check_unary, random, rng};

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(60);
        check_unary(Scale(-2.5), Scale(-2.5_f32), random::<3, 4>(&mut rng));
        check_unary(Scale(0.0), Scale(0.0_f32), random::<2, 1>(&mut rng));
    }
}
