//! `second_order` in f32: every entry point, one-shot and replayed, on graphs and on plain
//! functions, against closed forms and against central differences of f32 graphs.
//!
//! The inputs are drawn in f32 and the references are computed in f64 at those same inputs
//! (widened exactly), so the only differences are the f32 roundings of the computation
//! itself. How much they may add up to, with ε = `f32::EPSILON` (1.19e-7; one f32 operation
//! is within ε/2 of its exact result, and `sin`, `cos`, `exp`, `tanh` within about ε):
//!
//! * the arm's Jacobian, Σ_{i ≥ j} lᵢ·(−sin θᵢ, cos θᵢ) with θᵢ a sum of up to three angles:
//!   θᵢ is off by at most 1.5·ε·Σ|qₖ|, each sine and cosine by that plus ε, and the sum of
//!   three terms adds ε·Σl: at most ε·Σl·(1.5·Σ|qₖ| + 2.5). The check allows 4·ε·Σl·(1 +
//!   Σ|qₖ|), a margin of 1.6× or more.
//! * Hessians and H·v: each entry comes out of a chain of a few dozen roundings at most
//!   (forward pass, backward pass, the dual parts' product rules), each within ε/2 of the
//!   magnitudes involved, and the functions and points here have no cancellation below the
//!   largest entry: 64·ε·max|H| (7.6e-6 relative) — about four times the chain's length.
//! * the 20-step rollout: each step adds a 4×4 and a 4×2 product to the chain (some 8
//!   roundings a step, 160 for the horizon): 256·ε relative to the largest entry.
//! * central differences in f32 with step h = 1e-2: the truncation error h²/6·|f'''| and the
//!   rounding error of two f32 evaluations divided by 2h (about 4·ε·|f|/2h) are each near
//!   5e-5 for these functions (|f|, |f'''| ≤ 3): the check allows 5e-4·max(1, |entry|).

#[path = "../../examples/robot_arm/arm.rs"]
mod arm;
use crate::common;

use common::rng;
use nalgebra::{Matrix1, SMatrix, SVector, Vector3};
use rand::RngExt;
use shapegrad::jacobian;
use shapegrad::second_order::{
    ForwardJacobian, Hessian, HessianVectorProduct, forward_jacobian, hessian, hessian_flat,
    hessian_of_fn, hvp, hvp_of_fn, jacobian_of_fn, jvp_of_fn,
};
use shapegrad::{Graph, Real, Var};

const EPS: f64 = f32::EPSILON as f64;

/// An f32 matrix with entries uniform in [-scale, scale).
fn random32<const R: usize, const C: usize>(seed: u64, scale: f32) -> SMatrix<f32, R, C> {
    let mut rng = rng(seed);
    SMatrix::from_fn(|_, _| rng.random_range(-scale..scale))
}

/// |got − want| ≤ tol for every entry, naming the entry; `got` is f32, `want` f64.
fn assert_within<const R: usize, const C: usize>(
    what: &str,
    got: &SMatrix<f32, R, C>,
    want: &SMatrix<f64, R, C>,
    tol: f64,
) {
    for (k, (a, b)) in got.iter().zip(want.iter()).enumerate() {
        let a = f64::from(*a);
        assert!(
            (a - b).abs() <= tol,
            "{what}: entry {k} (column-major) is {a}, expected {b} (tolerance {tol:e})"
        );
    }
}

/// The Hessian rule: 64·ε relative to the reference's largest entry.
fn assert_hessian_like<const R: usize, const C: usize>(
    what: &str,
    got: &SMatrix<f32, R, C>,
    want: &SMatrix<f64, R, C>,
) {
    assert_within(what, got, want, 64.0 * EPS * want.amax());
}

