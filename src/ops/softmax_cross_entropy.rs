use nalgebra::{Matrix1, SMatrix};

use super::softmax::{shift_rows, softmax_rows};
use crate::contract::shape::{Message, RowsHaveEntries, fail};
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::{cross_entropy_sum, softmax_minus_one_hot};
use crate::ops::Labels;

/// Softmax cross-entropy with class labels, averaged over the rows (samples): the mean over
/// `r` of `−log softmax(x)[r, labelᵣ]`, fused into one op.
///
/// ```text
/// Shape:    (R×C), Labels<R, C> → (1×1)
/// Gradient: dA = dOut·(P − Y)/R (R×C), P = softmax(x) row-wise, Y = labels.one_hot()
/// ```
///
/// Numerically stable: each row's loss is computed as `log Σₖ exp(x[r, k] − m) − (x[r, l] − m)`
/// with `m` the row's maximum, never as `−log P`, so a correct-class probability that
/// underflows to 0 still gives a finite loss (logits `[−1000, 1000, 1000]` with label 0 cost
/// `2000 + log 2`, not ∞), and the fused backward `(P − Y)/R` has no division by P.
///
/// Infinite logits give the limits, not NaN: a row's entries at +∞ share its probability
/// equally (k of them: 1/k each, every other entry 0), and a row of −∞ only is uniform (its
/// logits are all equal). So a row's loss is ln k when its label's logit is one of k at +∞,
/// +∞ when another entry is +∞ or the label's logit is −∞, and finite otherwise; the gradient
/// `(P − Y)/R` stays finite. A NaN logit makes its row's loss and gradient NaN.
///
/// Shapes: the logits' `R` and `C` must be the labels' (typed equality), so labels for 2 rows
/// or 4 classes do not compile with 3×5 logits; [`Labels::new`] has checked every index, so
/// the op cannot fail. A const assertion rejects R = 0 (a mean over no rows) and C = 0 when
/// the op is built. The labels are part of the op: on a replayed tape
/// ([`Var::set_value`]) they stay the same. Sugar: `x.softmax_cross_entropy(&labels)`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Labels, Var};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix2x3::new(0.0, 2f64.ln(), 3f64.ln(), 5.0, 5.0, 5.0));
/// let labels = Labels::new([2, 0])?;
/// let loss: Var<'_, f64, 1, 1> = x.softmax_cross_entropy(&labels);
/// // −(log ½ + log ⅓) / 2
/// assert!((loss.value()[0] - (2f64.ln() + 3f64.ln()) / 2.0).abs() < 1e-15);
/// # Ok::<(), shapegrad::LabelError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftmaxCrossEntropy<const R: usize, const C: usize>(pub Labels<R, C>);

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)>
    for SoftmaxCrossEntropy<R, C>
{
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        let labels = RustExpr::usizes(self.0.as_array());
        let labels = RustExpr::call("shapegrad::codegen::labels", [labels]);
        Some(RustExpr::call(
            "shapegrad::ops::SoftmaxCrossEntropy",
            [labels],
        ))
    }

    fn name(&self) -> &'static str {
        "softmax_cross_entropy"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> Matrix1<T> {
        let shifted = shift_rows(a);
        let mut total = T::zero();
        for (row, &label) in shifted.row_iter().zip(self.0.as_array()) {
            total += row.map(T::exp).sum().ln() - row[label];
        }
        Matrix1::new(total / rows::<T, R, C>())
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> (SMatrix<T, R, C>,) {
        let scale = d_out[0] / rows::<T, R, C>();
        let mut d_a = softmax_rows(a);
        for (r, &label) in self.0.as_array().iter().enumerate() {
            d_a[(r, label)] -= T::one();
        }
        (d_a * scale,)
    }

    /// The same, walking the column-major storage column by column, without temporaries.
    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut Matrix1<T>) {
        out[0] = cross_entropy_sum(a, self.0.as_array()) / rows::<T, R, C>();
    }

    #[inline]
    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let scale = d_out[0] / rows::<T, R, C>();
            softmax_minus_one_hot(a, self.0.as_array(), scale, d_a.into_parts());
        }
    }
}

