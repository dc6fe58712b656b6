//! `cargo bench -p shapegrad-benches --bench profile -- <workload> <contender> <steps>`: runs one small workload's
//! step `steps` times, without a timer, for an instruction profile:
//!
//! ```text
//! cargo bench -p shapegrad-benches --bench profile --no-run
//! valgrind --tool=callgrind target/release/deps/profile-<hash> W4 replay 100000
//! valgrind --tool=callgrind target/release/deps/profile-<hash> W4 hand 100000
//! ```
//!
//! The difference of two runs' instruction counts divided by the difference of their steps is
//! the instructions per step without the start-up; `callgrind_annotate` shows where they go.
//! Workloads (as in `benches/workloads`): `W1` (W·x, sum(D ∘ G)), `W4` ((x + y)·z on 1×1),
//! `W6` (the 20-step shooting gradient); contenders `hand`, `fresh` (a graph built each
//! step), `replay` (the `Var` methods), `replay_held` (a `Replay`).

use std::hint::black_box;

use nalgebra::{Matrix1, Matrix2, Matrix4, Matrix4x2, SMatrix, Vector2, Vector4};
use shapegrad::{Graph, Var};

type M = Matrix1<f64>;

fn w4(contender: &str, steps: usize) {
    let inputs = (M::new(-2.0), M::new(5.0), M::new(-4.0));
    match contender {
        "hand" => {
            for _ in 0..steps {
                let (x, y, z) = black_box(inputs);
                let q = x + y;
                black_box((q.component_mul(&z), [z, z, q]));
            }
        }
        "fresh" => {
            for _ in 0..steps {
                let (x, y, z) = black_box(inputs);
                let graph = Graph::<f64>::new();
                let (xv, yv, zv) = (graph.var(x), graph.var(y), graph.var(z));
                let f = (xv + yv).component_mul(zv);
                let grads = f.backward();
                black_box((f.value(), grads.wrt(xv), grads.wrt(yv), grads.wrt(zv)));
            }
        }
        _ => {
            let graph = Graph::<f64>::new();
            let (x, y, z) = (
                graph.var(inputs.0),
                graph.var(inputs.1),
                graph.var(inputs.2),
            );
            let f = (x + y).component_mul(z);
            if contender == "replay" {
                for _ in 0..steps {
                    let (xv, yv, zv) = black_box(inputs);
                    x.set_value(xv);
                    y.set_value(yv);
                    z.set_value(zv);
                    let grads = f.backward();
                    black_box((grads.wrt(x), grads.wrt(y), grads.wrt(z)));
                    drop(grads);
                    black_box(f.value());
                }
            } else {
                let mut held = graph.replay();
                let (px, py, pz, pf) = (held.place(x), held.place(y), held.place(z), held.place(f));
                for _ in 0..steps {
                    let (xv, yv, zv) = black_box(inputs);
                    held.set(px, &xv);
                    held.set(py, &yv);
                    held.set(pz, &zv);
                    held.backward(pf);
                    black_box((held.wrt(px), held.wrt(py), held.wrt(pz)));
                    black_box(held.value(pf));
                }
            }
        }
    }
}

fn w1(contender: &str, steps: usize) {
    let w = SMatrix::<f64, 5, 10>::from_fn(|r, c| (r + c) as f64 * 0.1);
    let x = SMatrix::<f64, 10, 3>::from_fn(|r, c| r as f64 - c as f64);
    let g = SMatrix::<f64, 5, 3>::repeat(0.5);
    fn build<'g>(
        graph: &'g Graph<f64>,
        (w, x, g): (SMatrix<f64, 5, 10>, SMatrix<f64, 10, 3>, SMatrix<f64, 5, 3>),
    ) -> (Var<'g, f64, 5, 10>, Var<'g, f64, 10, 3>, Var<'g, f64, 1, 1>) {
        let (wv, xv) = (graph.var(w), graph.var(x));
        let loss = (wv * xv).component_mul(graph.constant(g)).sum();
        (wv, xv, loss)
    }
    match contender {
        "hand" => {
            for _ in 0..steps {
                let (w, x, g) = black_box((&w, &x, &g));
                let d = w * x;
                black_box((d.dot(g), g * x.transpose(), w.tr_mul(g)));
            }
        }
        "fresh" => {
            for _ in 0..steps {
                let graph = Graph::<f64>::new();
                let (wv, xv, loss) = build(&graph, (w, x, g));
                let grads = loss.backward();
                black_box((loss.value(), grads.wrt(wv), grads.wrt(xv)));
            }
        }
        _ => {
            let graph = Graph::<f64>::new();
            let (wv, xv, loss) = build(&graph, (w, x, g));
            if contender == "replay" {
                for _ in 0..steps {
                    wv.set_value(black_box(w));
                    xv.set_value(black_box(x));
                    let grads = loss.backward();
                    black_box((grads.wrt(wv), grads.wrt(xv)));
                    drop(grads);
                    black_box(loss.value());
                }
            } else {
                let mut held = graph.replay();
                let (pw, px, ploss) = (held.place(wv), held.place(xv), held.place(loss));
                for _ in 0..steps {
                    held.set(pw, black_box(&w));
                    held.set(px, black_box(&x));
                    held.backward(ploss);
                    black_box((held.wrt(pw), held.wrt(px)));
                    black_box(held.value(ploss));
                }
            }
        }
    }
}

