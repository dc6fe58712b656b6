//! The row-wise ops (softmax, log-softmax, the row maximum), the row-weighted losses and
//! `scale_by` on 500×500 `f64` matrices (2 MB each) on a thread with a 2 MiB stack, as in
//! `big_matrices`: each op's forward and backward must write its output and gradients in
//! place, since in a debug build a single 2 MB temporary overflows the stack and aborts the
//! process. Values and gradients are checked at a few entries against the formulas, computed
//! here by hand (not with the ops' own `forward`/`backward`).

use crate::big_matrices::on_a_small_stack;
use nalgebra::{Matrix1, SMatrix};
use shapegrad::{Graph, boxed};

const N: usize = 500;
type Big = SMatrix<f64, N, N>;
type Column = SMatrix<f64, N, 1>;

/// `|got − want| ≤ 1e-9·max(1, |want|)`, with a message naming the entry.
fn assert_close(what: &str, (r, c): (usize, usize), got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}[{r}, {c}] = {got}, want {want}"
    );
}

/// Logits in [−3, 3] with a few rows shifted by ±700 (where exp alone would overflow or
/// underflow) and one entry at +∞ in row 7.
fn logits() -> Box<Big> {
    let mut x: Box<Big> = boxed::from_fn(|r, c| ((r * 7 + c * 13) % 61) as f64 / 10.0 - 3.0);
    for c in 0..N {
        x[(3, c)] += 700.0;
        x[(4, c)] -= 700.0;
    }
    x[(7, 21)] = f64::INFINITY;
    x
}

/// An upstream gradient with no structure shared with the logits.
fn upstream() -> Box<Big> {
    boxed::from_fn(|r, c| ((r * 5 + c * 11) % 23) as f64 / 23.0 - 0.4)
}

/// Row `r` of the softmax of `x`, by the textbook formula with the row's maximum subtracted
/// (and an infinite maximum taken as the limit: its entries share the probability).
fn softmax_row(x: &Big, r: usize) -> Vec<f64> {
    let m = (0..N).map(|c| x[(r, c)]).fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = (0..N)
        .map(|c| {
            let v = x[(r, c)];
            if m.is_infinite() {
                if v == m { 1.0 } else { 0.0 }
            } else {
                (v - m).exp()
            }
        })
        .collect();
    let total: f64 = e.iter().sum();
    e.iter().map(|e| e / total).collect()
}

/// Row `r`'s `log Σ_c exp(x[r, c])`, with the row's maximum taken out first.
fn log_sum_exp_row(x: &Big, r: usize) -> f64 {
    let m = (0..N).map(|c| x[(r, c)]).fold(f64::NEG_INFINITY, f64::max);
    m + (0..N).map(|c| (x[(r, c)] - m).exp()).sum::<f64>().ln()
}

const ENTRIES: [(usize, usize); 6] = [(0, 0), (3, 17), (4, 499), (250, 250), (499, 1), (7, 21)];

fn softmax() {
    let (x0, u) = (logits(), upstream());
    let g = Graph::<f64>::new();
    let x = g.var_from(&x0);
    let p = x.softmax();
    let p_value: Box<Big> = p.value_boxed();
    let grads = p.backward_with_ref(&u);
    let d_x: &Big = grads.wrt(x);
    // dX[r, c] = P[r, c]·(U[r, c] − Σ_k U[r, k]·P[r, k]).
    for (r, c) in ENTRIES {
        let row = softmax_row(&x0, r);
        assert_close("P", (r, c), p_value[(r, c)], row[c]);
        let dot: f64 = (0..N).map(|k| u[(r, k)] * row[k]).sum();
        assert_close("dX", (r, c), d_x[(r, c)], row[c] * (u[(r, c)] - dot));
    }
    assert_eq!(p_value[(7, 21)], 1.0); // the +∞ logit takes all of row 7
    assert_eq!(p_value[(7, 0)], 0.0);
}

#[test]
fn softmax_of_a_500_by_500_matrix_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(softmax);
}

fn log_softmax() {
    let x0: Box<Big> = boxed::from_fn(|r, c| {
        let shift = if r == 3 { 700.0 } else { 0.0 };
        ((r * 7 + c * 13) % 61) as f64 / 10.0 - 3.0 + shift
    });
    let u = upstream();
    let g = Graph::<f64>::new();
    let x = g.var_from(&x0);
    let y = x.log_softmax();
    let y_value: Box<Big> = y.value_boxed();
    let grads = y.backward_with_ref(&u);
    let d_x: &Big = grads.wrt(x);
    // Y = x − log Σ exp x; dX[r, c] = U[r, c] − P[r, c]·Σ_k U[r, k].
    for (r, c) in [(0, 0), (3, 17), (250, 250), (499, 1), (123, 456)] {
        let want = x0[(r, c)] - log_sum_exp_row(&x0, r);
        assert_close("Y", (r, c), y_value[(r, c)], want);
        let p = want.exp();
        let row_total: f64 = (0..N).map(|k| u[(r, k)]).sum();
        assert_close("dX", (r, c), d_x[(r, c)], u[(r, c)] - p * row_total);
    }
}

