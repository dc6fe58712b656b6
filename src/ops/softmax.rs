use nalgebra::{SMatrix, SVector};

use crate::contract::shape::RowsHaveEntries;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::{Real, columns, exp_shifted_into, row_max};

/// Row-wise softmax: each row (one sample's logits over C classes) becomes probabilities,
/// `P[r, c] = exp(x[r, c]) / Σₖ exp(x[r, k])`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = P ∘ (dOut − column_sum(dOut ∘ P)·1ᵀ) (R×C), P the output, 1ᵀ a 1×C row of ones
/// ```
///
/// Numerically stable: each row's maximum is subtracted before `exp` (softmax does not change
/// when a row is shifted), so the largest term is e⁰ = 1, nothing overflows and the row sum is
/// in [1, C]; logits of ±1000 give finite probabilities and gradients. Infinite logits give
/// the limits: a row's k entries at +∞ get 1/k each and the others 0, a row of −∞ only is
/// uniform; a NaN makes its row NaN. The output has the
/// input's shape (typed); a matrix with 0 columns is rejected by a const assertion when the op
/// is built. Sugar: `a.softmax()`; for a loss, prefer
/// [`SoftmaxCrossEntropy`](super::SoftmaxCrossEntropy), whose fused backward is simpler.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix2x3::new(0.0, 2f64.ln(), 3f64.ln(), 1000.0, -1000.0, 0.0));
/// let p: Var<'_, f64, 2, 3> = x.softmax();
/// let expected = Matrix2x3::new(1.0 / 6.0, 1.0 / 3.0, 0.5, 1.0, 0.0, 0.0);
/// assert!((p.value() - expected).amax() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Softmax;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Softmax {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Softmax"))
    }

    fn name(&self) -> &'static str {
        "softmax"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        softmax_rows(a)
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        p: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        let row_dots = d_out.component_mul(p).column_sum();
        (SMatrix::from_fn(|r, c| {
            p[(r, c)] * (d_out[(r, c)] - row_dots[r])
        }),)
    }

    /// The same, written into `out` one column of the storage at a time (no R×C temporary:
    /// a large matrix never goes through the stack).
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        softmax_rows_into(a, out);
    }

    /// The same, written into the slot in place: the row dots `Σ_c dOut∘P` (an R-vector)
    /// column by column, then the gradient column by column.
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        p: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        let Some(d_a) = d_a else { return };
        let mut row_dots = SVector::<T, R>::zeros();
        for (d_col, p_col) in columns(d_out).zip(columns(p)) {
            for ((dot, &d), &p) in row_dots.iter_mut().zip(d_col).zip(p_col) {
                *dot += d * p;
            }
        }
        let (buf, add) = d_a.into_parts();
        let buf_columns = buf.as_mut_slice().chunks_exact_mut(R.max(1));
        for ((g_col, d_col), p_col) in buf_columns.zip(columns(d_out)).zip(columns(p)) {
            for (((g, &d), &p), &dot) in g_col.iter_mut().zip(d_col).zip(p_col).zip(&row_dots) {
                let v = p * (d - dot);
                *g = if add { *g + v } else { v };
            }
        }
    }
}

/// `x` with each row's maximum subtracted: every row's largest entry becomes 0, the rest ≤ 0.
pub(crate) fn shift_rows<T: Real, const R: usize, const C: usize>(
    x: &SMatrix<T, R, C>,
) -> SMatrix<T, R, C> {
    let () = RowsHaveEntries::<R, C>::ASSERT;
    let max = crate::kernels::row_max(x);
    SMatrix::from_fn(|r, c| crate::kernels::shifted(x[(r, c)], max[r]))
}

/// Row-wise softmax, computed from [`shift_rows`] so that no `exp` overflows.
pub(crate) fn softmax_rows<T: Real, const R: usize, const C: usize>(
    x: &SMatrix<T, R, C>,
) -> SMatrix<T, R, C> {
    let mut p = shift_rows(x).map(T::exp);
    for mut row in p.row_iter_mut() {
        let total = row.sum();
        row /= total;
    }
    p
}

