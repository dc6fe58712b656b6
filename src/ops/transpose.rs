use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Transpose.
///
/// ```text
/// Shape:    (R×C) → (C×R)
/// Gradient: dA = dOutᵀ (R×C)
/// ```
///
/// The output shape is the input's, swapped, in the type. Sugar: `a.transpose()`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let t: Var<'_, f64, 3, 2> = a.transpose();
/// assert_eq!(t.value()[(2, 0)], 3.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Transpose;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Transpose {
    type Output = SMatrix<T, C, R>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Transpose"))
    }

    fn name(&self) -> &'static str {
        "transpose"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, C, R> {
        a.transpose()
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, C, R>,
        d_out: &SMatrix<T, C, R>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.transpose(),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, C, R>) {
        a.transpose_to(out);
    }

    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, C, R>,
        d_out: &SMatrix<T, C, R>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            for c in 0..C {
                for r in 0..R {
                    let d = d_out[(c, r)];
                    d_a[(r, c)] = if add { d_a[(r, c)] + d } else { d };
                }
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Transpose, see [`Transpose`](crate::ops::Transpose).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let row = g.var(nalgebra::RowVector3::new(1.0, 2.0, 3.0));
    /// let col: shapegrad::Var<'_, f64, 3, 1> = row.transpose();
    /// assert_eq!(col.value(), nalgebra::Vector3::new(1.0, 2.0, 3.0));
    /// ```
    #[track_caller]
    pub fn transpose(self) -> Var<'g, T, C, R> {
        self.graph().apply(Transpose, (self,))
    }
}

#[cfg(test)]
mod tests {
    use super::Transpose;
    use crate::diff::testing::{check_unary, random, rng};

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(10);
        check_unary(Transpose, Transpose, random::<3, 5>(&mut rng));
        check_unary(Transpose, Transpose, random::<1, 4>(&mut rng));
    }

    #[test]
    fn transpose_of_a_product_is_the_product_of_transposes() {
        let mut rng = rng(11);
        let g = crate::graph::Graph::<f64>::new();
        let a = g.var(random::<2, 3>(&mut rng));
        let b = g.var(random::<3, 4>(&mut rng));
        let lhs = (a * b).transpose().value();
        let rhs = (b.transpose() * a.transpose()).value();
        assert!((lhs - rhs).amax() < 1e-15);
    }
}