#[test]
fn log_softmax_of_a_500_by_500_matrix_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(log_softmax);
}

fn rowwise_max() {
    // Each row's maximum, 60, comes up eight times or more (ties); the gradient goes to the
    // first of them.
    let a0: Box<Big> = boxed::from_fn(|r, c| ((r * 7 + c) % 61) as f64);
    let weights = Column::from_fn(|r, _| 1.0 + r as f64);
    let g = Graph::<f64>::new();
    let a = g.var_from(&a0);
    let m = a.rowwise_max();
    assert_eq!(m.value(), Column::repeat(60.0));
    let grads = m.backward_with(weights);
    let d_a: &Big = grads.wrt(a);
    for r in [0, 1, 2, 250, 499] {
        let first = (0..N).find(|&c| a0[(r, c)] == 60.0).unwrap();
        let ties = (0..N).filter(|&c| a0[(r, c)] == 60.0).count();
        assert!(ties > 1, "row {r} has no tie");
        for c in 0..N {
            let want = if c == first { 1.0 + r as f64 } else { 0.0 };
            assert_eq!(d_a[(r, c)], want, "dA[{r}, {c}]");
        }
    }
}

#[test]
fn rowwise_max_of_a_500_by_500_matrix_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(rowwise_max);
}

fn softmax_cross_entropy_targets() {
    let x0 = logits();
    // Soft targets, not normalised (row masses vary), with zeros (and 0 at row 7's +∞ logit
    // and elsewhere, so the loss stays finite: 0·log 0 = 0).
    let t0: Box<Big> = boxed::from_fn(|r, c| ((r * 3 + c) % 4) as f64 / 4.0);
    let g = Graph::<f64>::new();
    let (x, t) = (g.var_from(&x0), g.var_from(&t0));
    let loss = x.softmax_cross_entropy_targets(t);
    // Row 7 puts mass on finite logits next to +∞: its loss is +∞; the others are finite.
    assert_eq!(loss.value()[0], f64::INFINITY);
    let grads = loss.backward();
    let (d_x, d_t): (&Big, &Big) = (grads.wrt(x), grads.wrt(t));
    let rows = N as f64;
    // dX = (P·s_r − T)/R with s_r = Σ_c T[r, c]; dT = (log Σ exp x − x)/R.
    for (r, c) in ENTRIES {
        let p = softmax_row(&x0, r);
        let mass: f64 = (0..N).map(|k| t0[(r, k)]).sum();
        let want = (p[c] * mass - t0[(r, c)]) / rows;
        assert_close("dX", (r, c), d_x[(r, c)], want);
        if r != 7 {
            let want = (log_sum_exp_row(&x0, r) - x0[(r, c)]) / rows;
            assert_close("dT", (r, c), d_t[(r, c)], want);
        }
    }
    assert_eq!(d_t[(7, 0)], f64::INFINITY); // −log 0 where P = 0
    assert_eq!(d_t[(7, 21)], 0.0); // −log 1
    drop(grads);

    // Without row 7's +∞, the loss is the mean of Σ_c T·(log Σ exp x − x).
    let finite: Box<Big> = boxed::from_fn(|r, c| if (r, c) == (7, 21) { 0.0 } else { x0[(r, c)] });
    x.set_value_from(&finite);
    let want: f64 = (0..N)
        .map(|r| {
            let lse = log_sum_exp_row(&finite, r);
            (0..N)
                .map(|c| t0[(r, c)] * (lse - finite[(r, c)]))
                .sum::<f64>()
        })
        .sum::<f64>()
        / rows;
    assert_close("loss", (0, 0), loss.value()[0], want);
}

#[test]
fn softmax_cross_entropy_targets_of_500_by_500_matrices_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(softmax_cross_entropy_targets);
}

