use nalgebra::{Matrix1, SMatrix};

use super::softmax_cross_entropy::MeanOverRows;
use super::softmax_cross_entropy_weighted::weighted_sum;
use crate::contract::shape::RowsHaveEntries;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::{columns, exp_shifted_into, exp_shifted_sums, row_max, shifted};

/// Softmax cross-entropy against target distributions given as a matrix, averaged over the
/// rows: the mean over `r` of `−Σ_c T[r, c]·log softmax(x)[r, c]`.
///
/// ```text
/// Shape:    (R×C), (R×C) → (1×1)
/// Gradient: dX = dOut·(P∘s − T)/R (R×C), s[r] = Σ_c T[r, c], P = softmax(x) row-wise
///           dT = −dOut·log softmax(x)/R (R×C)
/// ```
///
/// With one-hot rows (`Labels::one_hot`), this is
/// [`SoftmaxCrossEntropy`](crate::ops::SoftmaxCrossEntropy) (dX = (P − Y)/R); rows may also be
/// soft labels (any non-negative weights; with rows summing to 1, dX = (P − T)/R). Because the
/// targets are an input rather than part of the op, a built graph can be replayed on the next
/// batch: make the targets a [`Graph::constant`](crate::Graph::constant) and give it the new
/// batch's one-hot labels with [`Var::set_value`]. The targets may also be a var (their
/// gradient is `−log softmax(x)/R`).
///
/// Stable like the label version: each row is shifted by its maximum and the loss uses
/// `log Σ exp(x − m) − (x − m)`, never `log P`, so logits of ±1000 give finite values and
/// gradients. Infinite logits give the limits, as in the label version (the +∞ entries of a
/// row share its probability, a row of −∞ only is uniform), and a target of 0 contributes 0
/// where its probability is 0 (0·log 0 = 0): a row's loss is +∞ only when a class with
/// target mass has probability 0, and `dX` stays finite (`dT` is +∞ there, as −log 0).
/// The shapes must be equal (typed equality). Sugar:
/// `x.softmax_cross_entropy_targets(t)`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Labels, Var};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix2x3::new(0.0, 2f64.ln(), 3f64.ln(), 5.0, 5.0, 5.0));
/// let targets = g.constant(Labels::<2, 3>::new([2, 0])?.one_hot());
/// let loss: Var<'_, f64, 1, 1> = x.softmax_cross_entropy_targets(targets);
/// assert!((loss.value()[0] - (2f64.ln() + 3f64.ln()) / 2.0).abs() < 1e-15);
///
/// // The next batch's labels, on the same graph:
/// targets.set_value(Labels::<2, 3>::new([1, 1])?.one_hot());
/// assert!((loss.value()[0] - (3f64.ln() + 3f64.ln()) / 2.0).abs() < 1e-15);
/// # Ok::<(), shapegrad::LabelError>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SoftmaxCrossEntropyTargets;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>)>
    for SoftmaxCrossEntropyTargets
{
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("SoftmaxCrossEntropyTargets"))
    }

    fn name(&self) -> &'static str {
        "softmax_cross_entropy_targets"
    }

    fn forward(&self, (x, t): (&SMatrix<T, R, C>, &SMatrix<T, R, C>)) -> Matrix1<T> {
        let () = MeanOverRows::<R, C>::ASSERT;
        let total = weighted_sum(negative_log_softmax(x).as_slice(), t.as_slice());
        Matrix1::new(total / nalgebra::convert(R as f64))
    }

    fn backward(
        &self,
        (x, t): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
        let scale = d_out[0] / nalgebra::convert(R as f64);
        // One exponential per entry serves both gradients: e = exp(x − m), P = e / Σe,
        // −log P = log Σe − (x − m).
        let () = RowsHaveEntries::<R, C>::ASSERT;
        let max = row_max(x);
        let mut e = SMatrix::<T, R, C>::zeros();
        let totals = exp_shifted_into(x, &max, &mut e);
        let target_mass = t.column_sum();
        let d_x =
            SMatrix::from_fn(|r, c| (e[(r, c)] / totals[r] * target_mass[r] - t[(r, c)]) * scale);
        let d_t = SMatrix::from_fn(|r, c| (totals[r].ln() - shifted(x[(r, c)], max[r])) * scale);
        (d_x, d_t)
    }

    /// The same sum as `forward` (in the same order, skipping targets of 0), walking the
    /// storage column by column without the R×C matrix of `−log softmax(x)`: a large matrix
    /// never goes through the stack.
    fn forward_into(&self, (x, t): (&SMatrix<T, R, C>, &SMatrix<T, R, C>), out: &mut Matrix1<T>) {
        let () = MeanOverRows::<R, C>::ASSERT;
        let () = RowsHaveEntries::<R, C>::ASSERT;
        let max = row_max(x);
        let log_totals = exp_shifted_sums(x, &max).map(T::ln);
        let mut total = T::zero();
        for (x_col, t_col) in columns(x).zip(columns(t)) {
            for (((&x, &t), &m), &log_total) in x_col.iter().zip(t_col).zip(&max).zip(&log_totals) {
                if t != T::zero() {
                    total += t * (log_total - shifted(x, m)); // 0·log 0 = 0
                }
            }
        }
        out[0] = total / nalgebra::convert(R as f64);
    }

    /// The same, written into the slots in place, column by column: when the logits' slot is
    /// overwritten, the exponentials go into it first and become the gradient there (one
    /// exponential per entry); when it is added to, they are computed again per entry.
    fn backward_into(
        &self,
        (x, t): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_x, d_t): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
    ) {
        let scale = d_out[0] / nalgebra::convert(R as f64);
        let () = RowsHaveEntries::<R, C>::ASSERT;
        let max = row_max(x);
        let (d_x, totals) = match d_x {
            Some(d_x) => {
                let (d, add) = d_x.into_parts();
                let totals = if add {
                    exp_shifted_sums(x, &max)
                } else {
                    exp_shifted_into(x, &max, d)
                };
                (Some((d, add)), totals)
            }
            None => (None, exp_shifted_sums(x, &max)),
        };
        if let Some((d, add)) = d_x {
            let target_mass = t.column_sum();
            let d_columns = d.as_mut_slice().chunks_exact_mut(R.max(1));
            for ((d_col, x_col), t_col) in d_columns.zip(columns(x)).zip(columns(t)) {
                for (r, (d, (&x, &t))) in d_col.iter_mut().zip(x_col.iter().zip(t_col)).enumerate()
                {
                    let e = if add { shifted(x, max[r]).exp() } else { *d };
                    let g = (e / totals[r] * target_mass[r] - t) * scale;
                    *d = if add { *d + g } else { g };
                }
            }
        }
        if let Some(d_t) = d_t {
            let log_totals = totals.map(T::ln);
            let (d, add) = d_t.into_parts();
            let d_columns = d.as_mut_slice().chunks_exact_mut(R.max(1));
            for (d_col, x_col) in d_columns.zip(columns(x)) {
                for (r, (d, &x)) in d_col.iter_mut().zip(x_col).enumerate() {
                    let g = (log_totals[r] - shifted(x, max[r])) * scale;
                    *d = if add { *d + g } else { g };
                }
            }
        }
    }
}

