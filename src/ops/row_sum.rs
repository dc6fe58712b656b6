use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// The sum of the rows: one row holding each column's total (nalgebra's `row_sum`).
///
/// ```text
/// Shape:    (R×C) → (1×C)
/// Gradient: dA[r, c] = dOut[0, c] (R×C, dOut copied down every row)
/// ```
///
/// Every entry of column `c` adds into output entry `c` with local gradient 1, so the upstream
/// row is broadcast back over the R rows. The output's dimensions are the input's own
/// parameters (typed; no dimension arithmetic). Sugar: `a.row_sum()`, as in nalgebra;
/// [`ColumnSum`](super::ColumnSum) sums along the other axis.
///
/// ```
/// use nalgebra::{Matrix1x3, Matrix2x3};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let s: Var<'_, f64, 1, 3> = a.row_sum();
/// assert_eq!(s.value(), Matrix1x3::new(5.0, 7.0, 9.0));
/// let grads = s.backward_with(Matrix1x3::new(1.0, 0.0, -1.0));
/// assert_eq!(*grads.wrt(a), Matrix2x3::new(1.0, 0.0, -1.0, 1.0, 0.0, -1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RowSum;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for RowSum {
    type Output = SMatrix<T, 1, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("RowSum"))
    }

    fn name(&self) -> &'static str {
        "row_sum"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, 1, C> {
        a.row_sum()
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, 1, C>,
        d_out: &SMatrix<T, 1, C>,
    ) -> (SMatrix<T, R, C>,) {
        (SMatrix::from_fn(|_, c| d_out[c]),)
    }

    /// Each column's sum straight into `out` (nalgebra's `row_sum`, summed in the same order).
    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, 1, C>) {
        for (o, column) in out.iter_mut().zip(a.column_iter()) {
            *o = column.sum();
        }
    }

    /// Writes (or adds) `dOut[c]` down column `c` of dA in place: no R×C temporary.
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, 1, C>,
        d_out: &SMatrix<T, 1, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            for (mut column, &d) in d_a.column_iter_mut().zip(d_out.iter()) {
                if add {
                    column.add_scalar_mut(d);
                } else {
                    column.fill(d);
                }
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The sum of the rows, 1×C; see [`RowSum`](crate::ops::RowSum).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// assert_eq!(x.row_sum().value(), nalgebra::Matrix1x2::new(4.0, 6.0));
    /// ```
    #[track_caller]
    pub fn row_sum(self) -> Var<'g, T, 1, C> {
        self.graph().apply(RowSum, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x2, Matrix3x2};

    use super::RowSum;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3x2::new(1.0, -1.0, 2.0, -2.0, 3.5, 0.25));
        assert_eq!(a.row_sum().value(), Matrix1x2::new(6.5, -2.75));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(300);
        check_unary(RowSum, RowSum, random::<4, 3>(&mut rng));
        check_unary(RowSum, RowSum, random::<1, 1>(&mut rng));
        check_unary(RowSum, RowSum, random::<1, 5>(&mut rng)); // one row: the identity
        check_unary(RowSum, RowSum, random::<5, 1>(&mut rng)); // one column: the sum
    }

    #[test]
    fn backward_copies_the_upstream_row_down_every_row() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3x2::zeros());
        let grads = a.row_sum().backward_with(Matrix1x2::new(2.0, -7.0));
        assert_eq!(
            *grads.wrt(a),
            Matrix3x2::new(2.0, -7.0, 2.0, -7.0, 2.0, -7.0)
        );
    }
}
