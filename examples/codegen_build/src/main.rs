//! `cargo run --release -p codegen_build`: the generated arm and MPC modules at work.
//!
//! 1. Inverse kinematics of the 3-link arm by damped least squares, with the generated
//!    kinematics and Jacobian (`arm::value_and_jacobian`).
//! 2. Gradient descent on the 20-step MPC cost with its generated gradient
//!    (`mpc::value_and_gradient`), checked against the graph's.
//! 3. 10 000 IK solves on one thread and on two: the generated functions are plain `fn`s,
//!    `Send + Sync`, with nothing shared.

use std::time::{Duration, Instant};

use codegen_build::{arm, graphs, mpc, solve_ik};
use nalgebra::{SMatrix, Vector2, Vector3, Vector4};
use shapegrad::Graph;

fn main() {
    inverse_kinematics();
    model_predictive_control();
    many_at_once();
}

fn inverse_kinematics() {
    let target = Vector2::new(1.2, 0.9);
    let start = Vector3::new(0.3, -0.7, 1.1);
    let (q, steps) = solve_ik(&target, &start, 1e-10, 100).expect("the arm reaches the target");
    let tip = arm::value(&q);
    assert!((tip - target).norm() < 1e-10);
    // The generated Jacobian is the graph's, bit for bit.
    let g = Graph::<f64>::new();
    let (qv, p) = graphs::arm(&g);
    qv.set_value(q);
    assert_eq!(arm::jacobian(&q), shapegrad::jacobian::jacobian(p, qv));
    println!(
        "IK: tip ({:.3}, {:.3}) reached in {steps} damped least-squares steps, q = ({:.4}, {:.4}, {:.4})",
        target.x, target.y, q[0], q[1], q[2]
    );
}

fn model_predictive_control() {
    let x0 = Vector4::new(1.0, 0.0, -0.5, 0.2);
    let mut u = SMatrix::<f64, 2, { graphs::STEPS }>::zeros();
    // The generated gradient is the graph's, bit for bit.
    let g = Graph::<f64>::new();
    let (x0v, uv, cost) = graphs::mpc(&g);
    x0v.set_value(x0);
    uv.set_value(u);
    let (first, d_u) = mpc::value_and_gradient(&x0, &u);
    assert_eq!(first, cost.value()[0]);
    assert_eq!(d_u, *cost.backward().wrt(uv));
    let rate = 0.5;
    let mut steps = 0;
    let last = loop {
        let (value, d_u) = mpc::value_and_gradient(&x0, &u);
        if d_u.norm() < 1e-8 || steps == 10_000 {
            break value;
        }
        u -= d_u * rate;
        steps += 1;
    };
    assert!(steps < 10_000, "gradient descent converges");
    assert!(last < first);
    println!("MPC: cost {first:.4} → {last:.6} in {steps} gradient steps (‖∇J‖ < 1e-8)");
}

/// Reachable targets spread over the arm's workspace, and a start.
fn targets(n: usize) -> Vec<Vector2<f64>> {
    (0..n)
        .map(|k| {
            let angle = k as f64 * 2.399_963; // the golden angle
            let radius = 0.6 + 1.4 * ((k * 7919) % n) as f64 / n as f64;
            Vector2::new(radius * angle.cos(), radius * angle.sin())
        })
        .collect()
}

/// Solves every target; returns how many converged.
fn solve_all(targets: &[Vector2<f64>]) -> usize {
    let start = Vector3::new(0.3, -0.7, 1.1);
    targets
        .iter()
        .filter(|t| solve_ik(t, &start, 1e-9, 200).is_some())
        .count()
}

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut solved = 0;
    for _ in 0..runs {
        let start = Instant::now();
        solved = f();
        best = best.min(start.elapsed());
    }
    (best, solved)
}

fn many_at_once() {
    let targets = targets(10_000);
    let (one, solved) = best_of(5, || solve_all(&targets));
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(2);
    let (many, solved_many) = best_of(5, || {
        let chunk = targets.len().div_ceil(threads);
        std::thread::scope(|s| {
            let workers: Vec<_> = targets
                .chunks(chunk)
                .map(|part| s.spawn(move || solve_all(part)))
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("a worker"))
                .sum()
        })
    });
    assert_eq!(solved, solved_many);
    assert!(solved >= 9_900, "{solved} of 10 000 targets solved");
    println!(
        "10 000 IK solves ({solved} converged): {:.2} ms on 1 thread, {:.2} ms on {threads} \
         threads, speed-up {:.2}×",
        one.as_secs_f64() * 1e3,
        many.as_secs_f64() * 1e3,
        one.as_secs_f64() / many.as_secs_f64()
    );
}
