//! Exact Hessians through the rotation ops, on dual-number scalars (`second_order::hessian`),
//! against closed forms and against central differences of the gradient
//! (`jacobian::numerical_hessian`), at the singular points too: θ = 0, 1e-8, near π.
//!
//! The ops are generic over the scalar: their series branches are polynomials in θ² (never in
//! θ = √θ², whose derivative is infinite at 0), so the dual parts stay finite and exact at the
//! identity.

use crate::common;

use std::f64::consts::PI;

use common::{random, rng};
use nalgebra::{Matrix3, Rotation3, SMatrix, SVector, Vector3, Vector4};
use shapegrad::jacobian;
use shapegrad::second_order::hessian;
use shapegrad::{Graph, Real, Var};

/// max |got − want| ≤ tol·max(1, max |want|), naming the entry.
fn assert_close<const R: usize, const C: usize>(
    what: &str,
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
    tol: f64,
) {
    let scale = want.amax().max(1.0);
    for (k, (a, b)) in got.iter().zip(want.iter()).enumerate() {
        assert!(
            (a - b).abs() <= tol * scale,
            "{what}: entry {k} is {a}, expected {b} (tolerance {tol} × {scale})"
        );
    }
}

/// The central-difference Hessian of `f` on a plain f64 graph, with step `h`.
fn numerical<const N: usize>(
    f: impl for<'g> FnOnce(Var<'g, f64, N, 1>) -> Var<'g, f64, 1, 1>,
    x: SVector<f64, N>,
    h: f64,
) -> SMatrix<f64, N, N> {
    let g = Graph::<f64>::new();
    let xv = g.var(x);
    jacobian::numerical_hessian(f(xv), xv, h)
}

fn axis() -> Vector3<f64> {
    Vector3::new(2.0, -3.0, 6.0) / 7.0
}

// tr exp(w) = 1 + 2·cos θ: H = −2·(cos θ·P + (sin θ/θ)·(I − P)), P = w·wᵀ/θ² (−2I at 0).

fn trace_of_exp<'g, T: Real>(w: Var<'g, T, 3, 1>) -> Var<'g, T, 1, 1> {
    w.so3_exp().dot(w.graph().constant(Matrix3::identity())) // ⟨R, I⟩ = tr R
}

#[test]
fn hessian_of_the_trace_of_exp_equals_its_closed_form() {
    for theta in [0.0, 1e-8, 0.3, 1.0, 2.0, PI - 1e-6, PI] {
        let w = axis() * theta;
        let (value, _, h) = hessian(trace_of_exp, w);
        assert!((value - (1.0 + 2.0 * theta.cos())).abs() < 1e-15);
        let want = if theta == 0.0 {
            Matrix3::identity() * -2.0
        } else {
            let p = w * w.transpose() / (theta * theta);
            (p * theta.cos() + (Matrix3::identity() - p) * (theta.sin() / theta)) * -2.0
        };
        assert_close(&format!("θ = {theta}"), &h, &want, 4e-15);
    }
}

// ‖log(exp(w))‖² = ‖w‖² for θ < π: H = 2I, through both ops' backward passes on duals.

fn round_trip<'g, T: Real>(w: Var<'g, T, 3, 1>) -> Var<'g, T, 1, 1> {
    w.so3_exp().so3_log().norm_squared()
}

#[test]
fn hessian_through_exp_then_log_is_twice_the_identity() {
    for theta in [0.0, 1e-8, 0.07, 0.5, 1.5, 1.6, 2.5, PI - 1e-3, PI - 1e-6] {
        let (_, gradient, h) = hessian(round_trip, axis() * theta);
        assert_close(
            &format!("gradient, θ = {theta}"),
            &gradient,
            &(axis() * 2.0 * theta),
            1e-13,
        );
        assert_close(
            &format!("θ = {theta}"),
            &h,
            &(Matrix3::identity() * 2.0),
            1e-13,
        );
    }
}

// A cost of an attitude error: c(x) = ½‖log(R(x)) − e‖² + a·log(R(x)), with the nine entries of
// R as the input (R = reshape(x)), so the Hessian also sees the log off SO(3).

