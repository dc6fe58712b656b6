use nalgebra::{Matrix1, SMatrix, SVector};

use super::softmax_cross_entropy_weighted::{Inputs3, Refs3, inverse_total, weighted_mean};
use crate::contract::scratch::with_scratch;
use crate::contract::shape::{Message, fail};
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::{Real, columns};

/// Mean squared error with each row weighted, averaged over the weights:
/// `Σ_r w_r·ℓ_r / Σ_r w_r` with `ℓ_r = Σ_c (a[r, c] − b[r, c])² / C`.
///
/// ```text
/// Shape:    (R×C), (R×C), (R×1) → (1×1)
/// Gradient: dA = dOut·2·w_r·(A − B)/(C·W) (R×C), W = Σ_r w_r;  dB = −dA
///           dw = dOut·(ℓ_r − L)/W (R×1), L the loss
/// ```
///
/// With all weights equal it is [`Mse`](crate::ops::Mse) (the mean over all R·C entries);
/// with weights 1 for a batch's real rows and 0 for its padding, it is the mean over the real
/// rows only. If every weight is 0 the loss and all gradients are 0. Targets and weights are
/// inputs, so a graph built once is replayed on every batch (make them constants and
/// [`Var::set_value`] them). Sugar: `prediction.mse_weighted(targets, weights)`.
///
/// ```
/// use nalgebra::{Matrix3x2, Vector3};
/// use shapegrad::Graph;
///
/// let g = Graph::<f64>::new();
/// let prediction = g.var(Matrix3x2::new(1.0, 2.0, 3.0, 4.0, 9.0, 9.0));
/// let targets = g.constant(Matrix3x2::new(0.0, 2.0, 3.0, 2.0, 0.0, 0.0));
/// let weights = g.constant(Vector3::new(1.0, 1.0, 0.0)); // row 2 is padding
/// let loss = prediction.mse_weighted(targets, weights);
/// assert_eq!(loss.value()[0], (1.0 + 4.0) / 4.0); // the mean over rows 0 and 1
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct MseWeighted;

impl<T: Real, const R: usize, const C: usize> Op<T, Inputs3<T, R, C>> for MseWeighted {
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("MseWeighted"))
    }

    fn name(&self) -> &'static str {
        "mse_weighted"
    }

    fn forward(&self, (a, b, w): Refs3<'_, T, R, C>) -> Matrix1<T> {
        Matrix1::new(weighted_mean(&row_errors(a, b), w))
    }

    fn backward(
        &self,
        (a, b, w): Refs3<'_, T, R, C>,
        out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> Inputs3<T, R, C> {
        let scale = d_out[0] * inverse_total(w);
        let two_over_c: T = nalgebra::convert(2.0 / C as f64);
        let d_a = SMatrix::from_fn(|r, c| (a[(r, c)] - b[(r, c)]) * two_over_c * w[r] * scale);
        let d_b = -d_a;
        let d_w = row_errors(a, b).map(|l| (l - out[0]) * scale);
        (d_a, d_b, d_w)
    }

    /// The same weighted mean, from the row errors summed column by column (in the order of
    /// `row_errors`, without its row differences) in a scratch column: no R×C or R×1
    /// temporary on the stack when large, so a large matrix never goes through the stack.
    fn forward_into(&self, (a, b, w): Refs3<'_, T, R, C>, out: &mut Matrix1<T>) {
        out[0] = with_row_errors(a, b, |errors| weighted_mean(errors, w));
    }

    /// The same, written into the slots in place: `dA` and `dB` entry by entry, column by
    /// column, and `dw` from the row errors as in `forward_into`.
    fn backward_into(
        &self,
        (a, b, w): Refs3<'_, T, R, C>,
        out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_a, d_b, d_w): (
            Option<GradSlot<'_, T, R, C>>,
            Option<GradSlot<'_, T, R, C>>,
            Option<GradSlot<'_, T, R, 1>>,
        ),
    ) {
        let scale = d_out[0] * inverse_total(w);
        let two_over_c: T = nalgebra::convert(2.0 / C as f64);
        // `negate` for dB = −dA, negated after the product as in `backward`.
        let write = |slot: GradSlot<'_, T, R, C>, negate: bool| {
            let (d, add) = slot.into_parts();
            let d_columns = d.as_mut_slice().chunks_exact_mut(R.max(1));
            for ((d_col, a_col), b_col) in d_columns.zip(columns(a)).zip(columns(b)) {
                for (((d, &a), &b), &w) in d_col.iter_mut().zip(a_col).zip(b_col).zip(w.iter()) {
                    let g = (a - b) * two_over_c * w * scale;
                    let g = if negate { -g } else { g };
                    *d = if add { *d + g } else { g };
                }
            }
        };
        if let Some(d_a) = d_a {
            write(d_a, false);
        }
        if let Some(d_b) = d_b {
            write(d_b, true);
        }
        if let Some(d_w) = d_w {
            let (d, add) = d_w.into_parts();
            with_row_errors(a, b, |errors| {
                for (d, &l) in d.iter_mut().zip(errors) {
                    let g = (l - out[0]) * scale;
                    *d = if add { *d + g } else { g };
                }
            });
        }
    }
}

