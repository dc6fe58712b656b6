//! The plain-function entry points of `second_order` (`jacobian_of_fn`, `hessian_of_fn`,
//! `hvp_of_fn`, `jvp_of_fn` and the `_flat` forms) on functions written with nalgebra and no
//! graph, generic over the scalar: against the graph entry points on the same math (to 1e-15
//! relative in f64), against the analytic Jacobian and hand-written gradients, and against
//! central differences. The 3-link arm's forward kinematics, a cost on it, and a 20-step
//! unicycle driven by a 20×2 control sequence (a matrix-shaped input, no reshaping).
//!
//! The matrix-shaped inputs of the graph entry points (`forward_jacobian_flat`,
//! `ForwardJacobian::new_flat`, `hessian_flat`, `hvp`) and their closed forms are in
//! `tests/integration/second_order_matrix.rs`.

#[path = "../../examples/robot_arm/arm.rs"]
mod arm;
use crate::common;

use common::{random, rng};
use nalgebra::{Matrix1, SMatrix, SVector, Vector2, Vector3};
use shapegrad::jacobian::{self, jacobian};
use shapegrad::second_order::{
    forward_jacobian, hessian, hessian_flat, hessian_of_fn, hessian_of_fn_flat, hvp, hvp_of_fn,
    jacobian_of_fn, jvp_of_fn,
};
use shapegrad::{Graph, Real, Var};

/// max |got − want| ≤ tol · max |want| (the reference's largest entry), naming the entry.
fn assert_relative<const R: usize, const C: usize>(
    what: &str,
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
    tol: f64,
) {
    let scale = want.amax().max(f64::MIN_POSITIVE);
    for (k, (a, b)) in got.iter().zip(want.iter()).enumerate() {
        assert!(
            (a - b).abs() <= tol * scale,
            "{what}: entry {k} (column-major) is {a}, expected {b} (tolerance {tol} × {scale})"
        );
    }
}

// The arm: ½‖tip(q) − target‖² + ½·μ·‖q − rest‖², on the graph and by hand. ----------------

const TARGET: Vector2<f64> = Vector2::new(1.2, 1.1);
const REST: Vector3<f64> = Vector3::new(0.0, 0.5, 0.5);
const MU: f64 = 0.1;

fn cost<'g, T: Real>(q: Var<'g, T, 3, 1>) -> Var<'g, T, 1, 1> {
    let g = q.graph();
    let error = arm::tip(q) - g.constant(TARGET.cast::<T>());
    let away = q - g.constant(REST.cast::<T>());
    let (half, mu): (T, T) = (nalgebra::convert(0.5), nalgebra::convert(MU));
    (error.norm_squared() + away.norm_squared().scale(mu)).scale(half)
}

fn cost_by_hand<T: Real>(q: &Vector3<T>) -> Matrix1<T> {
    let error = arm::tip_by_hand(q) - TARGET.cast::<T>();
    let away = q - REST.cast::<T>();
    let (half, mu): (T, T) = (nalgebra::convert(0.5), nalgebra::convert(MU));
    Matrix1::new((error.norm_squared() + away.norm_squared() * mu) * half)
}

/// Jᵀ·(tip − target) + μ·(q − rest), by hand: the role a generated gradient plays.
fn gradient_by_hand<T: Real>(q: &Vector3<T>) -> Vector3<T> {
    let error = arm::tip_by_hand(q) - TARGET.cast::<T>();
    let mu: T = nalgebra::convert(MU);
    arm::analytic_jacobian(q).transpose() * error + (q - REST.cast::<T>()) * mu
}

#[test]
fn arm_jacobian_of_the_plain_function_equals_the_graphs() {
    for seed in 0..8 {
        let q = random::<3, 1>(&mut rng(seed)) * 3.0;
        let (tip, jac) = jacobian_of_fn(arm::tip_by_hand, q);
        assert_eq!(
            tip,
            arm::tip_by_hand(&q),
            "the real parts are the f64 arithmetic"
        );
        let (tip_graph, forward) = forward_jacobian(arm::tip, q);
        assert_relative("tip, plain vs graph", &tip, &tip_graph, 1e-15);
        assert_relative("forward mode, plain vs graph", &jac, &forward, 1e-15);

        let g = Graph::<f64>::new();
        let qv = g.var(q);
        let reverse = jacobian(arm::tip(qv), qv);
        assert_relative("plain forward vs graph reverse", &jac, &reverse, 1e-15);
        let analytic = arm::analytic_jacobian(&q);
        assert_relative("plain forward vs analytic", &jac, &analytic, 1e-15);
        let numeric = jacobian::numerical_jacobian(arm::tip(qv), qv, 6e-6);
        assert_relative("central differences", &numeric, &jac, 1e-9);
    }
}