/// `−log softmax(x)` row-wise, as `log Σ exp(x − m) − (x − m)`: finite for finite logits.
fn negative_log_softmax<T: Real, const R: usize, const C: usize>(
    x: &SMatrix<T, R, C>,
) -> SMatrix<T, R, C> {
    let () = RowsHaveEntries::<R, C>::ASSERT;
    let max = row_max(x);
    let log_totals = exp_shifted_sums(x, &max).map(T::ln);
    SMatrix::from_fn(|r, c| log_totals[r] - shifted(x[(r, c)], max[r]))
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The mean softmax cross-entropy of these logits (one row per sample) against `targets`
    /// (one distribution per row, e.g. one-hot labels), 1×1; see
    /// [`SoftmaxCrossEntropyTargets`](crate::ops::SoftmaxCrossEntropyTargets).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let logits = g.var(nalgebra::Matrix1x2::new(0.0, 0.0));
    /// let targets = g.constant(nalgebra::Matrix1x2::new(0.25, 0.75)); // soft labels
    /// let loss = logits.softmax_cross_entropy_targets(targets);
    /// assert!((loss.value()[0] - 2f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn softmax_cross_entropy_targets(self, targets: Var<'g, T, R, C>) -> Var<'g, T, 1, 1> {
        let () = MeanOverRows::<R, C>::ASSERT;
        let () = RowsHaveEntries::<R, C>::ASSERT;
        self.graph()
            .apply(SoftmaxCrossEntropyTargets, (self, targets))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, SMatrix};

    use super::SoftmaxCrossEntropyTargets;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;
    use crate::ops::Labels;

    #[test]
    fn one_hot_targets_agree_with_the_label_version() {
        let x: SMatrix<f64, 4, 3> = random(&mut rng(430)) * 4.0;
        let labels = Labels::<4, 3>::new([2, 0, 1, 2]).unwrap();
        let g = Graph::<f64>::new();
        let logits = g.var(x);
        let with_labels = logits.softmax_cross_entropy(&labels);
        let with_targets = logits.softmax_cross_entropy_targets(g.constant(labels.one_hot()));
        assert!((with_labels.value()[0] - with_targets.value()[0]).abs() < 1e-15);
        let d_labels = *with_labels.backward().wrt(logits);
        let d_targets = *with_targets.backward().wrt(logits);
        assert!((d_labels - d_targets).amax() < 1e-16);
    }

    #[test]
    fn gradcheck_random_logits_and_soft_targets() {
        let mut rng = rng(431);
        let x = random::<5, 4>(&mut rng) * 3.0;
        // Non-negative weights, rows not normalised: exercises the target-mass term.
        let t = random::<5, 4>(&mut rng).map(|v| v.abs() + 0.1);
        check_binary(SoftmaxCrossEntropyTargets, SoftmaxCrossEntropyTargets, x, t);
        let x1 = random::<1, 6>(&mut rng);
        let t1 = random::<1, 6>(&mut rng).map(f64::abs);
        check_binary(
            SoftmaxCrossEntropyTargets,
            SoftmaxCrossEntropyTargets,
            x1,
            t1,
        );
        // One-hot and zero rows (targets of 0 are skipped in the loss), and one column.
        let x2 = random::<3, 5>(&mut rng) * 2.0;
        let t2 = SMatrix::<f64, 3, 5>::from_fn(|r, c| if r < 2 && c == 2 * r { 1.0 } else { 0.0 });
        check_binary(
            SoftmaxCrossEntropyTargets,
            SoftmaxCrossEntropyTargets,
            x2,
            t2,
        );
        let x3 = random::<4, 1>(&mut rng);
        let t3 = random::<4, 1>(&mut rng).map(|v| v.abs() + 0.5);
        check_binary(
            SoftmaxCrossEntropyTargets,
            SoftmaxCrossEntropyTargets,
            x3,
            t3,
        );
    }

    #[test]
    fn logits_of_a_thousand_give_finite_values_and_gradients() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(1000.0, -1000.0, 0.0));
        let t = g.var(Matrix1x3::new(0.0, 1.0, 0.0));
        let loss = x.softmax_cross_entropy_targets(t);
        assert_eq!(loss.value()[0], 2000.0);
        let grads = loss.backward();
        assert_eq!(*grads.wrt(x), Matrix1x3::new(1.0, -1.0, 0.0));
        assert_eq!(*grads.wrt(t), Matrix1x3::new(0.0, 2000.0, 1000.0));
    }

    #[test]
    fn infinite_logits_give_the_limits() {
        let inf = f64::INFINITY;
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(0.0, 0.0, -inf));
        let t = g.var(Matrix1x3::new(0.5, 0.5, 0.0)); // no mass where P = 0
        let loss = x.softmax_cross_entropy_targets(t);
        assert!(
            (loss.value()[0] - 2f64.ln()).abs() < 1e-15,
            "{}",
            loss.value()
        );
        let grads = loss.backward();
        assert_eq!(*grads.wrt(x), Matrix1x3::zeros()); // P = T
        assert_eq!(grads.wrt(t)[2], inf); // −log 0
        drop(grads);
        // Two logits at +∞ share the probability; mass on a finite logit costs +∞.
        x.set_value(Matrix1x3::new(inf, inf, 1.0));
        t.set_value(Matrix1x3::new(1.0, 0.0, 0.0));
        assert!((loss.value()[0] - 2f64.ln()).abs() < 1e-15);
        assert_eq!(*loss.backward().wrt(x), Matrix1x3::new(-0.5, 0.5, 0.0));
        t.set_value(Matrix1x3::new(0.0, 0.0, 1.0));
        assert_eq!(loss.value()[0], inf);
        assert_eq!(*loss.backward().wrt(x), Matrix1x3::new(0.5, 0.5, -1.0));
    }

    #[test]
    fn replaying_with_new_targets_matches_a_fresh_graph() {
        let mut rng = rng(432);
        let x: SMatrix<f64, 3, 4> = random(&mut rng);
        let g = Graph::<f64>::new();
        let logits = g.var(x);
        let targets = g.constant(Labels::<3, 4>::new([0, 1, 2]).unwrap().one_hot());
        let loss = logits.softmax_cross_entropy_targets(targets);
        let _ = loss.backward();

        let next = Labels::<3, 4>::new([3, 3, 1]).unwrap();
        targets.set_value(next.one_hot());
        let replayed = (loss.value()[0], *loss.backward().wrt(logits));

        let fresh = Graph::<f64>::new();
        let fresh_logits = fresh.var(x);
        let fresh_loss = fresh_logits.softmax_cross_entropy(&next);
        assert_eq!(replayed.0, fresh_loss.value()[0]);
        assert!((replayed.1 - fresh_loss.backward().wrt(fresh_logits)).amax() < 1e-16);
    }
}
