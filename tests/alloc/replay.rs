//! A replayed step (set leaves, forward, backward, read gradients and values) makes no heap
//! allocation.

use std::hint::black_box;

use crate::common::{SpiralNet, mpc_rollout, planar_arm, spiral_net};
use crate::counting::allocations;
use nalgebra::{Matrix1, Matrix2x3, SMatrix};
use shapegrad::jacobian::jacobian;
use shapegrad::nn::Dense;
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::{Graph, Labels, Var};

const STEPS: usize = 10;

#[test]
fn replaying_w_times_x_allocates_nothing() {
    // The notes' W (5×10)·x (10×3), loss = sum(D ∘ G).
    let graph = Graph::<f64>::new();
    let w = graph.var(SMatrix::<f64, 5, 10>::from_fn(|r, c| (r + c) as f64 * 0.1));
    let x = graph.var(SMatrix::<f64, 10, 3>::from_fn(|r, c| r as f64 - c as f64));
    let g = graph.constant(SMatrix::<f64, 5, 3>::repeat(0.5));
    let loss = (w * x).component_mul(g).sum();
    // The first pass lays out the gradient buffers; the second makes the root's plan.
    drop(loss.backward());
    drop(loss.backward());
    drop(loss.backward()); // the second pass from a root makes its plan
    let n = allocations(|| {
        for step in 0..STEPS {
            w.set_value(SMatrix::repeat(step as f64));
            x.update_value(|x| *x *= 0.5);
            let grads = loss.backward();
            black_box((grads.wrt(w), grads.wrt(x)));
            drop(grads);
            black_box(loss.value());
        }
    });
    assert_eq!(n, 0, "{n} allocations in {STEPS} replayed steps");
}

#[test]
fn replaying_the_spiral_network_allocates_nothing() {
    let graph = Graph::<f64>::new();
    let SpiralNet {
        loss,
        w1,
        b1,
        w2,
        b2,
    } = spiral_net(&graph);
    drop(loss.backward());
    drop(loss.backward()); // the second pass from a root makes its plan
    let n = allocations(|| {
        for _ in 0..STEPS {
            w1.update_value(|w| *w *= 0.9);
            b1.set_value(SMatrix::repeat(0.01));
            w2.update_value(|w| *w *= 1.1);
            b2.set_value(SMatrix::repeat(-0.01));
            let grads = loss.backward();
            black_box((grads.wrt(w1), grads.wrt(b1), grads.wrt(w2), grads.wrt(b2)));
            drop(grads);
            black_box(loss.value());
        }
    });
    assert_eq!(n, 0, "{n} allocations in {STEPS} replayed steps");
}

#[test]
fn replaying_the_circuit_allocates_nothing() {
    // The notes' circuit f = (x + y)·z.
    let graph = Graph::<f64>::new();
    let (x, y, z) = (
        graph.var(Matrix1::new(-2.0)),
        graph.var(Matrix1::new(5.0)),
        graph.var(Matrix1::new(-4.0)),
    );
    let f = (x + y).component_mul(z);
    drop(f.backward());
    drop(f.backward()); // the second pass from a root makes its plan
    let n = allocations(|| {
        for step in 0..STEPS {
            x.set_value(Matrix1::new(step as f64));
            y.set_value(Matrix1::new(1.0));
            z.set_value(Matrix1::new(2.0));
            let grads = f.backward();
            black_box((grads.wrt(x), grads.wrt(y), grads.wrt(z)));
            drop(grads);
            black_box(f.value());
        }
    });
    assert_eq!(n, 0, "{n} allocations in {STEPS} replayed steps");
}

