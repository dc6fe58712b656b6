//! `cargo bench -p shapegrad-benches --bench workloads`: four workloads, each timed three ways in the same run —
//! hand-written nalgebra (`hand`), a graph built afresh every step (`fresh`) and one graph
//! built once and replayed (`replay`) — in f64 and f32. Before timing, each contender's
//! gradients are checked against the hand-written ones (1e-10 relative in f64, 1e-4 in f32),
//! so the times compare equal work. The run ends with one line per workload and contender,
//! `ratio W2 replay/hand 0.93 f64`: the contender's median time over the hand-written median.
//!
//! W1: W (5×10)·x (10×3), loss = sum(D ∘ G); gradients of W and x.
//! W2: the spiral net, N = 300, 2 → 100 ReLU → 3, softmax cross-entropy + L2 1e-3; also
//!     `replay_fused`, the same graph with the bias and ReLU in one op (`add_row_then`).
//! W3: 8 dense 64×64 layers with tanh, batch 64, sum-of-squares loss; also `replay_fused`
//!     (`add_row_then(b, Tanh)`) and a second hand-written baseline, `hand_dyn`, whose products
//!     go through nalgebra's `Dyn` views to matrixmultiply (`ratio W3 replay/hand_dyn`).
//! W4: the circuit (x + y)·z on 1×1 matrices.
//! W5: the 2×3 Jacobian of a planar 3-link arm, replayed, vs the analytic Jacobian.
//! W6: model-predictive control by shooting (20 steps, 4 states, 2 commands), the gradient of
//!     the cost with respect to every command, vs the hand-written adjoint recursion.
//! W7: W2 with three evaluation heads (1, 16, 300 rows) on its layers: a replayed training step
//!     vs the same step on the graph without the heads (`ratio W7 three_heads/one_head`).
//!
//! `cargo bench -p shapegrad-benches --bench workloads -- W5` runs one workload (criterion's filter).

#[path = "../../examples/robot_arm/arm.rs"]
mod arm;
mod common;
#[path = "../support/medians.rs"]
mod medians;
mod w1;
mod w2;
mod w3;
mod w4;
mod w5;
mod w6;
mod w7;

use criterion::Criterion;

fn main() {
    let mut c = common::criterion().configure_from_args();
    w1::bench::<f64>(&mut c, "f64");
    w1::bench::<f32>(&mut c, "f32");
    w2::bench::<f64>(&mut c, "f64");
    w2::bench::<f32>(&mut c, "f32");
    w3::bench::<f64>(&mut c, "f64");
    w3::bench::<f32>(&mut c, "f32");
    w4::bench::<f64>(&mut c, "f64");
    w4::bench::<f32>(&mut c, "f32");
    w5::bench::<f64>(&mut c, "f64");
    w5::bench::<f32>(&mut c, "f32");
    w6::bench::<f64>(&mut c, "f64");
    w6::bench::<f32>(&mut c, "f32");
    w7::bench::<f64>(&mut c, "f64");
    w7::bench::<f32>(&mut c, "f32");
    Criterion::final_summary(&c);
    common::print_ratios();
}
