use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::{columns, sum};

/// Adds a 1×C row to every row of an R×C matrix — a dense layer's bias.
///
/// ```text
/// Shape:    (R×C) + (1×C) → (R×C)
/// Gradient: dA = dOut (R×C), dB = row_sum(dOut) = Σᵣ dOut[r, ·] (1×C)
/// ```
///
/// The row is broadcast down the R rows: it is used R times, so its gradient is the sum of the
/// R upstream rows (gradients add at forks). The shape rule is a typed equality: the row's `C`
/// is the matrix's `C`, so adding a 1×4 row to a 2×3 matrix does not compile
/// (`ui-tests/add_row_wrong_width.rs`). Sugar: `a.add_row(b)`; [`AddColumn`](super::AddColumn)
/// broadcasts along the other axis.
///
/// ```
/// use nalgebra::{Matrix1x3, Matrix2x3};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let b = g.var(Matrix1x3::new(10.0, 20.0, 30.0));
/// let y: Var<'_, f64, 2, 3> = x.add_row(b);
/// assert_eq!(y.value(), Matrix2x3::new(11.0, 22.0, 33.0, 14.0, 25.0, 36.0));
/// let grads = y.sum().backward();
/// assert_eq!(*grads.wrt(b), Matrix1x3::repeat(2.0)); // one per row
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AddRow;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, 1, C>)>
    for AddRow
{
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("AddRow"))
    }

    fn name(&self) -> &'static str {
        "add_row"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, 1, C>)) -> SMatrix<T, R, C> {
        SMatrix::from_fn(|r, c| a[(r, c)] + b[c])
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, 1, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, 1, C>) {
        (*d_out, d_out.row_sum())
    }

    #[inline]
    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, 1, C>),
        out: &mut SMatrix<T, R, C>,
    ) {
        let out_columns = out.as_mut_slice().chunks_exact_mut(R.max(1));
        for ((out, a), &b) in out_columns.zip(columns(a)).zip(b.iter()) {
            for (y, &x) in out.iter_mut().zip(a) {
                *y = x + b;
            }
        }
    }

    /// `dB` sums each column of `dOut` with several accumulators.
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, 1, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a, d_b): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, 1, C>>),
    ) {
        if let Some(d_a) = d_a {
            d_a.add(d_out);
        }
        if let Some(d_b) = d_b {
            let (d_b, add) = d_b.into_parts();
            for (d_b, column) in d_b.iter_mut().zip(columns(d_out)) {
                let total = sum(column);
                *d_b = if add { *d_b + total } else { total };
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Adds the 1×C `row` to every row, see [`AddRow`](crate::ops::AddRow).
    ///
    /// ```
    /// use nalgebra::{Matrix1x2, Matrix3x2};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.constant(Matrix3x2::zeros());
    /// let bias = g.var(Matrix1x2::new(1.0, -1.0));
    /// assert_eq!(x.add_row(bias).value(), Matrix3x2::new(1.0, -1.0, 1.0, -1.0, 1.0, -1.0));
    /// ```
    #[track_caller]
    pub fn add_row(self, row: Var<'g, T, 1, C>) -> Var<'g, T, R, C> {
        self.graph().apply(AddRow, (self, row))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix1x3, Matrix3x4, SMatrix};

    use super::AddRow;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_adds_the_row_to_every_row() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 2, 3>::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
        let b = g.var(Matrix1x3::new(0.5, -2.0, 10.0));
        let y = a.add_row(b).value();
        assert_eq!(y, SMatrix::<f64, 2, 3>::new(1.5, 0.0, 13.0, 4.5, 3.0, 16.0));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(200);
        let a: Matrix3x4<f64> = random(&mut rng);
        check_binary(AddRow, AddRow, a, random::<1, 4>(&mut rng));
        // 1×1 and a single row: broadcasting over one row is a plain add.
        check_binary(AddRow, AddRow, random::<1, 1>(&mut rng), random(&mut rng));
        check_binary(AddRow, AddRow, random::<1, 5>(&mut rng), random(&mut rng));
    }

    #[test]
    fn the_row_gets_the_column_sums_of_the_upstream_gradient() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 3, 2>::zeros());
        let b = g.var(nalgebra::Matrix1x2::zeros());
        let d_out = SMatrix::<f64, 3, 2>::new(1.0, 10.0, 2.0, 20.0, 3.0, 30.0);
        let grads = a.add_row(b).backward_with(d_out);
        assert_eq!(*grads.wrt(b), nalgebra::Matrix1x2::new(6.0, 60.0));
        assert_eq!(*grads.wrt(a), d_out);
    }

    #[test]
    fn a_bias_shared_by_two_layers_adds_both_gradients() {
        let g = Graph::<f64>::new();
        let b = g.var(Matrix1::new(0.0));
        let x = g.constant(SMatrix::<f64, 4, 1>::repeat(1.0));
        let y = x.add_row(b).add_row(b).sum();
        assert_eq!(y.value()[0], 4.0);
        assert_eq!(y.backward().wrt(b)[0], 8.0);
    }
}
