use nalgebra::{Matrix1, SMatrix, SVector};

use crate::contract::shape::{Message, RowsHaveEntries, fail};
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::{columns, exp_shifted_into, exp_shifted_sums, row_max, shifted};

/// Softmax cross-entropy against target distributions, each row weighted, averaged over the
/// weights: `Σ_r w_r·ℓ_r / Σ_r w_r` with `ℓ_r = −Σ_c T[r, c]·log softmax(x)[r, c]`.
///
/// ```text
/// Shape:    (R×C), (R×C), (R×1) → (1×1)
/// Gradient: dX = dOut·w_r·(P∘s − T)/W (R×C), s[r] = Σ_c T[r, c], W = Σ_r w_r
///           dT = −dOut·w_r·log P/W (R×C)
///           dw = dOut·(ℓ_r − L)/W (R×1), L the loss
/// ```
///
/// This is the loss of a mini-batch whose last rows are padding: give the real rows weight 1
/// and the padded rows weight 0, and the loss is the mean over the real rows only (their
/// gradients are those of a batch of the real rows alone). The weights may be any
/// non-negative numbers (class weights, importance weights); with all weights equal it is
/// [`SoftmaxCrossEntropyTargets`](crate::ops::SoftmaxCrossEntropyTargets). If every weight is
/// 0 the loss and all gradients are 0.
///
/// Targets and weights are inputs, not part of the op, so a graph built once is replayed on
/// every batch: make them [`Graph::constant`](crate::Graph::constant)s and give them the
/// batch's one-hot labels and weights with [`Var::set_value`] (a
/// [`data::Batch`] holds both). Stable like the unweighted version: rows
/// are shifted by their maximum, the loss never takes `log P`. Infinite logits give the
/// limits, as in [`SoftmaxCrossEntropyTargets`](crate::ops::SoftmaxCrossEntropyTargets), and
/// a row of weight 0 contributes nothing even if its loss is infinite (padding may hold
/// anything); `dw` is NaN when the loss itself is infinite (∞ − ∞). The shapes must agree (typed
/// equality). Sugar: `x.softmax_cross_entropy_weighted(targets, weights)`.
///
/// ```
/// use nalgebra::{Matrix3x2, Vector3};
/// use shapegrad::{Graph, Labels};
///
/// let g = Graph::<f64>::new();
/// let logits = g.var(Matrix3x2::new(0.0, 0.0, 1.0, -1.0, 5.0, 5.0));
/// let targets = g.constant(Labels::<3, 2>::new([0, 0, 1])?.one_hot());
/// let weights = g.constant(Vector3::new(1.0, 1.0, 0.0)); // row 2 is padding
/// let loss = logits.softmax_cross_entropy_weighted(targets, weights);
/// // The mean over rows 0 and 1 only: (log 2 + log(1 + e⁻²)) / 2.
/// let want = (2f64.ln() + (1.0 + (-2f64).exp()).ln()) / 2.0;
/// assert!((loss.value()[0] - want).abs() < 1e-15);
/// assert_eq!(loss.backward().wrt(logits).row(2).amax(), 0.0); // padding gets no gradient
/// # Ok::<(), shapegrad::LabelError>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(
    feature = "data",
    doc = "",
    doc = "[`data::Batch`]: crate::data::Batch"
)]
#[cfg_attr(
    not(feature = "data"),
    doc = "",
    doc = "[`data::Batch`]: crate#features"
)]
pub struct SoftmaxCrossEntropyWeighted;

/// The inputs of a weighted loss: R×C predictions, R×C targets, R×1 weights.
pub(super) type Inputs3<T, const R: usize, const C: usize> =
    (SMatrix<T, R, C>, SMatrix<T, R, C>, SMatrix<T, R, 1>);
/// References to [`Inputs3`].
pub(super) type Refs3<'a, T, const R: usize, const C: usize> = (
    &'a SMatrix<T, R, C>,
    &'a SMatrix<T, R, C>,
    &'a SMatrix<T, R, 1>,
);