#[test]
fn arm_cost_second_order_of_the_plain_function_equals_the_graphs() {
    for seed in 10..18 {
        let q = random::<3, 1>(&mut rng(seed)) * 2.0;
        let v = random::<3, 1>(&mut rng(seed + 100));
        let (value, gradient, h) = hessian_of_fn(cost_by_hand, q);
        let (value_graph, gradient_graph, h_graph) = hessian(cost, q);
        assert!((value - value_graph).abs() <= 1e-15 * value_graph.abs());
        assert_relative(
            "gradient, plain vs graph",
            &gradient,
            &gradient_graph,
            1e-15,
        );
        assert_relative(
            "gradient vs by hand",
            &gradient,
            &gradient_by_hand(&q),
            1e-15,
        );
        assert_relative("Hessian, plain vs graph", &h, &h_graph, 1e-15);

        let (value_hv, gradient_hv, hv) = hvp_of_fn(cost_by_hand, q, v);
        let (_, _, hv_graph) = hvp(cost, q, v);
        assert_eq!(value_hv, value);
        assert_relative(
            "gradient from hvp_of_fn",
            &gradient_hv,
            &gradient_graph,
            1e-15,
        );
        assert_relative("H·v, plain vs graph", &hv, &hv_graph, 1e-15);

        // Forward over reverse on the hand-written gradient: the Hessian and H·v again.
        let (gradient_fr, h_fr) = jacobian_of_fn(gradient_by_hand, q);
        assert_relative("gradient by hand", &gradient_fr, &gradient_graph, 1e-15);
        assert_relative("Jacobian of the gradient", &h_fr, &h_graph, 1e-15);
        let (_, hv_fr) = jvp_of_fn(gradient_by_hand, q, v);
        assert_relative("JVP of the gradient", &hv_fr, &hv_graph, 1e-15);

        let g = Graph::<f64>::new();
        let qv = g.var(q);
        let numeric = jacobian::numerical_hessian(cost(qv), qv, 6e-6);
        assert_relative("central differences", &numeric, &h, 1e-8);
    }
}

// A unicycle driven for 20 steps by a 20×2 control sequence U (speed, turn rate per row):
// Σₜ ‖pₜ − target‖² + r·‖uₜ‖². Nonlinear in U through the heading. ----------------------

const STEPS: usize = 20;
const DT: f64 = 0.1;
const R_WEIGHT: f64 = 0.01;
const GOAL: Vector2<f64> = Vector2::new(1.0, 0.5);

fn unicycle<'g, T: Real>(u: Var<'g, T, STEPS, 2>) -> Var<'g, T, 1, 1> {
    let g = u.graph();
    let (dt, r): (T, T) = (nalgebra::convert(DT), nalgebra::convert(R_WEIGHT));
    let goal = g.constant(GOAL.cast::<T>());
    let mut position = g.constant(Vector2::zeros());
    let mut heading = g.constant(Matrix1::zeros());
    let mut total = g.constant(Matrix1::zeros());
    for t in 0..STEPS {
        let step = u.row(t);
        let (speed, turn) = (step.column(0), step.column(1));
        heading = heading + turn.scale(dt);
        let direction = heading.cos().vstack(heading.sin());
        position = position + direction * speed.scale(dt);
        total = total + (position - goal).norm_squared() + step.norm_squared().scale(r);
    }
    total
}

fn unicycle_by_hand<T: Real>(u: &SMatrix<T, STEPS, 2>) -> Matrix1<T> {
    let (dt, r): (T, T) = (nalgebra::convert(DT), nalgebra::convert(R_WEIGHT));
    let goal = GOAL.cast::<T>();
    let (mut position, mut heading, mut total) = (Vector2::<T>::zeros(), T::zero(), T::zero());
    for t in 0..STEPS {
        let (speed, turn) = (u[(t, 0)], u[(t, 1)]);
        heading += turn * dt;
        position += Vector2::new(heading.cos(), heading.sin()) * (speed * dt);
        total = total + (position - goal).norm_squared() + (speed * speed + turn * turn) * r;
    }
    Matrix1::new(total)
}

