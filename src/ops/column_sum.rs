use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// The sum of the columns: one column holding each row's total (nalgebra's `column_sum`).
///
/// ```text
/// Shape:    (R×C) → (R×1)
/// Gradient: dA[r, c] = dOut[r, 0] (R×C, dOut copied across every column)
/// ```
///
/// Every entry of row `r` adds into output entry `r` with local gradient 1, so the upstream
/// column is broadcast back over the C columns. The output's dimensions are the input's own
/// parameters (typed; no dimension arithmetic). Sugar: `a.column_sum()`, as in nalgebra;
/// [`RowSum`](super::RowSum) sums along the other axis.
///
/// ```
/// use nalgebra::{Matrix2x3, Vector2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let s: Var<'_, f64, 2, 1> = a.column_sum();
/// assert_eq!(s.value(), Vector2::new(6.0, 15.0));
/// let grads = s.backward_with(Vector2::new(1.0, -1.0));
/// assert_eq!(*grads.wrt(a), Matrix2x3::new(1.0, 1.0, 1.0, -1.0, -1.0, -1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ColumnSum;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for ColumnSum {
    type Output = SMatrix<T, R, 1>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("ColumnSum"))
    }

    fn name(&self) -> &'static str {
        "column_sum"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, 1> {
        a.column_sum()
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, 1>,
        d_out: &SMatrix<T, R, 1>,
    ) -> (SMatrix<T, R, C>,) {
        (SMatrix::from_fn(|r, _| d_out[r]),)
    }

    /// Adds the columns into `out` one by one (nalgebra's `column_sum`, in the same order).
    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, 1>) {
        out.fill(T::zero());
        for column in a.column_iter() {
            *out += column;
        }
    }

    /// Writes (or adds) `dOut` into every column of dA in place: no R×C temporary.
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, 1>,
        d_out: &SMatrix<T, R, 1>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            for mut column in d_a.column_iter_mut() {
                if add {
                    column += d_out;
                } else {
                    column.copy_from(d_out);
                }
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The sum of the columns, R×1; see [`ColumnSum`](crate::ops::ColumnSum).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// assert_eq!(x.column_sum().value(), nalgebra::Vector2::new(3.0, 7.0));
    /// ```
    #[track_caller]
    pub fn column_sum(self) -> Var<'g, T, R, 1> {
        self.graph().apply(ColumnSum, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix2x3, Vector2};

    use super::ColumnSum;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix2x3::new(1.0, -1.0, 2.5, -2.0, 3.5, 0.25));
        assert_eq!(a.column_sum().value(), Vector2::new(2.5, 1.75));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(310);
        check_unary(ColumnSum, ColumnSum, random::<4, 3>(&mut rng));
        check_unary(ColumnSum, ColumnSum, random::<1, 1>(&mut rng));
        check_unary(ColumnSum, ColumnSum, random::<5, 1>(&mut rng)); // one column: the identity
        check_unary(ColumnSum, ColumnSum, random::<1, 5>(&mut rng)); // one row: the sum
    }

    #[test]
    fn backward_copies_the_upstream_column_across_every_column() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix2x3::zeros());
        let grads = a.column_sum().backward_with(Vector2::new(2.0, -7.0));
        assert_eq!(
            *grads.wrt(a),
            Matrix2x3::new(2.0, 2.0, 2.0, -7.0, -7.0, -7.0)
        );
    }
}