impl<T: Real, const R: usize, const C: usize> Op<T, Inputs3<T, R, C>>
    for SoftmaxCrossEntropyWeighted
{
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("SoftmaxCrossEntropyWeighted"))
    }

    fn name(&self) -> &'static str {
        "softmax_cross_entropy_weighted"
    }

    fn forward(&self, (x, t, w): Refs3<'_, T, R, C>) -> Matrix1<T> {
        let () = WeightedMeanOverRows::<R, C>::ASSERT;
        let per_row = row_losses(x, t);
        Matrix1::new(weighted_mean(&per_row, w))
    }

    fn backward(
        &self,
        (x, t, w): Refs3<'_, T, R, C>,
        out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> Inputs3<T, R, C> {
        let scale = d_out[0] * inverse_total(w);
        let () = RowsHaveEntries::<R, C>::ASSERT;
        let max = row_max(x);
        let mut e = SMatrix::<T, R, C>::zeros();
        let totals = exp_shifted_into(x, &max, &mut e);
        let mass = t.column_sum();
        let d_x =
            SMatrix::from_fn(|r, c| (e[(r, c)] / totals[r] * mass[r] - t[(r, c)]) * w[r] * scale);
        let d_t =
            SMatrix::from_fn(|r, c| (totals[r].ln() - shifted(x[(r, c)], max[r])) * w[r] * scale);
        let per_row = row_losses(x, t);
        let d_w = per_row.map(|l| (l - out[0]) * scale);
        (d_x, d_t, d_w)
    }

    fn forward_into(&self, inputs: Refs3<'_, T, R, C>, out: &mut Matrix1<T>) {
        *out = self.forward(inputs);
    }

    /// The logits' gradient with one exponential per entry, and the targets' and weights'
    /// gradients (usually not needed: they are constants), all written in place.
    fn backward_into(
        &self,
        (x, t, w): Refs3<'_, T, R, C>,
        out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_x, d_t, d_w): (
            Option<GradSlot<'_, T, R, C>>,
            Option<GradSlot<'_, T, R, C>>,
            Option<GradSlot<'_, T, R, 1>>,
        ),
    ) {
        if let Some(d_x) = d_x {
            let scale = d_out[0] * inverse_total(w);
            let () = RowsHaveEntries::<R, C>::ASSERT;
            let max = row_max(x);
            let (d, add) = d_x.into_parts();
            let totals = if add {
                exp_shifted_sums(x, &max)
            } else {
                exp_shifted_into(x, &max, d)
            };
            // Per row: w_r·scale/Σe and the target mass s_r, so the inner loop is one
            // multiply-add per entry.
            let mass = t.column_sum();
            let row_scale = SVector::<T, R>::from_fn(|r, _| w[r] * scale);
            let d_columns = d.as_mut_slice().chunks_exact_mut(R.max(1));
            for ((d_col, x_col), t_col) in d_columns.zip(columns(x)).zip(columns(t)) {
                for (r, (d, (&x, &t))) in d_col.iter_mut().zip(x_col.iter().zip(t_col)).enumerate()
                {
                    let e = if add { shifted(x, max[r]).exp() } else { *d };
                    let g = (e / totals[r] * mass[r] - t) * row_scale[r];
                    *d = if add { *d + g } else { g };
                }
            }
        }
        // The targets' and weights' gradients in place too (not through `backward`, whose R×C
        // temporaries would pass a large matrix through the stack).
        let scale = d_out[0] * inverse_total(w);
        if let Some(d_t) = d_t {
            let max = row_max(x);
            let log_totals = exp_shifted_sums(x, &max).map(T::ln);
            let (d, add) = d_t.into_parts();
            let d_columns = d.as_mut_slice().chunks_exact_mut(R.max(1));
            for (d_col, x_col) in d_columns.zip(columns(x)) {
                for (r, (d, &x)) in d_col.iter_mut().zip(x_col).enumerate() {
                    let g = (log_totals[r] - shifted(x, max[r])) * w[r] * scale;
                    *d = if add { *d + g } else { g };
                }
            }
        }
        if let Some(d_w) = d_w {
            d_w.add_map(&row_losses(x, t), |l| (l - out[0]) * scale);
        }
    }
}

/// Each row's `ℓ_r = Σ_c T[r, c]·(log Σ_k exp(x[r, k] − m_r) − (x[r, c] − m_r))`.
fn row_losses<T: Real, const R: usize, const C: usize>(
    x: &SMatrix<T, R, C>,
    t: &SMatrix<T, R, C>,
) -> SVector<T, R> {
    let () = RowsHaveEntries::<R, C>::ASSERT;
    let max = row_max(x);
    let log_totals = exp_shifted_sums(x, &max).map(T::ln);
    let mut loss = SVector::<T, R>::zeros();
    for (x_col, t_col) in columns(x).zip(columns(t)) {
        for (r, (&x, &t)) in x_col.iter().zip(t_col).enumerate() {
            if t != T::zero() {
                loss[r] += t * (log_totals[r] - shifted(x, max[r])); // 0·log 0 = 0
            }
        }
    }
    loss
}

/// `1 / Σ w`, or 0 when the weights sum to 0 (then the loss and its gradients are 0).
pub(super) fn inverse_total<T: Real, const R: usize>(w: &SMatrix<T, R, 1>) -> T {
    let total = crate::kernels::sum(w.as_slice());
    if total == T::zero() {
        T::zero()
    } else {
        T::one() / total
    }
}