fn mse_weighted() {
    let a0: Box<Big> = boxed::from_fn(|r, c| ((r * 7 + c * 3) % 17) as f64 / 17.0 - 0.5);
    let b0: Box<Big> = boxed::from_fn(|r, c| ((r + 2 * c) % 5) as f64 / 5.0);
    // Row weights, some zero (padding rows).
    let w0 = Column::from_fn(|r, _| ((r % 7) as f64 - 1.0).max(0.0));
    let g = Graph::<f64>::new();
    let (a, b, w) = (g.var_from(&a0), g.var_from(&b0), g.var(w0));
    let loss = a.mse_weighted(b, w);
    // ℓ_r = Σ_c (a − b)²/C, L = Σ w_r·ℓ_r / W, W = Σ w_r.
    let row_error = |r: usize| {
        (0..N)
            .map(|c| (a0[(r, c)] - b0[(r, c)]).powi(2))
            .sum::<f64>()
            / N as f64
    };
    let total_weight: f64 = w0.iter().sum();
    let want: f64 = (0..N).map(|r| w0[r] * row_error(r)).sum::<f64>() / total_weight;
    let value = loss.value()[0];
    assert_close("loss", (0, 0), value, want);
    let grads = loss.backward_with(Matrix1::new(2.0));
    let (d_a, d_b, d_w): (&Big, &Big, &Column) = (grads.wrt(a), grads.wrt(b), grads.wrt(w));
    // dA = 2·2·w_r·(a − b)/(C·W), dB = −dA, dw = 2·(ℓ_r − L)/W (seed 2).
    for (r, c) in [(0, 0), (2, 17), (6, 499), (250, 250), (499, 1), (7, 3)] {
        let want = 4.0 * w0[r] * (a0[(r, c)] - b0[(r, c)]) / (N as f64 * total_weight);
        assert_close("dA", (r, c), d_a[(r, c)], want);
        assert_close("dB", (r, c), d_b[(r, c)], -want);
        let want = 2.0 * (row_error(r) - value) / total_weight;
        assert_close("dw", (r, 0), d_w[r], want);
    }
    assert_eq!(d_a[(0, 5)], 0.0); // weight 0
}

#[test]
fn mse_weighted_of_500_by_500_matrices_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(mse_weighted);
}

fn scale_by() {
    let a0: Box<Big> = boxed::from_fn(|r, c| ((r * 3 + c * 5) % 19) as f64 / 19.0 - 0.5);
    let u = upstream();
    let g = Graph::<f64>::new();
    let (a, s) = (g.var_from(&a0), g.var(Matrix1::new(-1.5)));
    let y = a.scale_by(s);
    let y_value: Box<Big> = y.value_boxed();
    let grads = y.backward_with_ref(&u);
    let (d_a, d_s): (&Big, &Matrix1<f64>) = (grads.wrt(a), grads.wrt(s));
    // Y = s·A; dA = s·U, ds = Σ A∘U.
    for (r, c) in [(0, 0), (17, 250), (499, 499), (123, 4)] {
        assert_eq!(y_value[(r, c)], -1.5 * a0[(r, c)]);
        assert_eq!(d_a[(r, c)], -1.5 * u[(r, c)]);
    }
    let want: f64 = a0.iter().zip(u.iter()).map(|(a, u)| a * u).sum();
    assert_close("ds", (0, 0), d_s[0], want);
}

#[test]
fn scale_by_of_a_500_by_500_matrix_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(scale_by);
}

fn softmax_cross_entropy_weighted_with_var_targets_and_weights() {
    // The logits with their rows at ±700, but finite: an infinite logit makes dT NaN.
    let mut x0 = logits();
    x0[(7, 21)] = 1.0;
    let t0: Box<Big> = boxed::from_fn(|r, c| if (r + c) % 7 == 0 { 0.5 } else { 0.0 });
    let w0: Box<Column> = boxed::from_fn(|r, _| (r % 4) as f64 * 0.5);
    let g = Graph::<f64>::new();
    let (x, t, w) = (g.var_from(&x0), g.var_from(&t0), g.var_from(&w0));
    let loss = x.softmax_cross_entropy_weighted(t, w);
    let grads = loss.backward();
    let (d_t, d_w): (&Big, &Column) = (grads.wrt(t), grads.wrt(w));
    // ℓ_r = Σ_c T[r, c]·(lse_r − x[r, c]), W = Σ w, L = Σ w_r·ℓ_r / W;
    // dT[r, c] = w_r·(lse_r − x[r, c]) / W, dw_r = (ℓ_r − L) / W.
    let total: f64 = w0.iter().sum();
    let row_loss = |r: usize| -> f64 {
        let lse = log_sum_exp_row(&x0, r);
        (0..N).map(|c| t0[(r, c)] * (lse - x0[(r, c)])).sum()
    };
    let mean = (0..N).map(|r| w0[r] * row_loss(r)).sum::<f64>() / total;
    assert_close("loss", (0, 0), loss.value()[0], mean);
    for (r, c) in ENTRIES {
        let want = w0[r] * (log_sum_exp_row(&x0, r) - x0[(r, c)]) / total;
        assert_close("dT", (r, c), d_t[(r, c)], want);
        assert_close("dw", (r, 0), d_w[r], (row_loss(r) - mean) / total);
    }
}

#[test]
fn softmax_cross_entropy_weighted_with_var_targets_of_500_by_500_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(softmax_cross_entropy_weighted_with_var_targets_and_weights);
}