/// The spiral net's loss and gradients, on a fresh graph: (allocations, loss, dW1, dW2).
fn fresh_spiral(scale: f64) -> (usize, f64, SMatrix<f64, 2, 100>, SMatrix<f64, 100, 3>) {
    const N: usize = 300;
    let mut out = None;
    let n = allocations(|| {
        let graph = Graph::<f64>::new();
        let x = graph.constant(SMatrix::<f64, N, 2>::from_fn(|r, c| {
            scale * (((r * 7 + c * 3) % 11) as f64 / 11.0 - 0.5)
        }));
        let labels = Labels::<N, 3>::new(std::array::from_fn(|r| r % 3)).unwrap();
        let w1 = graph.var(SMatrix::<f64, 2, 100>::from_fn(|r, c| {
            0.01 * (r + c) as f64
        }));
        let w2 = graph.var(SMatrix::<f64, 100, 3>::from_fn(|r, c| {
            0.01 * (r as f64 - c as f64)
        }));
        let loss = ((x * w1).relu() * w2).softmax_cross_entropy(&labels);
        let grads = loss.backward();
        out = Some((loss.value()[0], *grads.wrt(w1), *grads.wrt(w2)));
    });
    let (loss, d_w1, d_w2) = out.unwrap();
    (n, loss, d_w1, d_w2)
}

#[test]
fn a_fresh_graph_reuses_the_large_buffers_of_a_dropped_one_without_stale_values() {
    // 300×100 f64 buffers (240 KB): two values and two gradients per build.
    let (first, ..) = fresh_spiral(3.0);
    let (second, loss, d_w1, d_w2) = fresh_spiral(1.0);
    assert!(
        second + 4 <= first,
        "the second build made {second} allocations, the first {first}"
    );
    // The same build on a new thread (an empty cache) gives the same numbers.
    let (_, want_loss, want_w1, want_w2) = std::thread::spawn(|| fresh_spiral(1.0)).join().unwrap();
    assert_eq!((loss, d_w1, d_w2), (want_loss, want_w1, want_w2));
}

#[test]
fn after_the_first_step_training_allocates_nothing() {
    let g = Graph::<f64>::new();
    let layer = Dense::<f64, 3, 2>::new(&g, "layer", 3);
    let x = g.constant(Matrix2x3::new(1.0, 0.0, -1.0, 0.5, 2.0, 1.0));
    let loss = layer.forward(x).relu().sum() + layer.weight.l2_penalty(1e-3);
    let mut optimizer = Optimizer::new(Adam::<f64>::default());
    let mut step = || {
        let grads = loss.backward();
        optimizer.step(&layer, &grads);
    };
    // The first step creates the gradient slots and the optimizer states.
    assert!(allocations(&mut step) > 0);
    step(); // the second pass from the loss makes its plan
    let n = allocations(|| {
        for _ in 0..STEPS {
            step();
        }
    });
    assert_eq!(n, 0, "{n} allocations in {STEPS} training steps");
}

#[test]
fn a_replayed_jacobian_of_the_planar_arm_allocates_nothing() {
    // W5: two backward passes per Jacobian, on the same graph.
    let graph = Graph::<f64>::new();
    let (q, tip) = planar_arm(&graph);
    black_box(jacobian(tip, q)); // two passes from the tip: the second makes its plan
    let n = allocations(|| {
        for step in 0..STEPS {
            q.set_value(nalgebra::Vector3::new(0.1 * step as f64, -0.2, 0.4));
            black_box(jacobian(tip, q));
        }
    });
    assert_eq!(n, 0, "{n} allocations in {STEPS} replayed Jacobians");
}

#[test]
fn replaying_the_shooting_gradient_allocates_nothing() {
    // W6: 20 commands set, one backward pass, 20 gradients read.
    let graph = Graph::<f64>::new();
    let (u, cost) = mpc_rollout(&graph);
    drop(cost.backward());
    drop(cost.backward()); // the second pass from a root makes its plan
    let n = allocations(|| {
        for step in 0..STEPS {
            for (k, u_k) in u.iter().enumerate() {
                u_k.set_value(nalgebra::Vector2::new((k + step) as f64 * 0.1, -0.3));
            }
            let grads = cost.backward();
            for u_k in &u {
                black_box(grads.wrt(*u_k));
            }
            drop(grads);
            black_box(cost.value());
        }
    });
    assert_eq!(n, 0, "{n} allocations in {STEPS} replayed steps");
}