/// `Σ w_r·ℓ_r / Σ w_r` (0 when the weights sum to 0).
pub(super) fn weighted_mean<T: Real, const R: usize>(
    per_row: &SVector<T, R>,
    w: &SMatrix<T, R, 1>,
) -> T {
    weighted_sum(per_row.as_slice(), w.as_slice()) * inverse_total(w)
}

/// `Σ wᵢ·ℓᵢ` over the terms of nonzero weight: a zero weight (a padding row, a class the
/// target gives no mass) contributes 0 even where `ℓᵢ` is infinite, as 0·log 0 = 0 in a
/// cross-entropy, instead of 0·∞ = NaN.
pub(super) fn weighted_sum<T: Real>(values: &[T], weights: &[T]) -> T {
    let terms = values.iter().zip(weights);
    terms.fold(T::zero(), |total, (&l, &w)| {
        if w == T::zero() { total } else { total + w * l }
    })
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The weighted mean softmax cross-entropy of these logits against `targets`, row `r`
    /// weighted by `weights[r]`, 1×1; see
    /// [`SoftmaxCrossEntropyWeighted`](crate::ops::SoftmaxCrossEntropyWeighted).
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let logits = g.var(Matrix2::new(0.0, 0.0, 9.0, 9.0));
    /// let targets = g.constant(Matrix2::new(1.0, 0.0, 0.0, 1.0));
    /// let weights = g.constant(Vector2::new(3.0, 1.0));
    /// let loss = logits.softmax_cross_entropy_weighted(targets, weights);
    /// assert!((loss.value()[0] - 2f64.ln()).abs() < 1e-15); // both rows cost log 2
    /// ```
    #[track_caller]
    pub fn softmax_cross_entropy_weighted(
        self,
        targets: Var<'g, T, R, C>,
        weights: Var<'g, T, R, 1>,
    ) -> Var<'g, T, 1, 1> {
        let () = WeightedMeanOverRows::<R, C>::ASSERT;
        let () = RowsHaveEntries::<R, C>::ASSERT;
        self.graph()
            .apply(SoftmaxCrossEntropyWeighted, (self, targets, weights))
    }
}

/// The rule of the weighted softmax cross-entropy: R ≥ 1 (a weighted mean over no rows is
/// undefined, as the unweighted mean's [`MeanOverRows`](super::softmax_cross_entropy) is).
/// Evaluated when the code is built, by the sugar method too, so the note points at the
/// caller's line.
struct WeightedMeanOverRows<const R: usize, const C: usize>;

impl<const R: usize, const C: usize> WeightedMeanOverRows<R, C> {
    const ASSERT: () = if R == 0 {
        fail(Self::message())
    };

    const fn message() -> Message {
        Message::new("softmax_cross_entropy_weighted of ")
            .shape(R, C)
            .text(
                " logits: the weighted mean over 0 rows is undefined (R ≥ 1 rows, one per sample)",
            )
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, SMatrix, SVector};

    use super::SoftmaxCrossEntropyWeighted;
    use crate::contract::Op;
    use crate::diff::check::gradcheck;
    use crate::diff::testing::{random, rng};
    use crate::graph::Graph;
    use crate::ops::Labels;

    #[test]
    fn weights_of_one_give_the_unweighted_loss_and_gradient() {
        let x: SMatrix<f64, 4, 3> = random(&mut rng(440)) * 3.0;
        let labels = Labels::<4, 3>::new([2, 0, 1, 2]).unwrap();
        let g = Graph::<f64>::new();
        let logits = g.var(x);
        let t = g.constant(labels.one_hot());
        let plain = logits.softmax_cross_entropy(&labels);
        let weighted = logits.softmax_cross_entropy_weighted(t, g.constant(SVector::repeat(1.0)));
        assert!((plain.value()[0] - weighted.value()[0]).abs() < 1e-15);
        let d_plain = *plain.backward().wrt(logits);
        let d_weighted = *weighted.backward().wrt(logits);
        assert!((d_plain - d_weighted).amax() < 1e-16);
    }

    #[test]
    fn zero_weight_rows_are_left_out_of_the_mean() {
        // Rows 0..2 real, rows 2..4 padding with arbitrary contents.
        let mut rng = rng(441);
        let x: SMatrix<f64, 4, 3> = random(&mut rng) * 2.0;
        let labels = Labels::<4, 3>::new([1, 2, 0, 0]).unwrap();
        let g = Graph::<f64>::new();
        let logits = g.var(x);
        let weighted = logits.softmax_cross_entropy_weighted(
            g.constant(labels.one_hot()),
            g.constant(SVector::<f64, 4>::new(1.0, 1.0, 0.0, 0.0)),
        );
        let real = g.var(x.fixed_rows::<2>(0).into_owned());
        let alone = real.softmax_cross_entropy(&Labels::new([1, 2]).unwrap());
        assert!((weighted.value()[0] - alone.value()[0]).abs() < 1e-15);
        let d_weighted = *weighted.backward().wrt(logits);
        let d_alone = *alone.backward().wrt(real);
        assert!((d_weighted.fixed_rows::<2>(0) - d_alone).amax() < 1e-16);
        assert_eq!(d_weighted.fixed_rows::<2>(2).amax(), 0.0);
    }

