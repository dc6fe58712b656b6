//! The shape ops (row and column sums, a broadcast column, reshape, a fixed view, vertical and
//! horizontal stacking, and `vstack_array` / `with_block` built on them) at 500×500 `f64` on a
//! thread with a 2 MiB stack, as in `big_matrices.rs`: each forward and backward pass writes
//! its output and gradients in place, so no 2 MB matrix passes through the stack (in a debug
//! build a single one overflows it and aborts the process). Values and gradients are checked
//! at a few entries against the ops' formulas, computed here by hand.

use crate::big_matrices::on_a_small_stack;
use nalgebra::SMatrix;
use shapegrad::{Graph, Var, boxed};

const N: usize = 500;
const H: usize = N / 2;
type Big = SMatrix<f64, N, N>;

/// Input entries: distinct enough that a misplaced entry shows.
fn input(r: usize, c: usize) -> f64 {
    ((r * 7 + c * 3) % 17) as f64 / 17.0 - 0.5 + (r as f64) * 1e-3
}

/// Upstream gradient entries.
fn upstream(r: usize, c: usize) -> f64 {
    ((r + 2 * c) % 11) as f64 - 5.0 + (c as f64) * 1e-4
}

#[track_caller]
fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what} = {got}, want {want}"
    );
}

const CORNERS: [(usize, usize); 5] = [(0, 0), (499, 499), (0, 499), (499, 0), (123, 321)];

fn row_sum() {
    let a0: Box<Big> = boxed::from_fn(input);
    let g = Graph::<f64>::new();
    let a = g.var_from(&a0);
    let s: Var<'_, f64, 1, N> = a.row_sum();
    let value = s.value_boxed();
    for c in [0, 1, 250, 499] {
        let want: f64 = (0..N).map(|r| input(r, c)).sum();
        assert_close(&format!("row_sum[{c}]"), value[c], want);
    }
    // dA[r, c] = dOut[c].
    let d_out: Box<SMatrix<f64, 1, N>> = boxed::from_fn(upstream);
    let grads = s.backward_with_ref(&d_out);
    let d_a: &Big = grads.wrt(a);
    for (r, c) in CORNERS {
        assert_close(&format!("dA[{r}, {c}]"), d_a[(r, c)], upstream(0, c));
    }
}

#[test]
fn row_sum_of_500_by_500_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(row_sum);
}

fn column_sum() {
    let a0: Box<Big> = boxed::from_fn(input);
    let g = Graph::<f64>::new();
    let a = g.var_from(&a0);
    let s: Var<'_, f64, N, 1> = a.column_sum();
    let value = s.value_boxed();
    for r in [0, 1, 250, 499] {
        let want: f64 = (0..N).map(|c| input(r, c)).sum();
        assert_close(&format!("column_sum[{r}]"), value[r], want);
    }
    // dA[r, c] = dOut[r].
    let d_out: Box<SMatrix<f64, N, 1>> = boxed::from_fn(upstream);
    let grads = s.backward_with_ref(&d_out);
    let d_a: &Big = grads.wrt(a);
    for (r, c) in CORNERS {
        assert_close(&format!("dA[{r}, {c}]"), d_a[(r, c)], upstream(r, 0));
    }
}

#[test]
fn column_sum_of_500_by_500_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(column_sum);
}

fn add_column() {
    let a0: Box<Big> = boxed::from_fn(input);
    let b0: Box<SMatrix<f64, N, 1>> = boxed::from_fn(|r, _| (r as f64).sqrt());
    let g = Graph::<f64>::new();
    let (a, b) = (g.var_from(&a0), g.var_from(&b0));
    let y = a.add_column(b);
    let value = y.value_boxed();
    for (r, c) in CORNERS {
        let want = input(r, c) + (r as f64).sqrt();
        assert_close(&format!("y[{r}, {c}]"), value[(r, c)], want);
    }
    // dA = dOut, dB[r] = Σ_c dOut[r, c].
    let d_out: Box<Big> = boxed::from_fn(upstream);
    let grads = y.backward_with_ref(&d_out);
    let (d_a, d_b): (&Big, &SMatrix<f64, N, 1>) = (grads.wrt(a), grads.wrt(b));
    for (r, c) in CORNERS {
        assert_close(&format!("dA[{r}, {c}]"), d_a[(r, c)], upstream(r, c));
    }
    for r in [0, 1, 250, 499] {
        let want: f64 = (0..N).map(|c| upstream(r, c)).sum();
        assert_close(&format!("dB[{r}]"), d_b[r], want);
    }
}

