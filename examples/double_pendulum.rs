//! A double pendulum whose accelerations come from `solve(M(q), τ − C(q, q̇)·q̇ − G(q))`, and
//! the gradient of a rollout's cost with respect to the torques.
//!
//! Two point masses m₁, m₂ on massless rods l₁, l₂, angles q from the downward vertical,
//! torques τ at both joints:
//!
//! ```text
//! M(q) = [ (m₁+m₂)·l₁²           m₂·l₁·l₂·cos(q₁−q₂) ]    C(q, q̇)·q̇ = m₂·l₁·l₂·sin(q₁−q₂)·[  q̇₂² ]
//!        [ m₂·l₁·l₂·cos(q₁−q₂)   m₂·l₂²              ]                                    [ −q̇₁² ]
//! G(q) = [ (m₁+m₂)·g·l₁·sin q₁,  m₂·g·l₂·sin q₂ ]ᵀ
//! ```
//!
//! M(q) is assembled in the graph from a constant and its variable off-diagonal entry
//! (`with_block`), and the accelerations are `m.solve(τ − c − g)`. The example asserts:
//!
//! 1. the accelerations agree with the textbook closed form (no torque) and with Cramer's rule
//!    (with torque), at random states;
//! 2. the same graph, replayed as the right-hand side of an RK4 integrator, conserves the
//!    energy of the free pendulum;
//! 3. one step's linearisation `x' ≈ A·x + B·u` comes from one call, `jacobian(next, (x, u))`,
//!    and agrees with central differences;
//! 4. a 40-step rollout (semi-implicit Euler, its states stacked into one 160×1 var with
//!    `Var::vstack_array`), whose cost's gradient with respect to the 2×40 torques passes a
//!    gradient check, and gradient descent on those torques (Adam, 400 steps) swings the
//!    pendulum to a goal and holds it there (cost down more than 100×, final angles within
//!    0.02 rad).
//!
//! Run: `cargo run --release --example double_pendulum`

use nalgebra::{Matrix2, SMatrix, Vector2, Vector4};
use shapegrad::check::{GradcheckOptions, gradcheck};
use shapegrad::jacobian::{jacobian, numerical_jacobian};
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::{Graph, Real, Var};

const M1: f64 = 1.0;
const M2: f64 = 0.8;
const L1: f64 = 1.0;
const L2: f64 = 0.7;
const GRAVITY: f64 = 9.81;

/// q̈ = M(q)⁻¹·(τ − C(q, q̇)·q̇ − G(q)), generic over the scalar.
fn accelerations<'g, T: Real>(
    q: Var<'g, T, 2, 1>,
    qd: Var<'g, T, 2, 1>,
    tau: Var<'g, T, 2, 1>,
) -> Var<'g, T, 2, 1> {
    let g = q.graph();
    let k: T = nalgebra::convert(M2 * L1 * L2);
    let delta = q.row(0) - q.row(1);
    let coupling = delta.cos().scale(k);
    let diagonal = Matrix2::new((M1 + M2) * L1 * L1, 0.0, 0.0, M2 * L2 * L2);
    let mass = g
        .constant(diagonal.cast::<T>())
        .with_block(0, 1, coupling)
        .with_block(1, 0, coupling);
    let swap = g.constant(Matrix2::new(0.0, 1.0, -1.0, 0.0).cast::<T>()); // (a, b) → (b, −a)
    let coriolis = (swap * qd.component_mul(qd)) * delta.sin().scale(k);
    let weights = Matrix2::new((M1 + M2) * GRAVITY * L1, 0.0, 0.0, M2 * GRAVITY * L2);
    let gravity = g.constant(weights.cast::<T>()) * q.sin();
    mass.solve(tau - coriolis - gravity)
}

/// The textbook closed form without torque (e.g. myphysicslab's double pendulum).
fn closed_form(q: Vector2<f64>, qd: Vector2<f64>) -> Vector2<f64> {
    let (t1, t2, w1, w2) = (q[0], q[1], qd[0], qd[1]);
    let d = t1 - t2;
    let den = 2.0 * M1 + M2 - M2 * (2.0 * d).cos();
    let a1 = (-GRAVITY * (2.0 * M1 + M2) * t1.sin()
        - M2 * GRAVITY * (t1 - 2.0 * t2).sin()
        - 2.0 * d.sin() * M2 * (w2 * w2 * L2 + w1 * w1 * L1 * d.cos()))
        / (L1 * den);
    let a2 = 2.0
        * d.sin()
        * (w1 * w1 * L1 * (M1 + M2) + GRAVITY * (M1 + M2) * t1.cos() + w2 * w2 * L2 * M2 * d.cos())
        / (L2 * den);
    Vector2::new(a1, a2)
}

