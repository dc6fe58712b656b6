use nalgebra::{SMatrix, SVector};

use super::softmax::shift_rows;
use crate::contract::shape::RowsHaveEntries;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::{Real, columns, row_max, shifted};

/// Row-wise log-softmax: `Y[r, c] = x[r, c] − log Σₖ exp(x[r, k])`, the log-probabilities of
/// each row's classes.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut − P ∘ (column_sum(dOut)·1ᵀ) (R×C), P = exp(output), 1ᵀ a 1×C row of ones
/// ```
///
/// Numerically stable: computed as `(x − m) − log Σₖ exp(x[r, k] − m)` with `m` the row's
/// maximum, so the sum is in [1, C] and its logarithm never overflows; a row
/// `[1000, −1000, 0]` gives exactly `[0, −2000, −1000]` (where `log(softmax)` would give
/// `−∞`). The output has the input's shape (typed); a matrix with 0 columns is rejected by a
/// const assertion when the op is built. Sugar: `a.log_softmax()`.
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix1x3::new(0.0, 2f64.ln(), 3f64.ln()));
/// let y: Var<'_, f64, 1, 3> = x.log_softmax();
/// let expected = Matrix1x3::new(1.0 / 6.0, 1.0 / 3.0, 0.5).map(f64::ln);
/// assert!((y.value() - expected).amax() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct LogSoftmax;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for LogSoftmax {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("LogSoftmax"))
    }

    fn name(&self) -> &'static str {
        "log_softmax"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        let mut y = shift_rows(a);
        for mut row in y.row_iter_mut() {
            let log_total = row.map(T::exp).sum().ln();
            row.add_scalar_mut(-log_total);
        }
        y
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        y: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        let row_totals = d_out.column_sum();
        (SMatrix::from_fn(|r, c| {
            d_out[(r, c)] - y[(r, c)].exp() * row_totals[r]
        }),)
    }

    /// The same, written into `out` one column of the storage at a time: the shifted logits
    /// and the rows' sums of their exponentials in one sweep, then the rows' logarithms
    /// subtracted in a second (no R×C temporary: a large matrix never goes through the stack).
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        let () = RowsHaveEntries::<R, C>::ASSERT;
        let max = row_max(a);
        let mut log_totals = SVector::<T, R>::zeros();
        let out_columns = out.as_mut_slice().chunks_exact_mut(R.max(1));
        for (y_col, a_col) in out_columns.zip(columns(a)) {
            for (((y, &x), &m), total) in y_col.iter_mut().zip(a_col).zip(&max).zip(&mut log_totals)
            {
                *y = shifted(x, m);
                *total += y.exp();
            }
        }
        log_totals.apply(|total| *total = total.ln());
        for y_col in out.as_mut_slice().chunks_exact_mut(R.max(1)) {
            for (y, &log_total) in y_col.iter_mut().zip(&log_totals) {
                *y += -log_total;
            }
        }
    }

    /// The same, written into the slot in place: the rows' sums of `dOut` (an R-vector)
    /// column by column, then the gradient column by column.
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        y: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        let Some(d_a) = d_a else { return };
        let mut row_totals = SVector::<T, R>::zeros();
        for d_col in columns(d_out) {
            for (total, &d) in row_totals.iter_mut().zip(d_col) {
                *total += d;
            }
        }
        let (buf, add) = d_a.into_parts();
        let buf_columns = buf.as_mut_slice().chunks_exact_mut(R.max(1));
        for ((g_col, d_col), y_col) in buf_columns.zip(columns(d_out)).zip(columns(y)) {
            for (((g, &d), &y), &total) in g_col.iter_mut().zip(d_col).zip(y_col).zip(&row_totals) {
                let v = d - y.exp() * total;
                *g = if add { *g + v } else { v };
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Log-softmax of each row, see [`LogSoftmax`](crate::ops::LogSoftmax).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Matrix1x2::new(-1000.0, 1000.0));
    /// assert_eq!(x.log_softmax().value(), nalgebra::Matrix1x2::new(-2000.0, 0.0));
    /// ```
    #[track_caller]
    pub fn log_softmax(self) -> Var<'g, T, R, C> {
        let () = RowsHaveEntries::<R, C>::ASSERT;
        self.graph().apply(LogSoftmax, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix2x3, Matrix3x4};

    use super::LogSoftmax;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(410);
        check_unary(LogSoftmax, LogSoftmax, random::<3, 4>(&mut rng) * 3.0);
        check_unary(LogSoftmax, LogSoftmax, random::<1, 1>(&mut rng)); // Y = 0, dA = 0
        check_unary(LogSoftmax, LogSoftmax, random::<1, 5>(&mut rng));
        check_unary(LogSoftmax, LogSoftmax, random::<5, 1>(&mut rng));
    }

    #[test]
    fn exp_of_log_softmax_is_softmax() {
        let x: Matrix3x4<f64> = random(&mut rng(411));
        let g = Graph::<f64>::new();
        let v = g.var(x);
        let p = v.softmax().value();
        assert!((v.log_softmax().value().map(f64::exp) - p).amax() < 1e-15);
        // Hand-written: x − log Σ exp(x), fine for small x.
        let naive = Matrix3x4::from_fn(|r, c| x[(r, c)] - x.row(r).map(f64::exp).sum().ln());
        assert!((v.log_softmax().value() - naive).amax() < 1e-14);
    }

    #[test]
    fn logits_of_a_thousand_give_finite_values_and_gradients() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix2x3::new(
            1000.0, -1000.0, 0.0, -1000.0, 1000.0, 1000.0,
        ));
        let y = x.log_softmax();
        let ln2 = 2f64.ln();
        let expected = Matrix2x3::new(0.0, -2000.0, -1000.0, -2000.0 - ln2, -ln2, -ln2);
        assert!((y.value() - expected).amax() < 1e-12, "{}", y.value());
        let d_out = Matrix2x3::new(0.5, -2.0, 1.0, 3.0, 1.0, -2.0);
        let grads = y.backward_with(d_out);
        // Row 0: P = (1, 0, 0), Σ dOut = −0.5: dA = dOut − (−0.5, 0, 0).
        // Row 1: P = (0, ½, ½), Σ dOut = 2: dA = dOut − (0, 1, 1).
        let want = Matrix2x3::new(1.0, -2.0, 1.0, 3.0, 0.0, -3.0);
        assert!((grads.wrt(x) - want).amax() < 1e-15, "{}", grads.wrt(x));
    }
}