#[test]
fn arm_jacobian_in_f32_on_the_graph_and_on_the_plain_function() {
    let replayed: ForwardJacobian<3, 2, 3, 1, 2, 1, f32> =
        ForwardJacobian::new(arm::tip, Vector3::zeros());
    let reach: f64 = arm::LINKS.iter().sum();
    for seed in 0..16 {
        let q = random32::<3, 1>(seed, 3.0);
        let exact = arm::analytic_jacobian(&q.cast::<f64>());
        let tol = 4.0 * EPS * reach * (1.0 + q.cast::<f64>().abs().sum());

        let (tip, jac) = forward_jacobian(arm::tip, q);
        assert_within("tip", &tip, &arm::tip_by_hand(&q.cast::<f64>()), tol);
        assert_within("forward mode on the graph", &jac, &exact, tol);
        assert_eq!(replayed.at(q), (tip, jac), "replayed vs fresh");
        let (_, plain) = jacobian_of_fn(arm::tip_by_hand, q);
        assert_within("forward mode on the plain function", &plain, &exact, tol);
        assert_within("analytic in f32", &arm::analytic_jacobian(&q), &exact, tol);
        let v = random32::<3, 1>(seed + 100, 1.0);
        let (_, jv) = jvp_of_fn(arm::tip_by_hand, q, v);
        let tol_v = tol * v.cast::<f64>().abs().sum();
        assert_within("J·v", &jv, &(exact * v.cast::<f64>()), tol_v);

        // Central differences on an f32 graph (h = 1e-2, see the file's doc).
        let g = Graph::<f32>::new();
        let qv = g.var(q);
        let numeric = jacobian::numerical_jacobian(arm::tip(qv), qv, 1e-2);
        assert_within(
            "f32 central differences",
            &numeric,
            &jac.cast::<f64>(),
            5e-4 * reach,
        );
    }
}

/// Rosenbrock in N dimensions, and its tridiagonal closed-form Hessian.
fn rosenbrock<'g, T: Real, const N: usize, const M: usize>(
    x: Var<'g, T, N, 1>,
) -> Var<'g, T, 1, 1> {
    let (head, tail) = (x.fixed_view::<M, 1, 0, 0>(), x.fixed_view::<M, 1, 1, 0>());
    let hundred: T = nalgebra::convert(100.0);
    (tail - head.square()).square().scale(hundred).sum()
        + (-head).add_scalar(T::one()).square().sum()
}

fn rosenbrock_hessian<const N: usize>(x: &SVector<f64, N>) -> SMatrix<f64, N, N> {
    let mut h = SMatrix::<f64, N, N>::zeros();
    for i in 0..N {
        if i + 1 < N {
            h[(i, i)] += 2.0 + 1200.0 * x[i] * x[i] - 400.0 * x[i + 1];
            h[(i, i + 1)] = -400.0 * x[i];
            h[(i + 1, i)] = -400.0 * x[i];
        }
        if i > 0 {
            h[(i, i)] += 200.0;
        }
    }
    h
}

#[test]
fn rosenbrock_hessian_and_hvp_in_f32() {
    let replayed = Hessian::new(rosenbrock::<_, 6, 5>, SVector::<f32, 6>::zeros());
    let products = HessianVectorProduct::new(rosenbrock::<_, 6, 5>, SVector::<f32, 6>::zeros());
    for seed in 10..18 {
        let x = random32::<6, 1>(seed, 1.5);
        let v = random32::<6, 1>(seed + 100, 1.0);
        let exact = rosenbrock_hessian(&x.cast::<f64>());
        let (value, gradient, h) = hessian(rosenbrock::<_, 6, 5>, x);
        assert_hessian_like("Hessian", &h, &exact);
        assert_eq!(replayed.at(x), (value, gradient, h), "replayed vs fresh");

        let (_, _, hv) = hvp(rosenbrock::<_, 6, 5>, x, v);
        let exact_hv = exact * v.cast::<f64>();
        assert_within("H·v", &hv, &exact_hv, 64.0 * EPS * exact.amax() * 6.0);
        assert_eq!(products.at(x, v), hvp(rosenbrock::<_, 6, 5>, x, v));

        // The same gradient as reverse mode on an f32 graph, to the f32 roundings.
        let g = Graph::<f32>::new();
        let xv = g.var(x);
        let reverse = rosenbrock::<_, 6, 5>(xv).backward().wrt(xv).cast::<f64>();
        assert_hessian_like("gradient vs reverse mode", &gradient, &reverse);
    }
}