#[test]
fn training_with_unread_evaluation_heads_on_the_graph_allocates_nothing() {
    // W7: the spiral net with a one-point, a 16-point and a 300-point head on its layers,
    // trained with Adam; the heads are read once, before the counted steps.
    let graph = Graph::<f64>::new();
    let SpiralNet {
        loss,
        w1,
        b1,
        w2,
        b2,
    } = spiral_net(&graph);
    fn head<'g, const M: usize>(
        x: Var<'g, f64, M, 2>,
        (w1, b1, w2, b2): (
            Var<'g, f64, 2, 100>,
            Var<'g, f64, 1, 100>,
            Var<'g, f64, 100, 3>,
            Var<'g, f64, 1, 3>,
        ),
    ) -> Var<'g, f64, M, 3> {
        ((x * w1).add_row(b1).relu() * w2).add_row(b2)
    }
    let params = (w1, b1, w2, b2);
    let point = head(graph.constant(SMatrix::<f64, 1, 2>::new(0.1, -0.2)), params);
    let batch = head(graph.constant(SMatrix::<f64, 16, 2>::repeat(0.3)), params);
    let all = head(
        graph.constant(*Box::new(SMatrix::<f64, 300, 2>::repeat(-0.1))),
        params,
    );
    black_box((point.value(), batch.value()));
    all.copy_value_to(&mut Box::new(SMatrix::zeros()));
    let mut optimizer = Optimizer::new(Adam::<f64>::default());
    optimizer.step(&(w1, b1, w2, b2), &loss.backward()); // creates the states
    optimizer.step(&(w1, b1, w2, b2), &loss.backward()); // makes the loss's plan
    let n = allocations(|| {
        for _ in 0..STEPS {
            let grads = loss.backward();
            optimizer.step(&(w1, b1, w2, b2), &grads);
        }
    });
    assert_eq!(n, 0, "{n} allocations in {STEPS} training steps");
}

/// Builds W1 (W·x, loss sum(D ∘ G)) afresh and runs backward: its allocations.
fn fresh_w_times_x() -> usize {
    allocations(|| {
        let graph = Graph::<f64>::new();
        let w = graph.var(SMatrix::<f64, 5, 10>::from_fn(|r, c| (r + c) as f64 * 0.1));
        let x = graph.var(SMatrix::<f64, 10, 3>::from_fn(|r, c| r as f64 - c as f64));
        let g = graph.constant(SMatrix::<f64, 5, 3>::repeat(0.5));
        let loss = (w * x).component_mul(g).sum();
        let grads = loss.backward();
        black_box((grads.wrt(w), grads.wrt(x), loss.value()));
    })
}

#[test]
fn a_graph_built_afresh_each_step_allocates_nothing_once_the_thread_has_built_one() {
    // The first build on a thread allocates its buffers (about three vectors per part of the
    // tape); dropping the graph hands them to the next one.
    let (first, later) = std::thread::spawn(|| {
        let first = fresh_w_times_x();
        let later: Vec<usize> = (0..STEPS).map(|_| fresh_w_times_x()).collect();
        (first, later)
    })
    .join()
    .unwrap();
    assert!(first > 0);
    assert!(
        later.iter().all(|&n| n == 0),
        "fresh W1 builds after the first allocated {later:?} times (6 nodes each)"
    );
    println!("fresh W1 (6 nodes): {first} allocations on a new thread, then {later:?}");
}

#[test]
fn a_graph_built_on_a_new_thread_allocates_less_than_once_per_node() {
    // About 400 nodes (leaves and ops of several shapes) on an empty thread: the buffers grow
    // geometrically, so their allocations are amortised over the nodes; an op that carries
    // data (here the 99 `scale(0.5)`) is boxed once, the unit-struct ops are not.
    let (n, nodes) = std::thread::spawn(|| {
        let mut nodes = 0;
        let n = allocations(|| {
            let graph = Graph::<f64>::new();
            let w = graph.var(Matrix2x3::repeat(0.1));
            let mut h = graph.constant(SMatrix::<f64, 4, 2>::repeat(1.0));
            let mut loss = graph.constant(Matrix1::zeros());
            for _ in 0..99 {
                let z = (h * w).relu(); // 4×3
                loss = loss + z.sum();
                h = h.scale(0.5);
            }
            black_box(loss.backward().wrt(w)[0]);
            nodes = graph.len();
        });
        (n, nodes)
    })
    .join()
    .unwrap();
    assert!(n < nodes, "{n} allocations for a {nodes}-node graph");
    assert!(
        n <= 99 + 80,
        "{n} allocations: 99 boxed ops and the buffers' growth"
    );
    println!("{nodes}-node graph on a new thread: {n} allocations");
}