/// The same equations solved by Cramer's rule, with torque.
fn by_cramer(q: Vector2<f64>, qd: Vector2<f64>, tau: Vector2<f64>) -> Vector2<f64> {
    let d = q[0] - q[1];
    let (a11, a12, a22) = ((M1 + M2) * L1 * L1, M2 * L1 * L2 * d.cos(), M2 * L2 * L2);
    let k = M2 * L1 * L2 * d.sin();
    let b1 = tau[0] - k * qd[1] * qd[1] - (M1 + M2) * GRAVITY * L1 * q[0].sin();
    let b2 = tau[1] + k * qd[0] * qd[0] - M2 * GRAVITY * L2 * q[1].sin();
    let det = a11 * a22 - a12 * a12;
    Vector2::new((a22 * b1 - a12 * b2) / det, (a11 * b2 - a12 * b1) / det)
}

fn energy(x: &Vector4<f64>) -> f64 {
    let (q1, q2, w1, w2) = (x[0], x[1], x[2], x[3]);
    0.5 * (M1 + M2) * L1 * L1 * w1 * w1
        + 0.5 * M2 * L2 * L2 * w2 * w2
        + M2 * L1 * L2 * w1 * w2 * (q1 - q2).cos()
        - (M1 + M2) * GRAVITY * L1 * q1.cos()
        - M2 * GRAVITY * L2 * q2.cos()
}

/// One semi-implicit Euler step of the state x = (q, q̇) under torque u.
fn step<'g, T: Real>(x: Var<'g, T, 4, 1>, u: Var<'g, T, 2, 1>, dt: f64) -> Var<'g, T, 4, 1> {
    let dt: T = nalgebra::convert(dt);
    let (q, qd) = (x.fixed_view::<2, 1, 0, 0>(), x.fixed_view::<2, 1, 2, 0>());
    let qd_next = qd + accelerations(q, qd, u).scale(dt);
    (q + qd_next.scale(dt)).vstack(qd_next)
}

const STEPS: usize = 40;
const DT: f64 = 0.025;

/// The rollout from rest at q = 0 under the torques `u` (2×STEPS, column k at step k): its
/// 40 states stacked into one 160×1 var, and the cost ½·10·Σ‖x_k − goal‖² over the last 10
/// states + ½·10⁻⁴·‖u‖².
fn rollout<'g>(
    u: Var<'g, f64, 2, STEPS>,
    goal: Vector4<f64>,
) -> (Var<'g, f64, 160, 1>, Var<'g, f64, 1, 1>) {
    let g = u.graph();
    let mut x = g.constant(Vector4::zeros());
    let mut states = [x; STEPS];
    for (k, state) in states.iter_mut().enumerate() {
        x = step(x, u.column(k), DT);
        *state = x;
    }
    let trajectory: Var<'_, f64, 160, 1> = Var::vstack_array(states);
    let goals = SMatrix::<f64, 160, 1>::from_fn(|r, _| goal[r % 4]);
    // Reach the goal and hold it: the last 10 states (a quarter second) count.
    let weights = SMatrix::<f64, 160, 1>::from_fn(|r, _| {
        if r / 4 >= STEPS - 10 {
            10f64.sqrt()
        } else {
            0.0
        }
    });
    let error = (trajectory - g.constant(goals)).component_mul(g.constant(weights));
    let cost = (error.norm_squared() + u.norm_squared().scale(1e-4)).scale(0.5);
    (trajectory, cost)
}