#[test]
fn add_column_of_500_by_500_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(add_column);
}

fn reshape() {
    let a0: Box<Big> = boxed::from_fn(input);
    let g = Graph::<f64>::new();
    let a = g.var_from(&a0);
    let y: Var<'_, f64, H, 1000> = a.reshape();
    // Column-major: entry (i, j) of the 250×1000 output is entry k = i + 250·j of the
    // sequence, which is a's entry (k mod 500, k div 500).
    let value = y.value_boxed();
    for (i, j) in [(0, 0), (249, 999), (0, 1), (249, 0), (17, 501), (100, 777)] {
        let k = i + H * j;
        assert_close(&format!("y[{i}, {j}]"), value[(i, j)], input(k % N, k / N));
    }
    // dA[r, c] is dOut's entry k = r + 500·c of the sequence: (k mod 250, k div 250).
    let d_out: Box<SMatrix<f64, H, 1000>> = boxed::from_fn(upstream);
    let grads = y.backward_with_ref(&d_out);
    let d_a: &Big = grads.wrt(a);
    for (r, c) in CORNERS {
        let k = r + N * c;
        assert_close(
            &format!("dA[{r}, {c}]"),
            d_a[(r, c)],
            upstream(k % H, k / H),
        );
    }
}

#[test]
fn reshape_of_500_by_500_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(reshape);
}

fn fixed_view() {
    let a0: Box<Big> = boxed::from_fn(input);
    let g = Graph::<f64>::new();
    let a = g.var_from(&a0);
    let y: Var<'_, f64, 400, 400> = a.fixed_view::<400, 400, 50, 70>();
    let value = y.value_boxed();
    for (i, j) in [(0, 0), (399, 399), (0, 399), (399, 0), (123, 321)] {
        assert_close(
            &format!("y[{i}, {j}]"),
            value[(i, j)],
            input(i + 50, j + 70),
        );
    }
    // dA is dOut inside rows 50..450, columns 70..470, and zero outside.
    let d_out: Box<SMatrix<f64, 400, 400>> = boxed::from_fn(upstream);
    let grads = y.backward_with_ref(&d_out);
    let d_a: &Big = grads.wrt(a);
    let inside = [(50, 70), (449, 469), (50, 469), (449, 70), (200, 300)];
    for (r, c) in inside {
        let want = upstream(r - 50, c - 70);
        assert_close(&format!("dA[{r}, {c}]"), d_a[(r, c)], want);
    }
    let outside = [
        (0, 0),
        (499, 499),
        (49, 100),
        (450, 100),
        (100, 69),
        (100, 470),
    ];
    for (r, c) in outside {
        assert_eq!(d_a[(r, c)], 0.0, "dA[{r}, {c}] outside the block");
    }
}

#[test]
fn fixed_view_of_500_by_500_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(fixed_view);
}

fn vstack() {
    let a0: Box<SMatrix<f64, H, N>> = boxed::from_fn(input);
    let b0: Box<SMatrix<f64, H, N>> = boxed::from_fn(|r, c| -input(c, r));
    let g = Graph::<f64>::new();
    let (a, b) = (g.var_from(&a0), g.var_from(&b0));
    let y: Var<'_, f64, N, N> = a.vstack_to::<N, H>(b);
    let value = y.value_boxed();
    for (r, c) in CORNERS {
        let want = if r < H { input(r, c) } else { -input(c, r - H) };
        assert_close(&format!("y[{r}, {c}]"), value[(r, c)], want);
    }
    // dA = dOut's top rows, dB its bottom rows.
    let d_out: Box<Big> = boxed::from_fn(upstream);
    let grads = y.backward_with_ref(&d_out);
    let (d_a, d_b): (&SMatrix<f64, H, N>, &SMatrix<f64, H, N>) = (grads.wrt(a), grads.wrt(b));
    for (r, c) in [(0, 0), (249, 499), (0, 499), (249, 0), (123, 321)] {
        assert_close(&format!("dA[{r}, {c}]"), d_a[(r, c)], upstream(r, c));
        assert_close(&format!("dB[{r}, {c}]"), d_b[(r, c)], upstream(r + H, c));
    }
}

#[test]
fn vstack_of_two_250_by_500_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(vstack);
}