/// Rosenbrock's function in N dimensions, written once for every scalar.
#[cfg(feature = "second-order")]
fn rosenbrock<'g, T: shapegrad::Real, const N: usize>(x: Var<'g, T, N, 1>) -> Var<'g, T, 1, 1> {
    let g = x.graph();
    let mut total = g.constant(Matrix1::zeros());
    for i in 0..N - 1 {
        let (a, b) = (x.row(i), x.row(i + 1));
        let hundred = g.constant(Matrix1::new(nalgebra::convert::<f64, T>(100.0)));
        total = total
            + (b - a.square()).square().component_mul(hundred)
            + a.add_scalar(nalgebra::convert(-1.0)).square();
    }
    total
}

#[cfg(feature = "second-order")]
#[test]
fn replayed_second_order_entry_points_allocate_nothing() {
    use shapegrad::second_order::{ForwardJacobian, Hessian, HessianVectorProduct};
    let arm = ForwardJacobian::new(crate::common::planar_arm_tip, nalgebra::Vector3::zeros());
    let hessian = Hessian::new(rosenbrock::<_, 4>, nalgebra::Vector4::zeros());
    let hvp = HessianVectorProduct::new(rosenbrock::<_, 4>, nalgebra::Vector4::zeros());
    let v = nalgebra::Vector4::new(1.0, 0.0, -1.0, 0.5);
    for _ in 0..2 {
        // The second backward pass from a root makes its plan.
        black_box((
            arm.at(nalgebra::Vector3::zeros()),
            hessian.at(v),
            hvp.at(v, v),
        ));
    }
    let n = allocations(|| {
        for step in 0..STEPS {
            let x = nalgebra::Vector4::repeat(0.1 * step as f64);
            black_box(arm.at(nalgebra::Vector3::new(0.1 * step as f64, 0.2, -0.3)));
            black_box(hessian.at(x));
            black_box(hvp.at(x, v));
        }
    });
    assert_eq!(
        n, 0,
        "{n} allocations in {STEPS} replays of three entry points"
    );
}

/// Builds the circuit (x + y)·z (W4) afresh and runs backward: its allocations.
fn fresh_circuit() -> usize {
    allocations(|| {
        let graph = Graph::<f64>::new();
        let (x, y, z) = (
            graph.var(Matrix1::new(-2.0)),
            graph.var(Matrix1::new(5.0)),
            graph.var(Matrix1::new(-4.0)),
        );
        let f = (x + y).component_mul(z);
        let grads = f.backward();
        black_box((grads.wrt(x), grads.wrt(y), grads.wrt(z), f.value()));
    })
}

/// Builds the shooting problem (W6: 20 steps, 180 op nodes) afresh and runs backward.
fn fresh_shooting() -> usize {
    allocations(|| {
        let graph = Graph::<f64>::new();
        let (u, cost) = mpc_rollout(&graph);
        let grads = cost.backward();
        for u_k in &u {
            black_box(grads.wrt(*u_k));
        }
        black_box(cost.value());
    })
}