/// Each row's `ℓ_r = Σ_c (a[r, c] − b[r, c])² / C`.
fn row_errors<T: Real, const R: usize, const C: usize>(
    a: &SMatrix<T, R, C>,
    b: &SMatrix<T, R, C>,
) -> SVector<T, R> {
    let () = RowsToAverage::<R, C>::ASSERT;
    let c: T = nalgebra::convert(C as f64);
    SVector::from_fn(|r, _| (a.row(r) - b.row(r)).norm_squared() / c)
}

/// Calls `f` with [`row_errors`], the same values summed in the same order, but column by
/// column into a scratch column (on the stack when small, in a per-thread heap buffer when
/// large) instead of a 1×C row difference per row.
fn with_row_errors<T: Real, const R: usize, const C: usize, Out>(
    a: &SMatrix<T, R, C>,
    b: &SMatrix<T, R, C>,
    f: impl FnOnce(&SVector<T, R>) -> Out,
) -> Out {
    let () = RowsToAverage::<R, C>::ASSERT;
    let c: T = nalgebra::convert(C as f64);
    with_scratch::<T, R, 1, _>(|errors| {
        errors.as_mut_slice().fill(T::zero());
        for (a_col, b_col) in columns(a).zip(columns(b)) {
            for ((e, &a), &b) in errors.iter_mut().zip(a_col).zip(b_col) {
                let d = a - b;
                *e += d * d;
            }
        }
        errors.apply(|e| *e /= c);
        f(errors)
    })
}

/// The rules of `mse_weighted`, a weighted mean over the rows of row losses that are means
/// over the columns: R ≥ 1 and C ≥ 1. Evaluated when the code is built, by the sugar method
/// too, so the note points at the caller's line.
struct RowsToAverage<const R: usize, const C: usize>;

impl<const R: usize, const C: usize> RowsToAverage<R, C> {
    const ASSERT: () = if R == 0 || C == 0 {
        fail(Self::message())
    };