/// R as a `T`; R = 0 is rejected when the op is built (a mean over no rows).
fn rows<T: Real, const R: usize, const C: usize>() -> T {
    let () = RowsHaveEntries::<R, C>::ASSERT;
    let () = MeanOverRows::<R, C>::ASSERT;
    nalgebra::convert(R as f64)
}

/// The rule of the softmax cross-entropies averaged over the rows: R ≥ 1 (C ≥ 1 is
/// [`RowsHaveEntries`]'s). Evaluated when the code is built, by the sugar methods too, so the note
/// points at the caller's line.
pub(super) struct MeanOverRows<const R: usize, const C: usize>;

impl<const R: usize, const C: usize> MeanOverRows<R, C> {
    pub(super) const ASSERT: () = if R == 0 {
        fail(Self::message())
    };

    const fn message() -> Message {
        Message::new("softmax cross-entropy of ")
            .shape(R, C)
            .text(" logits: the mean over 0 rows is undefined (R ≥ 1 rows, one per sample)")
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The mean softmax cross-entropy of these logits (one row per sample) with `labels`, 1×1;
    /// see [`SoftmaxCrossEntropy`](crate::ops::SoftmaxCrossEntropy).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let logits = g.var(nalgebra::Matrix1x2::new(0.0, 0.0));
    /// let labels = shapegrad::Labels::new([1]).unwrap();
    /// let loss = logits.softmax_cross_entropy(&labels);
    /// assert!((loss.value()[0] - 2f64.ln()).abs() < 1e-15); // −log ½
    /// ```
    #[track_caller]
    pub fn softmax_cross_entropy(self, labels: &Labels<R, C>) -> Var<'g, T, 1, 1> {
        let () = MeanOverRows::<R, C>::ASSERT;
        let () = RowsHaveEntries::<R, C>::ASSERT;
        self.graph().apply(SoftmaxCrossEntropy(*labels), (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix1x3, Matrix2x3, SMatrix};
    use rand::RngExt;

    use super::SoftmaxCrossEntropy;
    use crate::contract::Op;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;
    use crate::ops::Labels;

    #[test]
    fn forward_is_the_mean_negative_log_probability_of_the_label() {
        let x: SMatrix<f64, 4, 3> = random(&mut rng(420));
        let labels = Labels::<4, 3>::new([1, 0, 2, 1]).unwrap();
        let g = Graph::<f64>::new();
        let loss = g.var(x).softmax_cross_entropy(&labels).value()[0];
        // Hand-written from the definition (fine for small logits).
        let mut expected = 0.0;
        for (r, &l) in labels.as_array().iter().enumerate() {
            let row = x.row(r).map(f64::exp);
            expected -= (row[l] / row.sum()).ln();
        }
        assert!(
            (loss - expected / 4.0).abs() < 1e-15,
            "{loss} vs {}",
            expected / 4.0
        );
    }

    #[test]
    fn gradcheck_random_logits_and_labels() {
        let mut rng = rng(421);
        let classes: [usize; 5] = std::array::from_fn(|_| rng.random_range(0..4));
        let op = SoftmaxCrossEntropy(Labels::<5, 4>::new(classes).unwrap());
        check_unary(op, op, random::<5, 4>(&mut rng) * 3.0);
        let one = SoftmaxCrossEntropy(Labels::<1, 6>::new([5]).unwrap());
        check_unary(one, one, random::<1, 6>(&mut rng));
        let single_class = SoftmaxCrossEntropy(Labels::<3, 1>::new([0; 3]).unwrap());
        check_unary(single_class, single_class, random::<3, 1>(&mut rng)); // loss 0, dA 0
    }

    #[test]
    fn backward_is_p_minus_one_hot_over_r() {
        let x: SMatrix<f64, 3, 4> = random(&mut rng(422));
        let labels = Labels::<3, 4>::new([3, 3, 0]).unwrap();
        let g = Graph::<f64>::new();
        let v = g.var(x);
        let p = v.softmax().value();
        let grads = v
            .softmax_cross_entropy(&labels)
            .backward_with(Matrix1::new(2.0));
        let expected = (p - labels.one_hot::<f64>()) * (2.0 / 3.0);
        assert!((grads.wrt(v) - expected).amax() < 1e-15);
    }

    #[test]
    fn logits_of_a_thousand_give_finite_values_and_gradients() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(1000.0, -1000.0, 0.0));
        for (label, loss) in [(0, 0.0), (1, 2000.0), (2, 1000.0)] {
            let ce = x.softmax_cross_entropy(&Labels::new([label]).unwrap());
            assert_eq!(ce.value()[0], loss);
            let d_x = *ce.backward().wrt(x);
            let mut expected = Matrix1x3::new(1.0, 0.0, 0.0); // P
            expected[label] -= 1.0;
            assert_eq!(d_x, expected);
        }
    }

