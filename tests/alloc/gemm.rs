//! The GEMM path allocates nothing per replayed step: its packing buffers belong to the
//! thread (replayed W3, and the spiral net with a 100×100 layer, whose products are above the
//! blocked kernel's threshold).

use std::hint::black_box;

use crate::counting::allocations;
use nalgebra::SMatrix;
use shapegrad::{Graph, Labels};

/// Replayed steps counted (after the two that allocate). Unoptimised, W3's 23 blocked products
/// a step made this binary take over a minute on a loaded 2-core machine, so a debug build
/// counts 3 replays; CI's release run (`cargo test --release --test alloc -- gemm::`) counts 10.
const STEPS: usize = if cfg!(debug_assertions) { 3 } else { 10 };

/// W3: eight dense 64×64 tanh layers, batch 64, loss ‖h₈‖²: every product (8 forward, 15
/// backward) takes the blocked GEMM path, whose packing buffers belong to the thread.
fn w3_replay_allocations<T: shapegrad::Real>() -> usize {
    let graph = Graph::<T>::new();
    let entry = |r: usize, c: usize, salt: usize| -> T {
        nalgebra::convert((((r * 31 + c * 17 + salt * 7) % 23) as f64 - 11.0) / 90.0)
    };
    let mut h = graph.constant(SMatrix::<T, 64, 64>::from_fn(|r, c| {
        entry(r, c, 0) * nalgebra::convert(8.0)
    }));
    let mut params = Vec::new();
    for layer in 0..8 {
        let w = graph.var(SMatrix::<T, 64, 64>::from_fn(|r, c| entry(r, c, layer + 1)));
        let b = graph.var(SMatrix::<T, 1, 64>::from_fn(|_, c| entry(0, c, layer + 9)));
        h = (h * w).add_row(b).tanh();
        params.push((w, b));
    }
    let loss = h.norm_squared();
    let step = |step: usize| {
        for &(w, b) in &params {
            w.update_value(|w| *w *= nalgebra::convert::<f64, T>(0.99));
            b.set_value(SMatrix::repeat(nalgebra::convert(0.01 * step as f64)));
        }
        let grads = loss.backward();
        for &(w, b) in &params {
            black_box((grads.wrt(w), grads.wrt(b)));
        }
        drop(grads);
        black_box(loss.value());
    };
    // The first step allocates the gradients, the GEMM's packing buffers (once per thread)
    // and `update_value`'s scratch matrix (once per thread and size); the second, the plan.
    step(0);
    step(0);
    allocations(|| (1..=STEPS).for_each(step))
}

#[test]
fn replaying_w3_with_its_gemm_products_allocates_nothing() {
    let n = w3_replay_allocations::<f64>();
    assert_eq!(n, 0, "{n} allocations in {STEPS} replayed W3 steps (f64)");
    let n = w3_replay_allocations::<f32>();
    assert_eq!(n, 0, "{n} allocations in {STEPS} replayed W3 steps (f32)");
}

#[test]
fn replaying_the_spiral_network_with_a_100_by_100_layer_allocates_nothing() {
    // W2 with a second hidden layer: 300×100·100×100 (forward), and dOut·Wᵀ and Hᵀ·dOut
    // (backward) are above the GEMM threshold.
    let graph = Graph::<f64>::new();
    let x = Box::new(SMatrix::<f64, 300, 2>::from_fn(|r, c| {
        ((r * 7 + c * 3) % 11) as f64 / 11.0 - 0.5
    }));
    let labels = Labels::<300, 3>::new(std::array::from_fn(|r| r % 3)).unwrap();
    let x = graph.constant(*x);
    let w1 = graph.var(SMatrix::<f64, 2, 100>::from_fn(|r, c| {
        0.01 * (r + c) as f64
    }));
    let b1 = graph.var(SMatrix::<f64, 1, 100>::zeros());
    let w_mid = graph.var(*Box::new(SMatrix::<f64, 100, 100>::from_fn(|r, c| {
        0.01 * ((r * 3 + c) % 7) as f64 - 0.03
    })));
    let w2 = graph.var(SMatrix::<f64, 100, 3>::from_fn(|r, c| {
        0.01 * (r as f64 - c as f64)
    }));
    let hidden = (x * w1).add_row(b1).relu();
    let hidden = (hidden * w_mid).relu();
    let loss = (hidden * w2).softmax_cross_entropy(&labels) + w_mid.l2_penalty(1e-3);
    let step = || {
        w1.update_value(|w| *w *= 0.9);
        w_mid.update_value(|w| *w *= 1.01);
        b1.set_value(SMatrix::repeat(0.01));
        let grads = loss.backward();
        black_box((grads.wrt(w1), grads.wrt(w_mid), grads.wrt(w2)));
        drop(grads);
        black_box(loss.value());
    };
    step(); // allocates the gradients, the packing buffers and update_value's scratch
    step(); // makes the loss's plan
    let n = allocations(|| (0..STEPS).for_each(|_| step()));
    assert_eq!(n, 0, "{n} allocations in {STEPS} replayed steps");
}