/// [`softmax_rows`] written into `p` (whose contents are overwritten), one column of the
/// storage at a time, with the same values: no R×C temporary, so a large matrix never goes
/// through the stack (only the rows' maxima and sums, two R-vectors).
pub(crate) fn softmax_rows_into<T: Real, const R: usize, const C: usize>(
    x: &SMatrix<T, R, C>,
    p: &mut SMatrix<T, R, C>,
) {
    let () = RowsHaveEntries::<R, C>::ASSERT;
    let max = row_max(x);
    let totals = exp_shifted_into(x, &max, p);
    for p_col in p.as_mut_slice().chunks_exact_mut(R.max(1)) {
        for (p, &total) in p_col.iter_mut().zip(&totals) {
            *p /= total;
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Softmax of each row, see [`Softmax`](crate::ops::Softmax).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Matrix1x2::new(3.0, 3.0));
    /// assert_eq!(x.softmax().value(), nalgebra::Matrix1x2::new(0.5, 0.5));
    /// ```
    #[track_caller]
    pub fn softmax(self) -> Var<'g, T, R, C> {
        let () = RowsHaveEntries::<R, C>::ASSERT;
        self.graph().apply(Softmax, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix2x3, Matrix3x4};

    use super::Softmax;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(400);
        check_unary(Softmax, Softmax, random::<3, 4>(&mut rng) * 3.0);
        check_unary(Softmax, Softmax, random::<1, 1>(&mut rng)); // P = 1, dA = 0
        check_unary(Softmax, Softmax, random::<1, 5>(&mut rng));
        check_unary(Softmax, Softmax, random::<5, 1>(&mut rng));
    }

    #[test]
    fn infinite_logits_give_the_limits() {
        let inf = f64::INFINITY;
        let g = Graph::<f64>::new();
        let x = g.var(Matrix2x3::new(inf, inf, 0.0, -inf, -inf, -inf));
        let p = x.softmax();
        assert_eq!(
            p.value(),
            Matrix2x3::new(0.5, 0.5, 0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0)
        );
        let d_x = *p
            .backward_with(Matrix2x3::new(1.0, 0.0, 0.0, 0.0, 0.0, 0.0))
            .wrt(x);
        assert_eq!(d_x.row(0), Matrix1x3::new(0.25, -0.25, 0.0));
        let log_p = g.var(Matrix1x3::new(inf, 0.0, -inf)).log_softmax().value();
        assert_eq!(log_p, Matrix1x3::new(0.0, -inf, -inf));
    }

    #[test]
    fn rows_sum_to_one_and_a_shift_of_a_row_changes_nothing() {
        let x: Matrix3x4<f64> = random(&mut rng(401));
        let g = Graph::<f64>::new();
        let p = g.var(x).softmax().value();
        for row in p.row_iter() {
            assert!((row.sum() - 1.0).abs() < 1e-15, "{row}");
        }
        // Rows shifted by 0, 500, 1000 (exp(1000) alone would overflow); x + 1000 is rounded
        // to the 1.1e-13 spacing of doubles near 1000, hence the tolerance.
        let shifts = Matrix3x4::from_fn(|r, _| 500.0 * r as f64);
        let shifted = g.var(x + shifts).softmax().value();
        assert!((shifted - p).amax() < 1e-12, "{shifted} vs {p}");
    }

    #[test]
    fn logits_of_a_thousand_give_finite_values_and_gradients() {
        // Without the max subtracted, exp(1000) = inf and inf/inf = NaN.
        assert!(1000f64.exp().is_infinite());
        let g = Graph::<f64>::new();
        let x = g.var(Matrix2x3::new(
            1000.0, -1000.0, 0.0, 1000.0, 1000.0, -1000.0,
        ));
        let p = x.softmax();
        assert_eq!(p.value(), Matrix2x3::new(1.0, 0.0, 0.0, 0.5, 0.5, 0.0));
        let d_out = Matrix2x3::new(0.3, -0.7, 2.0, 1.0, -3.0, 5.0);
        let grads = p.backward_with(d_out);
        // Row 0: P = e₀, so dA = e₀ ∘ (dOut − dOut₀) = 0.
        // Row 1: P = (½, ½, 0), Σ dOut∘P = −1: dA = (½·2, ½·(−2), 0).
        assert_eq!(*grads.wrt(x), Matrix2x3::new(0.0, 0.0, 0.0, 1.0, -1.0, 0.0));
    }

    #[test]
    fn the_gradient_is_the_jacobian_transpose_times_d_out() {
        // ∂Pᵢ/∂xⱼ = Pᵢ(δᵢⱼ − Pⱼ), for one row of three.
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(0.2, -1.0, 0.7));
        let p = x.softmax();
        let pv = p.value();
        let d_out = Matrix1x3::new(1.0, 2.0, -1.0);
        let grads = p.backward_with(d_out);
        let expected = Matrix1x3::from_fn(|_, j| {
            (0..3)
                .map(|i| d_out[i] * pv[i] * (f64::from(u8::from(i == j)) - pv[j]))
                .sum::<f64>()
        });
        assert!((grads.wrt(x) - expected).amax() < 1e-15);
    }
}