fn log_cost<'g, T: Real>(x: Var<'g, T, 9, 1>) -> Var<'g, T, 1, 1> {
    let g = x.graph();
    let w = x.reshape::<3, 3>().so3_log();
    let target = g.constant(Vector3::new(0.1, -0.2, 0.3).cast::<T>());
    let weights = g.constant(Vector3::new(0.5, 1.0, -0.7).cast::<T>());
    let half: T = nalgebra::convert(0.5);
    (w - target).norm_squared().scale(half) + w.dot(weights)
}

fn flat(r: Matrix3<f64>) -> SVector<f64, 9> {
    SVector::from_column_slice(r.as_slice())
}

#[test]
fn hessian_through_so3_log_matches_central_differences_of_the_gradient() {
    let mut rng = rng(1200);
    // The identity, tiny angles and both branches: a step of 6e-6 stays on one formula.
    let mut rotations = vec![Matrix3::identity(), *Rotation3::new(axis() * 1e-8).matrix()];
    for theta in [0.3, 1.2, 2.0, 2.8, PI - 1e-3] {
        let n = random::<3, 1>(&mut rng).normalize();
        rotations.push(*Rotation3::new(n * theta).matrix());
    }
    for r in rotations {
        let (_, gradient, h) = hessian(log_cost, flat(r));
        assert!(h.iter().all(|v| v.is_finite()), "{r}");
        assert_close("symmetric", &h, &h.transpose(), 1e-12);
        let numeric = numerical(log_cost, flat(r), 6e-6);
        assert_close(&format!("Hessian at {r}"), &h, &numeric, 1e-9);
        let g = Graph::<f64>::new();
        let xv = g.var(flat(r));
        let plain = *log_cost(xv).backward().wrt(xv);
        assert_close("the dual graph's gradient", &gradient, &plain, 1e-14);
    }
}

#[test]
fn hessian_through_so3_log_a_micro_radian_from_pi() {
    // The log jumps at θ = π, 1e-6 away: the central differences of the gradient need a step
    // below that (1e-8; their rounding then limits them to ~1e-6).
    let r = *Rotation3::new(axis() * (PI - 1e-6)).matrix();
    let (_, _, h) = hessian(log_cost, flat(r));
    let numeric = numerical(log_cost, flat(r), 1e-8);
    assert_close("Hessian", &h, &numeric, 1e-7);
}

// The quaternion ops: c(q) = Σ a∘R(q) and c(R) = b·q(R), against central differences.

fn quat_cost<'g, T: Real>(q: Var<'g, T, 4, 1>) -> Var<'g, T, 1, 1> {
    let a = Matrix3::new(0.3, -1.0, 0.5, 2.0, 0.1, -0.4, 0.7, 0.2, 1.5);
    q.quat_to_rotation().dot(q.graph().constant(a.cast::<T>()))
}

fn to_quat_cost<'g, T: Real>(x: Var<'g, T, 9, 1>) -> Var<'g, T, 1, 1> {
    let b = Vector4::new(0.3, -1.0, 0.5, 2.0);
    let q = x.reshape::<3, 3>().rotation_to_quat();
    q.dot(x.graph().constant(b.cast::<T>())).square()
}

#[test]
fn hessians_through_the_quaternion_ops() {
    let mut rng = rng(1201);
    for q in [
        Vector4::new(1.0, 0.0, 0.0, 0.0),
        Vector4::new(-1.0, 0.0, 0.0, 0.0),
        random::<4, 1>(&mut rng),
    ] {
        let (_, gradient, h) = hessian(quat_cost, q);
        // R(λq) = R(q): the gradient is orthogonal to q, and H·q = −gradient (Euler's theorem
        // for the gradient, homogeneous of degree −1).
        assert!(gradient.dot(&q).abs() < 1e-14);
        assert_close("H·q", &(h * q), &-gradient, 1e-13);
        assert_close("Hessian", &h, &numerical(quat_cost, q, 6e-6), 1e-9);
    }
    for w in [
        Vector3::zeros(),
        axis() * 0.5,
        axis() * 2.5,
        Vector3::x() * (PI - 0.2),
    ] {
        let r = *Rotation3::new(w).matrix();
        let (_, _, h) = hessian(to_quat_cost, flat(r));
        assert_close("Hessian", &h, &numerical(to_quat_cost, flat(r), 6e-6), 1e-9);
    }
}
