//! A replayed step (set leaves, forward, backward, read gradients and values) makes no heap
//! allocation: counted by a counting global allocator in this test binary of its own.
//!
//! The counter is per thread, so the test harness's own threads do not disturb it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

mod common;

use common::{SpiralNet, mpc_rollout, planar_arm, spiral_net};
use nalgebra::{Matrix1, Matrix2x3, SMatrix};
use shapegrad::jacobian::jacobian;
use shapegrad::nn::Dense;
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::{Graph, Labels, Var};

/// Forwards every call to the system allocator and counts, per thread, the calls that
/// allocate (`alloc`, `alloc_zeroed`, `realloc`).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the thread-local may be gone while a thread shuts down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; counting touches only a const-initialised thread-local `Cell` (no
// allocation, no destructor), so it cannot recurse into the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The number of allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const STEPS: usize = 10;

#[test]
fn the_counter_sees_an_allocation() {
    assert_eq!(
        allocations(|| drop(black_box(Vec::<u8>::with_capacity(1)))),
        1
    );
    assert_eq!(allocations(|| drop(black_box(Box::new([1u64; 4])))), 1);
    assert_eq!(allocations(|| _ = black_box(Matrix1::new(1.0))), 0);
}

#[test]
fn replaying_w_times_x_allocates_nothing() {
    // The notes' W (5×10)·x (10×3), loss = sum(D ∘ G).
    let graph = Graph::<f64>::new();
    let w = graph.var(SMatrix::<f64, 5, 10>::from_fn(|r, c| (r + c) as f64 * 0.1));
    let x = graph.var(SMatrix::<f64, 10, 3>::from_fn(|r, c| r as f64 - c as f64));
    let g = graph.constant(SMatrix::<f64, 5, 3>::repeat(0.5));
    let loss = (w * x).component_mul(g).sum();
    drop(loss.backward()); // the first pass allocates the gradient buffers
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
    black_box(jacobian(tip, q));
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
    // and `update_value`'s scratch matrix (once per thread and size).
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
    let n = allocations(|| (0..STEPS).for_each(|_| step()));
    assert_eq!(n, 0, "{n} allocations in {STEPS} replayed steps");
}