/// Runs `work` on a thread with a 256 MiB stack: `Dual2SVec<f64, 40>` is 1 + 40 + 40² numbers
/// (13 KB) per scalar, and a debug build keeps many such temporaries on the stack.
fn with_big_stack<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(work)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn unicycle_second_order_over_a_20x2_control_sequence() {
    for seed in 20..23 {
        let u = random::<STEPS, 2>(&mut rng(seed));
        let v = random::<STEPS, 2>(&mut rng(seed + 100));
        let (value_graph, gradient_graph, h_graph): (_, _, SMatrix<f64, 40, 40>) =
            hessian_flat(unicycle, u);
        let (value, gradient, h): (_, _, SMatrix<f64, 40, 40>) =
            with_big_stack(move || hessian_of_fn_flat(unicycle_by_hand, u));
        assert!((value - value_graph).abs() <= 1e-15 * value_graph.abs());
        assert_relative(
            "gradient, plain vs graph",
            &gradient,
            &gradient_graph,
            1e-15,
        );
        assert_relative("Hessian, plain vs graph", &h, &h_graph, 1e-15);
        assert_relative("symmetry", &h, &h.transpose(), 1e-15);

        let g = Graph::<f64>::new();
        let uv = g.var(u);
        let reverse = *unicycle(uv).backward().wrt(uv);
        assert_relative("gradient vs reverse mode", &gradient, &reverse, 1e-15);

        // H·v with v of U's shape is the flat Hessian applied to vec(v), reshaped back.
        let flat_hv = h_graph * SVector::<f64, 40>::from_column_slice(v.as_slice());
        let flat_hv = SMatrix::<f64, STEPS, 2>::from_column_slice(flat_hv.as_slice());
        let (_, _, hv) = hvp_of_fn(unicycle_by_hand, u, v);
        let (_, _, hv_graph) = hvp(unicycle, u, v);
        assert_relative("H·v, plain", &hv, &flat_hv, 1e-14);
        assert_relative("H·v, plain vs graph", &hv, &hv_graph, 1e-15);

        // Central differences on vec(U), through the Reshape op (also column-major).
        let g = Graph::<f64>::new();
        let flat = g.var(SVector::<f64, 40>::from_column_slice(u.as_slice()));
        let numeric = jacobian::numerical_hessian(unicycle(flat.reshape::<STEPS, 2>()), flat, 6e-6);
        assert_relative("central differences", &numeric, &h, 1e-7);
    }
}

#[test]
fn jvp_of_fn_is_the_jacobian_along_a_direction_for_any_shapes() {
    // The unicycle's per-step position (2×20) as a function of U (20×2): J·v from one dual
    // evaluation against the flat forward Jacobian applied to vec(v).
    fn positions<T: Real>(u: &SMatrix<T, STEPS, 2>) -> SMatrix<T, 2, STEPS> {
        let dt: T = nalgebra::convert(DT);
        let (mut position, mut heading) = (Vector2::<T>::zeros(), T::zero());
        SMatrix::from_columns(&std::array::from_fn::<_, STEPS, _>(|t| {
            heading += u[(t, 1)] * dt;
            position += Vector2::new(heading.cos(), heading.sin()) * (u[(t, 0)] * dt);
            position
        }))
    }
    let u = random::<STEPS, 2>(&mut rng(30));
    let v = random::<STEPS, 2>(&mut rng(31));
    let (y, jv) = jvp_of_fn(positions, u, v);
    assert_eq!(y, positions(&u));
    let (y_too, jac): (_, SMatrix<f64, 40, 40>) =
        shapegrad::second_order::jacobian_of_fn_flat(positions, u);
    assert_eq!(y_too, y);
    let flat = jac * SVector::<f64, 40>::from_column_slice(v.as_slice());
    assert_relative(
        "J·v",
        &jv,
        &SMatrix::<f64, 2, STEPS>::from_column_slice(flat.as_slice()),
        1e-14,
    );
    // The position at step t does not depend on later controls: J is block lower triangular.
    assert_eq!(jac[(0, 5)], 0.0); // ∂x₀/∂U[5,0]
    assert_ne!(jac[(2 * 5, 5)], 0.0); // ∂x₅/∂U[5,0] = dt·cos θ₅
}

#[test]
fn hvp_of_fn_on_an_input_without_entries_still_gives_the_value() {
    fn constant<T: Real>(_: &SMatrix<T, 0, 1>) -> Matrix1<T> {
        Matrix1::new(nalgebra::convert(3.0))
    }
    let (value, gradient, hv) =
        hvp_of_fn(constant, SMatrix::<f64, 0, 1>::zeros(), SMatrix::zeros());
    assert_eq!((value, gradient.len(), hv.len()), (3.0, 0, 0));
}