#[test]
fn fresh_graphs_of_w1_w2_w4_w6_allocate_nothing_once_the_thread_has_built_each() {
    // W2's ops carry data (labels, the L2 penalties' factors) and W6's have 180 nodes: their
    // boxes are reused from the graph built before, as the buffers are.
    let counts = std::thread::spawn(|| {
        type Build = (&'static str, fn() -> usize);
        let builds: [Build; 4] = [
            ("W1", fresh_w_times_x),
            ("W2", || fresh_spiral(1.0).0),
            ("W4", fresh_circuit),
            ("W6", fresh_shooting),
        ];
        builds.map(|(name, build)| {
            let first = build();
            let later: Vec<usize> = (0..3).map(|_| build()).collect();
            (name, first, later)
        })
    })
    .join()
    .unwrap();
    // The thread's first build (W1) lays out the pooled buffers and boxes; later workloads may
    // find everything they need already there.
    assert!(
        counts[0].1 > 0,
        "W1: the first build on a thread allocates its buffers"
    );
    for (name, first, later) in counts {
        assert_eq!(
            later,
            [0, 0, 0],
            "{name}: fresh builds after the first ({first} allocations)"
        );
    }
}

#[test]
fn a_replay_handle_allocates_nothing_per_step() {
    let graph = Graph::<f64>::new();
    let (u, cost) = mpc_rollout(&graph);
    let mut replay = graph.replay();
    let places: Vec<_> = u.iter().map(|&u_k| replay.place(u_k)).collect();
    let pcost = replay.place(cost);
    let mut step = |shift: f64| {
        for (k, &p) in places.iter().enumerate() {
            replay.set(p, &nalgebra::Vector2::new(k as f64 * 0.1 + shift, -0.3));
        }
        replay.backward(pcost);
        for &p in &places {
            black_box(replay.wrt(p));
        }
        black_box(replay.value(pcost)[0]);
        replay.update(places[0], |u, d_u| *u -= d_u * 0.01);
    };
    step(0.0); // makes the plans
    let n = allocations(|| {
        for k in 0..STEPS {
            step(k as f64);
        }
    });
    assert_eq!(n, 0, "{n} allocations in {STEPS} replayed steps");
}

#[test]
fn more_live_roots_than_the_plan_budget_keep_their_passes_allocation_free() {
    // 300 roots along a chain, each used every round: their plans (about 2·(1 + … + 300)
    // entries) are far more than the cache keeps (8 per node plus 4 096), so plans are dropped
    // (least recently used first) and remade in place, without allocating.
    let graph = Graph::<f64>::new();
    let x = graph.var(Matrix1::new(0.5));
    let mut v = x;
    let mut roots = Vec::new();
    for _ in 0..300 {
        v = (v + x).scale(0.5);
        roots.push(v);
    }
    let round = |shift: f64| {
        for (k, root) in roots.iter().enumerate() {
            x.set_value(Matrix1::new(shift + k as f64 * 1e-3));
            black_box(root.backward().wrt(x)[0]);
        }
    };
    round(0.0);
    round(1.0);
    let n = allocations(|| round(2.0));
    assert_eq!(
        n, 0,
        "{n} allocations in a round of 300 passes from 300 roots"
    );
}

#[cfg(feature = "second-order")]
#[test]
fn replayed_second_order_entry_points_allocate_nothing_in_f32_and_on_matrix_inputs() {
    use shapegrad::second_order::{ForwardJacobian, Hessian, HessianVectorProduct};
    type Jac32 = ForwardJacobian<3, 2, 3, 1, 2, 1, f32>;
    let arm: Jac32 =
        ForwardJacobian::new(crate::common::planar_arm_tip, nalgebra::Vector3::zeros());
    let hessian = Hessian::new(rosenbrock::<_, 4>, nalgebra::Vector4::<f32>::zeros());
    let hvp = HessianVectorProduct::new(rosenbrock::<_, 4>, nalgebra::Vector4::<f32>::zeros());
    // A 2×3 input with a 3×3 value (Xᵀ·X), flattened: 9×6.
    let gram: ForwardJacobian<6, 9, 2, 3, 3, 3> =
        ForwardJacobian::new_flat(|x| x.transpose() * x, Matrix2x3::zeros());
    let flat: Hessian<6, 2, 3> = Hessian::new_flat(|x| x.powi(3).sum(), Matrix2x3::zeros());
    let v = nalgebra::Vector4::new(1.0f32, 0.0, -1.0, 0.5);
    let w = Matrix2x3::new(1.0, 2.0, 3.0, -1.0, 0.5, 0.25);
    for _ in 0..2 {
        // The second backward pass from a root makes its plan.
        black_box((
            arm.at(nalgebra::Vector3::zeros()),
            hessian.at(v),
            hvp.at(v, v),
        ));
        black_box((gram.at(w), flat.at(w)));
    }
    let n = allocations(|| {
        for step in 0..STEPS {
            let x = nalgebra::Vector4::repeat(0.1 * step as f32);
            black_box(arm.at(nalgebra::Vector3::new(0.1 * step as f32, 0.2, -0.3)));
            black_box(hessian.at(x));
            black_box(hvp.at(x, v));
            black_box(gram.at(w * step as f64));
            black_box(flat.at(w * step as f64));
        }
    });
    assert_eq!(
        n, 0,
        "{n} allocations in {STEPS} replays of five entry points"
    );
}