    #[test]
    fn all_zero_weights_give_zero_loss_and_gradients() {
        let g = Graph::<f64>::new();
        let logits = g.var(SMatrix::<f64, 2, 3>::repeat(1.0));
        let w = g.var(SVector::<f64, 2>::zeros());
        let loss = logits.softmax_cross_entropy_weighted(g.constant(SMatrix::repeat(0.5)), w);
        assert_eq!(loss.value()[0], 0.0);
        let grads = loss.backward();
        assert_eq!(grads.wrt(logits).amax(), 0.0);
        assert_eq!(grads.wrt(w).amax(), 0.0);
    }

    #[test]
    fn gradcheck_of_every_input_and_the_fast_path_matches_backward() {
        let mut rng = rng(442);
        let x = random::<5, 4>(&mut rng) * 3.0;
        let t = random::<5, 4>(&mut rng).map(|v| v.abs() + 0.1);
        let w = random::<5, 1>(&mut rng).map(|v| v.abs() + 0.2);
        let g = Graph::<f64>::new();
        let (xv, tv, wv) = (g.var(x), g.var(t), g.var(w));
        let loss = xv.softmax_cross_entropy_weighted(tv, wv);
        let report = gradcheck(loss, &crate::diff::testing::tight());
        assert!(report.passed(), "{report}");

        let seed = Matrix1::new(1.7);
        let op = SoftmaxCrossEntropyWeighted;
        let want = op.backward((&x, &t, &w), &loss.value(), &seed);
        let grads = loss.backward_with(seed);
        assert!((grads.wrt(xv) - want.0).amax() < 1e-14);
        assert!((grads.wrt(tv) - want.1).amax() < 1e-14);
        assert!((grads.wrt(wv) - want.2).amax() < 1e-14);
        drop(grads);
        // A fork: the second pass adds to the first use's gradient instead of overwriting.
        let twice = xv.softmax_cross_entropy_weighted(tv, wv) + loss;
        let grads = twice.backward_with(seed);
        assert!((grads.wrt(xv) - want.0 * 2.0).amax() < 1e-14);
        // f32 agrees with f64.
        let g32 = Graph::<f32>::new();
        let x32 = g32.var(x.cast::<f32>());
        let loss32 =
            x32.softmax_cross_entropy_weighted(g32.constant(t.cast()), g32.constant(w.cast()));
        assert!((loss32.value()[0] as f64 - loss.value()[0]).abs() < 1e-5);
        let d32 = loss32.backward().wrt(x32).cast::<f64>();
        assert!((d32 - want.0 / 1.7).amax() < 1e-5);
    }

    #[test]
    fn infinite_logits_give_the_limits_and_padding_rows_are_ignored() {
        let inf = f64::INFINITY;
        let g = Graph::<f64>::new();
        // Row 0: the label's logit is one of two at +∞ (loss ln 2); row 1 is padding whose
        // loss would be +∞ (mass on a logit of −∞).
        let x = g.var(nalgebra::Matrix2x3::new(inf, inf, 0.0, -inf, 0.0, 1.0));
        let t = g.constant(nalgebra::Matrix2x3::new(1.0, 0.0, 0.0, 1.0, 0.0, 0.0));
        let w = g.constant(nalgebra::Vector2::new(1.0, 0.0));
        let loss = x.softmax_cross_entropy_weighted(t, w);
        assert!(
            (loss.value()[0] - 2f64.ln()).abs() < 1e-15,
            "{}",
            loss.value()
        );
        let d_x = *loss.backward().wrt(x);
        assert_eq!(d_x, nalgebra::Matrix2x3::new(-0.5, 0.5, 0.0, 0.0, 0.0, 0.0));
    }

    #[test]
    fn logits_of_a_thousand_give_finite_values() {
        let g = Graph::<f64>::new();
        let x = g.var(nalgebra::Matrix1x3::new(1000.0, -1000.0, 0.0));
        let t = g.constant(nalgebra::Matrix1x3::new(0.0, 1.0, 0.0));
        let loss = x.softmax_cross_entropy_weighted(t, g.constant(Matrix1::new(2.0)));
        assert_eq!(loss.value()[0], 2000.0);
        assert_eq!(
            *loss.backward().wrt(x),
            nalgebra::Matrix1x3::new(1.0, -1.0, 0.0)
        );
    }
}