fn hstack() {
    let a0: Box<SMatrix<f64, N, H>> = boxed::from_fn(input);
    let b0: Box<SMatrix<f64, N, H>> = boxed::from_fn(|r, c| -input(c, r));
    let g = Graph::<f64>::new();
    let (a, b) = (g.var_from(&a0), g.var_from(&b0));
    let y: Var<'_, f64, N, N> = a.hstack_to::<N, H>(b);
    let value = y.value_boxed();
    for (r, c) in CORNERS {
        let want = if c < H { input(r, c) } else { -input(c - H, r) };
        assert_close(&format!("y[{r}, {c}]"), value[(r, c)], want);
    }
    // dA = dOut's left columns, dB its right columns.
    let d_out: Box<Big> = boxed::from_fn(upstream);
    let grads = y.backward_with_ref(&d_out);
    let (d_a, d_b): (&SMatrix<f64, N, H>, &SMatrix<f64, N, H>) = (grads.wrt(a), grads.wrt(b));
    for (r, c) in [(0, 0), (499, 249), (0, 249), (499, 0), (321, 123)] {
        assert_close(&format!("dA[{r}, {c}]"), d_a[(r, c)], upstream(r, c));
        assert_close(&format!("dB[{r}, {c}]"), d_b[(r, c)], upstream(r, c + H));
    }
}

#[test]
fn hstack_of_two_500_by_250_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(hstack);
}

/// `vstack_array` (a zero constant, then one `with_block` per part) of two 250×500 parts,
/// the second part the first one again: its gradient adds both halves of dOut.
fn vstack_array() {
    let a0: Box<SMatrix<f64, H, N>> = boxed::from_fn(input);
    let g = Graph::<f64>::new();
    let a = g.var_from(&a0);
    let y: Var<'_, f64, N, N> = Var::vstack_array([a, a]);
    let value = y.value_boxed();
    for (r, c) in CORNERS {
        assert_close(&format!("y[{r}, {c}]"), value[(r, c)], input(r % H, c));
    }
    let d_out: Box<Big> = boxed::from_fn(upstream);
    let grads = y.backward_with_ref(&d_out);
    let d_a: &SMatrix<f64, H, N> = grads.wrt(a);
    for (r, c) in [(0, 0), (249, 499), (0, 499), (249, 0), (123, 321)] {
        let want = upstream(r, c) + upstream(r + H, c);
        assert_close(&format!("dA[{r}, {c}]"), d_a[(r, c)], want);
    }
}

#[test]
fn vstack_array_of_two_250_by_500_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(vstack_array);
}

/// `with_block` of a 400×400 block into a 500×500 matrix: dA is dOut with the block zeroed,
/// dB is dOut's block.
fn with_block() {
    let a0: Box<Big> = boxed::from_fn(input);
    let b0: Box<SMatrix<f64, 400, 400>> = boxed::from_fn(|r, c| -input(c, r));
    let g = Graph::<f64>::new();
    let (a, b) = (g.var_from(&a0), g.var_from(&b0));
    let y = a.with_block(50, 70, b);
    let value = y.value_boxed();
    let inside = [(50, 70), (449, 469), (50, 469), (449, 70), (200, 300)];
    let outside = [
        (0, 0),
        (499, 499),
        (49, 100),
        (450, 100),
        (100, 69),
        (100, 470),
    ];
    for (r, c) in inside {
        let want = -input(c - 70, r - 50);
        assert_close(&format!("y[{r}, {c}]"), value[(r, c)], want);
    }
    for (r, c) in outside {
        assert_close(&format!("y[{r}, {c}]"), value[(r, c)], input(r, c));
    }
    let d_out: Box<Big> = boxed::from_fn(upstream);
    let grads = y.backward_with_ref(&d_out);
    let (d_a, d_b): (&Big, &SMatrix<f64, 400, 400>) = (grads.wrt(a), grads.wrt(b));
    for (r, c) in inside {
        assert_eq!(d_a[(r, c)], 0.0, "dA[{r}, {c}] inside the block");
        let want = upstream(r, c);
        assert_close(
            &format!("dB[{}, {}]", r - 50, c - 70),
            d_b[(r - 50, c - 70)],
            want,
        );
    }
    for (r, c) in outside {
        assert_close(&format!("dA[{r}, {c}]"), d_a[(r, c)], upstream(r, c));
    }
}

#[test]
fn with_block_of_500_by_500_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(with_block);
}