type Commands<'g> = [Var<'g, f64, 2, 1>; 20];

fn rollout(graph: &Graph<f64>) -> (Commands<'_>, Var<'_, f64, 1, 1>) {
    #[rustfmt::skip]
    let a = graph.constant(Matrix4::new(
        1.0, 0.1, 0.0, 0.0,
        0.0, 1.0, 0.0, 0.0,
        0.0, 0.0, 1.0, 0.1,
        0.0, 0.0, 0.0, 1.0,
    ));
    let b = graph.constant(Matrix4x2::new(0.005, 0.0, 0.1, 0.0, 0.0, 0.005, 0.0, 0.1));
    let q = graph.constant(Matrix4::from_diagonal(&Vector4::new(1.0, 0.1, 1.0, 0.1)));
    let r = graph.constant(Matrix2::identity() * 0.01);
    let u: Commands<'_> = std::array::from_fn(|_| graph.var(Vector2::zeros()));
    let mut x = graph.constant(Vector4::new(1.0, 0.0, -0.5, 0.2));
    let mut cost = graph.constant(Matrix1::zeros());
    for u_k in u {
        x = a * x + b * u_k;
        cost = cost + x.dot(q * x) + u_k.dot(r * u_k);
    }
    (u, cost)
}

fn w6(contender: &str, steps: usize) {
    let values: [Vector2<f64>; 20] =
        std::array::from_fn(|k| Vector2::new((k as f64 * 0.3).sin(), (k as f64 * 0.2).cos()));
    match contender {
        "fresh" => {
            for _ in 0..steps {
                let graph = Graph::<f64>::new();
                let (u, cost) = rollout(&graph);
                for (u_k, value) in u.iter().zip(black_box(&values)) {
                    u_k.set_value(*value);
                }
                let grads = cost.backward();
                for u_k in &u {
                    black_box(grads.wrt(*u_k));
                }
            }
        }
        "replay" => {
            let graph = Graph::<f64>::new();
            let (u, cost) = rollout(&graph);
            for _ in 0..steps {
                for (u_k, value) in u.iter().zip(black_box(&values)) {
                    u_k.set_value(*value);
                }
                let grads = cost.backward();
                for u_k in &u {
                    black_box(grads.wrt(*u_k));
                }
                drop(grads);
                black_box(cost.value());
            }
        }
        "replay_held" => {
            let graph = Graph::<f64>::new();
            let (u, cost) = rollout(&graph);
            let mut held = graph.replay();
            let places: [_; 20] = std::array::from_fn(|k| held.place(u[k]));
            let pcost = held.place(cost);
            for _ in 0..steps {
                for (&p, value) in places.iter().zip(black_box(&values)) {
                    held.set(p, value);
                }
                held.backward(pcost);
                for &p in &places {
                    black_box(held.wrt(p));
                }
                black_box(held.value(pcost));
            }
        }
        other => eprintln!("W6 has no contender {other} here"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [workload, contender, steps] = args.as_slice() else {
        eprintln!("usage: profile <W1|W4|W6> <hand|fresh|replay|replay_held> <steps>");
        return;
    };
    let steps: usize = steps.parse().expect("steps: a number");
    match workload.as_str() {
        "W1" => w1(contender, steps),
        "W4" => w4(contender, steps),
        "W6" => w6(contender, steps),
        other => eprintln!("unknown workload {other}"),
    }
}