/// Σ tanh(W·x)² as a function of W (4×3) for a fixed x: the flat Hessian of vec(W) is
/// (x·xᵀ) ⊗ diag(g''(zᵢ)), g'' = 2(1 − t²)(1 − 3t²), t = tanh zᵢ.
fn energy_of_w<'g, T: Real>(w: Var<'g, T, 4, 3>, x: &Vector3<f64>) -> Var<'g, T, 1, 1> {
    (w * w.graph().constant(x.cast::<T>()))
        .tanh()
        .square()
        .sum()
}

#[test]
fn matrix_input_hessian_in_f32() {
    let x = Vector3::new(0.3, -0.8, 0.5);
    for seed in 20..26 {
        let w = random32::<4, 3>(seed, 1.5);
        let z = w.cast::<f64>() * x;
        let second = z.map(|z| {
            let t = z.tanh();
            2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t)
        });
        let exact = (x * x.transpose()).kronecker(&SMatrix::from_diagonal(&second));
        let (_, _, h): (_, _, SMatrix<f32, 12, 12>) = hessian_flat(|w| energy_of_w(w, &x), w);
        assert_hessian_like("flat Hessian", &h, &exact);
    }
}

// The arm's cost, ½‖tip − target‖², as a plain function and its hand-written gradient.

fn cost_by_hand<T: Real>(q: &Vector3<T>) -> Matrix1<T> {
    let error = arm::tip_by_hand(q) - nalgebra::Vector2::new(1.2, 1.1).cast::<T>();
    let half: T = nalgebra::convert(0.5);
    Matrix1::new(error.norm_squared() * half)
}

fn gradient_by_hand<T: Real>(q: &Vector3<T>) -> Vector3<T> {
    let error = arm::tip_by_hand(q) - nalgebra::Vector2::new(1.2, 1.1).cast::<T>();
    arm::analytic_jacobian(q).transpose() * error
}

fn cost<'g, T: Real>(q: Var<'g, T, 3, 1>) -> Var<'g, T, 1, 1> {
    let target = q
        .graph()
        .constant(nalgebra::Vector2::new(1.2, 1.1).cast::<T>());
    let half: T = nalgebra::convert(0.5);
    (arm::tip(q) - target).norm_squared().scale(half)
}

#[test]
fn plain_function_second_order_in_f32() {
    for seed in 30..38 {
        let q = random32::<3, 1>(seed, 2.0);
        let v = random32::<3, 1>(seed + 100, 1.0);
        let (_, gradient64, h64) = hessian_of_fn(cost_by_hand, q.cast::<f64>());
        let (_, gradient, h) = hessian_of_fn(cost_by_hand, q);
        assert_hessian_like("gradient, forward over forward", &gradient, &gradient64);
        assert_hessian_like("Hessian, forward over forward", &h, &h64);
        let (_, h_fr) = jacobian_of_fn(gradient_by_hand, q);
        assert_hessian_like("Hessian, forward over reverse", &h_fr, &h64);
        let (_, _, h_graph) = hessian(cost, q);
        assert_hessian_like("Hessian, graph", &h_graph, &h64);

        let hv64 = h64 * v.cast::<f64>();
        let tol = 64.0 * EPS * h64.amax() * 3.0;
        assert_within(
            "H·v, HyperDual",
            &hvp_of_fn(cost_by_hand, q, v).2,
            &hv64,
            tol,
        );
        assert_within(
            "H·v, JVP of the gradient",
            &jvp_of_fn(gradient_by_hand, q, v).1,
            &hv64,
            tol,
        );

        // Against central differences of the f32 graph's gradient (h = 1e-2).
        let g = Graph::<f32>::new();
        let qv = g.var(q);
        let numeric = jacobian::numerical_hessian(cost(qv), qv, 1e-2);
        let tol = 5e-4 * h64.amax().max(1.0);
        assert_within("f32 central differences", &numeric, &h.cast::<f64>(), tol);
    }
}