    #[test]
    fn infinite_logits_give_the_limits() {
        let (inf, ln2, ln3) = (f64::INFINITY, 2f64.ln(), 3f64.ln());
        // (logits, label, loss, P): the +∞ entries share the probability; all −∞ is uniform.
        let cases = [
            ([inf, 0.0, -inf], 0, 0.0, [1.0, 0.0, 0.0]),
            ([inf, 0.0, -inf], 1, inf, [1.0, 0.0, 0.0]),
            ([inf, inf, 1.0], 0, ln2, [0.5, 0.5, 0.0]),
            ([-inf, -inf, -inf], 1, ln3, [1.0 / 3.0; 3]),
            ([-inf, 0.0, 0.0], 0, inf, [0.0, 0.5, 0.5]),
            ([-inf, 0.0, 0.0], 2, ln2, [0.0, 0.5, 0.5]),
        ];
        for (logits, label, loss, p) in cases {
            let x = Matrix1x3::from_row_slice(&logits);
            let labels = Labels::new([label]).unwrap();
            let op = SoftmaxCrossEntropy(labels);
            let mut d_want = Matrix1x3::from_row_slice(&p);
            d_want[label] -= 1.0;
            let direct = Op::<f64, _>::forward(&op, (&x,))[0];
            let (d_direct,) = op.backward((&x,), &Matrix1::new(loss), &Matrix1::new(1.0));
            let g = Graph::<f64>::new();
            let v = g.var(x);
            let ce = v.softmax_cross_entropy(&labels);
            for (what, value) in [("forward", direct), ("graph", ce.value()[0])] {
                let close = value == loss || (value - loss).abs() < 1e-15;
                assert!(close, "{what} {logits:?}: {value}");
            }
            assert!((d_direct - d_want).amax() < 1e-15, "{logits:?}: {d_direct}");
            assert!((ce.backward().wrt(v) - d_want).amax() < 1e-15, "{logits:?}");
        }
        let g = Graph::<f64>::new();
        let nan = g.var(Matrix1x3::new(f64::NAN, 0.0, 1.0));
        assert!(
            nan.softmax_cross_entropy(&Labels::new([1]).unwrap())
                .value()[0]
                .is_nan()
        );
    }

    #[test]
    fn an_underflowing_correct_class_probability_gives_a_finite_loss() {
        // Row 0: the correct class has logit −1000 against 1000, 1000: P = e^−2000/2 = 0 in f64,
        // so −log P would be ∞; the loss is 2000 + log 2. Row 1 is ordinary: −log ½.
        let g = Graph::<f64>::new();
        let x = g.var(Matrix2x3::new(
            -1000.0,
            1000.0,
            1000.0,
            0.0,
            2f64.ln(),
            3f64.ln(),
        ));
        let naive_p = x.softmax().value()[(0, 0)];
        assert_eq!(-naive_p.ln(), f64::INFINITY);
        let loss = x.softmax_cross_entropy(&Labels::new([0, 2]).unwrap());
        let ln2 = 2f64.ln();
        let value = loss.value()[0];
        assert!(value.is_finite());
        assert!(
            (value - (2000.0 + ln2 + ln2) / 2.0).abs() < 1e-12,
            "{value}"
        );
        let grads = loss.backward();
        // (P − Y)/2 per row: ((0, ½, ½) − e₀)/2 and ((⅙, ⅓, ½) − e₂)/2.
        let expected = Matrix2x3::new(-0.5, 0.25, 0.25, 1.0 / 12.0, 1.0 / 6.0, -0.25);
        assert!((grads.wrt(x) - expected).amax() < 1e-15, "{}", grads.wrt(x));
    }
}
