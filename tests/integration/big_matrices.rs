//! 500×500 `f64` matrices (2 MB each) on a thread with a 2 MiB stack, the default of spawned
//! threads and of test threads: leaves made from a reference, a product, element-wise ops
//! (one with a repeated input, `w ∘ w`), a reduction, backward, a gradient read in place, an
//! Adam step (its state is 4 MB), saving, loading into a fresh graph and reading a value back
//! in a box. None of it may pass a whole matrix through the stack: in a debug build a single
//! 2 MB temporary overflows it and aborts the process.

use nalgebra::SMatrix;
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::{Graph, Var, boxed};

const N: usize = 500;
type Big = SMatrix<f64, N, N>;

/// Runs `f` on a thread whose stack is `bytes` long and passes its panic on (a stack overflow
/// aborts the whole process instead). The other `big_matrices_*` files use it too.
pub(crate) fn on_a_stack_of(bytes: usize, f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// [`on_a_stack_of`] 2 MiB, the default stack of spawned threads and test threads.
pub(crate) fn on_a_small_stack(f: impl FnOnce() + Send + 'static) {
    on_a_stack_of(2 << 20, f);
}

fn big_graph_step() {
    let w0: Box<Big> = boxed::from_fn(|r, c| ((r * 7 + c * 3) % 17) as f64 / 17.0 - 0.5);
    let b0: Box<Big> = boxed::from_element(0.25);
    let x0: Box<SMatrix<f64, 32, N>> = boxed::from_fn(|r, c| ((r + c) % 5) as f64 - 2.0);
    let g = Graph::<f64>::new();
    let w = g.var_named_from("w", &w0);
    let b = g.var_from(&b0);
    let x = g.constant_from(&x0);
    let loss = (x * (w.tanh() + w.component_mul(w) + b)).relu().sum();
    assert!(loss.value()[0].is_finite());

    // The gradient, read in place, against the formula at a few entries:
    // dW = (xᵀ·[x·h > 0]) ∘ (1 − tanh² w + 2w), h = tanh w + w ∘ w + b; dB = xᵀ·[x·h > 0].
    let grads = loss.backward();
    let (d_w, d_b): (&Big, &Big) = (grads.wrt(w), grads.wrt(b));
    let h: Box<Big> = boxed::from_fn(|r, c| {
        let w = w0[(r, c)];
        w.tanh() + w * w + 0.25
    });
    for (r, c) in [(0, 0), (17, 250), (499, 499), (123, 4)] {
        let upstream: f64 = (0..32)
            .filter(|&i| (0..N).map(|k| x0[(i, k)] * h[(k, c)]).sum::<f64>() > 0.0)
            .map(|i| x0[(i, r)])
            .sum();
        let local = 1.0 - w0[(r, c)].tanh().powi(2) + 2.0 * w0[(r, c)];
        let want = upstream * local;
        let close = |got: f64, want: f64| (got - want).abs() <= 1e-9 * want.abs().max(1.0);
        assert!(
            close(d_w[(r, c)], want),
            "dW[{r}, {c}] = {}, want {want}",
            d_w[(r, c)]
        );
        assert!(
            close(d_b[(r, c)], upstream),
            "dB[{r}, {c}] = {}",
            d_b[(r, c)]
        );
    }
    let d_w_00 = d_w[(0, 0)];
    assert!(d_w_00 != 0.0);

    // An Adam step (its state is two 500×500 matrices): the first moves every entry with a
    // gradient by about lr against the gradient's sign.
    let mut optimizer = Optimizer::new(Adam {
        lr: 0.01,
        ..Adam::default()
    });
    optimizer.step(&(w, b), &grads);
    drop(grads);
    let after: Box<Big> = w.value_boxed();
    assert!((after[(0, 0)] - (w0[(0, 0)] - 0.01 * d_w_00.signum())).abs() < 1e-9);
    assert_eq!(optimizer.state(w).unwrap().t, 1);

    save_and_load(w, &after, &optimizer);
}

/// Saved, loaded into a fresh graph, read back in a box; the optimizer's state too.
#[cfg(feature = "io")]
fn save_and_load(w: Var<'_, f64, N, N>, after: &Big, optimizer: &Optimizer<f64, Adam<f64>>) {
    use shapegrad::io;
    let path =
        std::env::temp_dir().join(format!("shapegrad-big-{}.safetensors", std::process::id()));
    io::save(&w, &path).unwrap();
    let fresh = Graph::<f64>::new();
    let loaded = fresh.var_named_from("w", &boxed::zeros());
    io::load(&loaded, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let back: Box<Big> = loaded.value_boxed();
    assert!(
        *back == *after,
        "the loaded matrix differs from the saved one"
    );
    // And the optimizer's state, saved and loaded by name.
    let bytes = optimizer.state_to_bytes(&w).unwrap();
    let mut resumed = Optimizer::new(Adam {
        lr: 0.01,
        ..Adam::default()
    });
    resumed.state_from_bytes(&loaded, &bytes).unwrap();
    assert!(resumed.state(loaded) == optimizer.state(w));
}

#[cfg(not(feature = "io"))]
fn save_and_load(_: Var<'_, f64, N, N>, _: &Big, _: &Optimizer<f64, Adam<f64>>) {}

#[test]
fn a_graph_of_500_by_500_matrices_runs_on_a_two_mebibyte_stack() {
    on_a_small_stack(big_graph_step);
}

/// The common element-wise ops, each forward and backward at 500×500 on a 2 MiB stack
/// (each writes its output and gradients in place: no matrix returned by value).
fn element_wise_ops() {
    let a0: Box<Big> = boxed::from_fn(|r, c| 1.0 + ((r * 3 + c) % 7) as f64);
    let g = Graph::<f64>::new();
    let a = g.var_from(&a0);
    let b = g.constant_from(&a0);
    let y = (-a).scale(0.5) - b
        + a.square().sqrt().abs().reciprocal().add_scalar(1.0)
        + a.component_div(b)
        + a.exp().ln()
        + a.sigmoid()
        + a.component_mul(b)
        + a.transpose().transpose()
        + a.maximum(b)
        + a.minimum(b)
        + a.clamp(0.0, 1e9)
        + a.powi(2).powf(0.5);
    let sum =
        y.sum() + y.mean() + a.mse(b) + a.dot(b) + a.norm() + a.norm_squared() + a.l2_penalty(0.5);
    let norm = a0.iter().map(|x| x * x).sum::<f64>().sqrt();
    let grads = sum.backward();
    let d_a: &Big = grads.wrt(a);
    // d/da of −a/2 − b + 1/|a| + 1 + a/b + a + σ(a) + a∘b at a = b = v:
    // −1/2 − 1/v² + 1/v + 1 + σ(v)(1 − σ(v)) + v + 1 (a transposed twice), + 4 for max, min (a tie's gradient goes
    // to `a`), clamp and |a| = (a²)^½, times 1 + 1/N² for sum + mean (mse(a, b)
    // has gradient 2(a − b)/N² = 0 at a = b), plus the dot product's and the norms'.
    for (r, c) in [(0, 0), (499, 3), (250, 250)] {
        let v = a0[(r, c)];
        let s = 1.0 / (1.0 + (-v).exp());
        let want = (-0.5 - 1.0 / (v * v) + 1.0 / v + 1.0 + s * (1.0 - s) + v + 5.0)
            * (1.0 + 1.0 / (N * N) as f64)
            + v // a·b
            + v / norm // ‖a‖
            + 2.0 * v // ‖a‖²
            + 0.5 * v; // ½·0.5·‖a‖²
        assert!(
            (d_a[(r, c)] - want).abs() < 1e-9,
            "d_a[{r}, {c}] = {}, want {want}",
            d_a[(r, c)]
        );
    }
    drop(grads);
    assert!(y.value_boxed()[(0, 0)].is_finite());
}

#[test]
fn element_wise_ops_of_500_by_500_matrices_run_on_a_two_mebibyte_stack() {
    on_a_small_stack(element_wise_ops);
}
