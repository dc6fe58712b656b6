//! The course notes' spiral network at full size (N = 300 samples, 2 → 100 ReLU → 3, softmax
//! cross-entropy + L2) builds, runs forward and backward, and replays on a default 2 MiB test
//! thread stack in a debug build: its 300×100 matrices (240 KB each in f64) live on the heap,
//! and no op copies one through the stack more than the thread can hold.

use nalgebra::SMatrix;
use shapegrad::{Graph, Labels};

const N: usize = 300;
const H: usize = 100;
const K: usize = 3;

fn spiral_step() {
    let x = Box::new(SMatrix::<f64, N, 2>::from_fn(|r, c| {
        ((r * 7 + c * 3) % 11) as f64 / 11.0 - 0.5
    }));
    let labels = Labels::<N, K>::new(std::array::from_fn(|r| r % K)).unwrap();
    let g = Graph::<f64>::new();
    let x = g.constant(*x);
    let w1 = g.var(SMatrix::<f64, 2, H>::from_fn(|r, c| 0.01 * (r + c) as f64));
    let b1 = g.var(SMatrix::<f64, 1, H>::zeros());
    let w2 = g.var(SMatrix::<f64, H, K>::from_fn(|r, c| {
        0.01 * (r as f64 - c as f64)
    }));
    let b2 = g.var(SMatrix::<f64, 1, K>::zeros());
    let hidden = (x * w1).add_row(b1).relu();
    let scores = (hidden * w2).add_row(b2);
    let loss = scores.softmax_cross_entropy(&labels) + w1.l2_penalty(1e-3) + w2.l2_penalty(1e-3);
    let first = loss.value()[0];
    assert!(first.is_finite());
    {
        let grads = loss.backward();
        assert!(grads.wrt(w1).iter().all(|v| v.is_finite()));
        assert!(grads.wrt(b2).iter().all(|v| v.is_finite()));
    }
    // Replay with new parameters.
    w1.update_value(|w| *w *= 2.0);
    let grads = loss.backward();
    assert!(grads.wrt(w2).iter().all(|v| v.is_finite()));
}

#[test]
fn the_spiral_network_runs_on_a_two_mebibyte_stack() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(spiral_step)
        .unwrap()
        .join()
        .unwrap();
}