fn main() {
    // 1. Accelerations against the closed form and Cramer's rule.
    let g = Graph::<f64>::new();
    let (q, qd, tau) = (
        g.var(Vector2::zeros()),
        g.var(Vector2::zeros()),
        g.var(Vector2::zeros()),
    );
    let acc = accelerations(q, qd, tau);
    let mut worst: f64 = 0.0;
    let mut seed = 0x9e3779b97f4a7c15_u64;
    let mut uniform = |scale: f64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        scale * ((seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
    };
    for _ in 0..100 {
        let (qv, qdv) = (
            Vector2::new(uniform(3.0), uniform(3.0)),
            Vector2::new(uniform(4.0), uniform(4.0)),
        );
        let tv = Vector2::new(uniform(5.0), uniform(5.0));
        q.set_value(qv);
        qd.set_value(qdv);
        tau.set_value(Vector2::zeros());
        worst = worst.max((acc.value() - closed_form(qv, qdv)).amax());
        tau.set_value(tv);
        worst = worst.max((acc.value() - by_cramer(qv, qdv, tv)).amax());
    }
    println!(
        "accelerations: solve(M, τ − C·q̇ − G) vs closed form / Cramer, 100 random states: max difference {worst:.1e}"
    );
    assert!(worst < 1e-12);

    // 2. The free pendulum under RK4, the graph replayed as the right-hand side.
    tau.set_value(Vector2::zeros());
    let f = |x: &Vector4<f64>| {
        q.set_value(x.fixed_rows::<2>(0).into_owned());
        qd.set_value(x.fixed_rows::<2>(2).into_owned());
        let a = acc.value();
        Vector4::new(x[2], x[3], a[0], a[1])
    };
    let mut x = Vector4::new(2.0, -1.0, 0.0, 0.5);
    let start = energy(&x);
    let h = 1e-3;
    let mut drift: f64 = 0.0;
    for _ in 0..5000 {
        let k1 = f(&x);
        let k2 = f(&(x + k1 * (h / 2.0)));
        let k3 = f(&(x + k2 * (h / 2.0)));
        let k4 = f(&(x + k3 * h));
        x += (k1 + k2 * 2.0 + k3 * 2.0 + k4) * (h / 6.0);
        drift = drift.max((energy(&x) - start).abs());
    }
    println!("free motion, RK4, 5 s at h = 1 ms: energy {start:.6} J, largest drift {drift:.1e} J");
    // A wrong term of M, C or G would drift by O(1) J; RK4's own error is O(h⁴).
    assert!(drift < 1e-6 * start.abs());

    // 3. One step's linearisation, x' ≈ A·x + B·u, in one call.
    let g = Graph::<f64>::new();
    let x = g.var(Vector4::new(0.4, -0.3, 1.0, -0.5));
    let u = g.var(Vector2::new(0.5, -0.2));
    let next = step(x, u, DT);
    let (a, b): (SMatrix<f64, 4, 4>, SMatrix<f64, 4, 2>) = jacobian(next, (x, u));
    let (a_fd, b_fd) = (
        numerical_jacobian(next, x, 1e-6),
        numerical_jacobian(next, u, 1e-6),
    );
    println!(
        "linearisation: A (4×4) and B (4×2) from jacobian(next, (x, u)); vs central differences {:.1e}, {:.1e}",
        (a - a_fd).amax(),
        (b - b_fd).amax()
    );
    assert!((a - a_fd).amax() < 1e-8 && (b - b_fd).amax() < 1e-8);

    // 4. The rollout's cost, its gradient with respect to the torques, and descent on them.
    let goal = Vector4::new(0.8, 1.2, 0.0, 0.0);
    let g = Graph::<f64>::new();
    let u = g.var(SMatrix::<f64, 2, STEPS>::zeros());
    let (trajectory, cost) = rollout(u, goal);
    u.set_value(SMatrix::from_fn(|r, c| 0.5 * ((r + c) as f64 * 0.3).sin()));
    let report = gradcheck(
        cost,
        &GradcheckOptions {
            rtol: 1e-6,
            ..Default::default()
        },
    );
    println!(
        "rollout cost: gradient w.r.t. the 2×{STEPS} torques vs central differences: {report}"
    );
    assert!(report.passed());

    u.set_value(SMatrix::zeros());
    let initial = cost.value()[0];
    let mut adam = Optimizer::new(Adam {
        lr: 0.5,
        ..Adam::default()
    });
    let mut last = initial;
    for iteration in 0..=400 {
        let grads = cost.backward();
        last = cost.value()[0];
        if iteration % 100 == 0 {
            println!("  iteration {iteration:3}: cost {last:.4}");
        }
        adam.step(&u, &grads);
    }
    let end = trajectory.value().fixed_rows::<4>(156).into_owned();
    println!(
        "cost {initial:.3} → {last:.4}; final state q = ({:.3}, {:.3}), goal ({}, {})",
        end[0], end[1], goal[0], goal[1]
    );
    assert!(
        last < initial / 100.0,
        "descent stalled: {initial} → {last}"
    );
    assert!(
        (end.fixed_rows::<2>(0) - goal.fixed_rows::<2>(0)).amax() < 0.02,
        "{end}"
    );
}