    const fn message() -> Message {
        let message = Message::new("mse_weighted of ").shape(R, C);
        if R == 0 {
            message.text(" matrices: the weighted mean over 0 rows is undefined (R ≥ 1 rows)")
        } else {
            message.text(" matrices: rows of 0 entries have no mean (C ≥ 1 columns)")
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The weighted mean squared error between `self` and `targets`, row `r` weighted by
    /// `weights[r]`, 1×1; see [`MseWeighted`](crate::ops::MseWeighted).
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let y = g.var(Vector2::new(1.0, 3.0));
    /// let t = g.constant(Vector2::zeros());
    /// let w = g.constant(Vector2::new(0.0, 1.0));
    /// assert_eq!(y.mse_weighted(t, w).value()[0], 9.0);
    /// ```
    #[track_caller]
    pub fn mse_weighted(
        self,
        targets: Var<'g, T, R, C>,
        weights: Var<'g, T, R, 1>,
    ) -> Var<'g, T, 1, 1> {
        let () = RowsToAverage::<R, C>::ASSERT;
        self.graph().apply(MseWeighted, (self, targets, weights))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, SMatrix, SVector};

    use super::MseWeighted;
    use crate::contract::Op;
    use crate::diff::check::gradcheck;
    use crate::diff::testing::{assert_close, random, rng};
    use crate::graph::Graph;

    #[test]
    fn equal_weights_give_the_plain_mse() {
        let mut rng = rng(450);
        let (a, b) = (random::<4, 3>(&mut rng), random::<4, 3>(&mut rng));
        let g = Graph::<f64>::new();
        let (av, bv) = (g.var(a), g.constant(b));
        let plain = av.mse(bv);
        let weighted = av.mse_weighted(bv, g.constant(SVector::repeat(2.5)));
        assert!((plain.value()[0] - weighted.value()[0]).abs() < 1e-15);
        let d_plain = *plain.backward().wrt(av);
        assert!((d_plain - weighted.backward().wrt(av)).amax() < 1e-15);
    }

    #[test]
    fn zero_weight_rows_are_left_out_and_all_zero_weights_give_zero() {
        let mut rng = rng(451);
        let (a, b) = (random::<3, 2>(&mut rng), random::<3, 2>(&mut rng));
        let g = Graph::<f64>::new();
        let av = g.var(a);
        let w = g.constant(SVector::<f64, 3>::new(1.0, 0.0, 1.0));
        let loss = av.mse_weighted(g.constant(b), w);
        let want =
            ((a.row(0) - b.row(0)).norm_squared() + (a.row(2) - b.row(2)).norm_squared()) / 4.0;
        assert!((loss.value()[0] - want).abs() < 1e-15);
        assert_eq!(loss.backward().wrt(av).row(1).amax(), 0.0);
        w.set_value(SVector::zeros());
        assert_eq!(loss.value()[0], 0.0);
        assert_eq!(loss.backward().wrt(av).amax(), 0.0);
    }

    #[test]
    fn gradcheck_of_every_input_and_the_graph_matches_backward() {
        let mut rng = rng(452);
        let (a, b) = (random::<5, 3>(&mut rng), random::<5, 3>(&mut rng));
        let w: SMatrix<f64, 5, 1> = random::<5, 1>(&mut rng).map(|v| v.abs() + 0.1);
        let g = Graph::<f64>::new();
        let (av, bv, wv) = (g.var(a), g.var(b), g.var(w));
        let loss = av.mse_weighted(bv, wv);
        let report = gradcheck(loss, &crate::diff::testing::tight());
        assert!(report.passed(), "{report}");
        let seed = Matrix1::new(-0.5);
        let want = MseWeighted.backward((&a, &b, &w), &loss.value(), &seed);
        let grads = loss.backward_with(seed);
        assert!((grads.wrt(av) - want.0).amax() < 1e-15);
        assert!((grads.wrt(bv) - want.1).amax() < 1e-15);
        assert!((grads.wrt(wv) - want.2).amax() < 1e-15);
    }

    /// What `check_binary` checks, for three inputs: through the graph (`forward_into`,
    /// `backward_into`) against `Op::forward` and `Op::backward` called directly, in a second
    /// pass (the buffers are overwritten, not added to), where every input feeds the op twice
    /// (the first-created use adds to the other's gradient), with constants (no slot), and in
    /// f32. Row 0's weight is 0 (a padding row) when there are other rows.
    fn check_graph_against_backward<const R: usize, const C: usize>(seed: u64) {
        let mut rng = rng(seed);
        let (a, b) = (random::<R, C>(&mut rng), random::<R, C>(&mut rng));
        let mut w: SMatrix<f64, R, 1> = random::<R, 1>(&mut rng).map(|v| v.abs() + 0.1);
        if R > 1 {
            w[0] = 0.0;
        }
        let upstream = Matrix1::new(-0.7);
        let forward = MseWeighted.forward((&a, &b, &w));
        let (d_a, d_b, d_w) = MseWeighted.backward((&a, &b, &w), &forward, &upstream);

        let g = Graph::<f64>::new();
        let (av, bv, wv) = (g.var(a), g.var(b), g.var(w));
        let loss = av.mse_weighted(bv, wv);
        assert_close("graph vs Op::forward", &loss.value(), &forward, 1e-12);
        for pass in ["first pass", "second pass"] {
            let grads = loss.backward_with(upstream);
            assert_close(pass, grads.wrt(av), &d_a, 1e-12);
            assert_close(pass, grads.wrt(bv), &d_b, 1e-12);
            assert_close(pass, grads.wrt(wv), &d_w, 1e-12);
        }
        let twice = av.mse_weighted(bv, wv) + av.mse_weighted(bv, wv);
        let grads = twice.backward_with(upstream);
        assert_close("fork (a)", grads.wrt(av), &(d_a * 2.0), 1e-12);
        assert_close("fork (b)", grads.wrt(bv), &(d_b * 2.0), 1e-12);
        assert_close("fork (w)", grads.wrt(wv), &(d_w * 2.0), 1e-12);
        drop(grads);
        let (b_const, w_const) = (g.constant(b), g.constant(w));
        let grads = av.mse_weighted(b_const, w_const).backward_with(upstream);
        assert_close("constants (a)", grads.wrt(av), &d_a, 1e-12);
        assert!(grads.get(b_const).is_none() && grads.get(w_const).is_none());
        drop(grads);

        let g32 = Graph::<f32>::new();
        let (a32, b32) = (g32.var(a.cast::<f32>()), g32.var(b.cast::<f32>()));
        let w32 = g32.var(w.cast::<f32>());
        let loss32 = a32.mse_weighted(b32, w32);
        let value32 = loss32.value().cast::<f64>();
        assert_close("f32 forward", &value32, &forward, 1e-5);
        let grads32 = loss32.backward_with(upstream.cast::<f32>());
        assert_close("f32 (a)", &grads32.wrt(a32).cast::<f64>(), &d_a, 1e-5);
        assert_close("f32 (b)", &grads32.wrt(b32).cast::<f64>(), &d_b, 1e-5);
        assert_close("f32 (w)", &grads32.wrt(w32).cast::<f64>(), &d_w, 1e-5);
    }

    #[test]
    fn the_graph_matches_forward_and_backward_in_passes_forks_and_f32() {
        check_graph_against_backward::<5, 3>(453);
        check_graph_against_backward::<1, 1>(454);
        check_graph_against_backward::<4, 1>(455);
        check_graph_against_backward::<2, 7>(456);
        // Row errors of 2100 rows (16.8 KB) go to the heap scratch buffer, stale between uses.
        check_graph_against_backward::<2100, 2>(457);
    }
}
