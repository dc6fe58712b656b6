//! W6: model-predictive control by shooting. x₀ (4×1) fixed, x_{t+1} = A·x_t + B·u_t for
//! t < 20 with commands u_t (2×1), cost J = Σ_{t=1..20} x_tᵀQx_t + Σ_{t<20} u_tᵀRu_t; the
//! gradient of J with respect to all 20 commands.
//!
//! The baseline is the hand-written adjoint (backward recursion): λ₂₀ = 2Q·x₂₀,
//! λ_t = 2Q·x_t + Aᵀ·λ_{t+1}, ∂J/∂u_t = 2R·u_t + Bᵀ·λ_{t+1}, on stack-allocated static
//! matrices with every product into a preallocated output.

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::{Matrix2, Matrix4, Matrix4x2, Vector2, Vector4};
use shapegrad::{Graph, Real, Var};

use crate::common::{assert_close, group, t};

pub const STEPS: usize = 20;

pub struct System<T: Real> {
    pub a: Matrix4<T>,
    pub b: Matrix4x2<T>,
    pub q: Matrix4<T>,
    pub r: Matrix2<T>,
    pub x0: Vector4<T>,
}

/// A discretised double integrator in two axes (position, velocity per axis), dt = 0.1.
pub fn system<T: Real>() -> System<T> {
    let dt: T = t(0.1);
    let (one, zero) = (T::one(), T::zero());
    #[rustfmt::skip]
    let a = Matrix4::new(
        one, dt, zero, zero,
        zero, one, zero, zero,
        zero, zero, one, dt,
        zero, zero, zero, one,
    );
    let half_dt2 = dt * dt * t(0.5);
    #[rustfmt::skip]
    let b = Matrix4x2::new(
        half_dt2, zero,
        dt, zero,
        zero, half_dt2,
        zero, dt,
    );
    System {
        a,
        b,
        q: Matrix4::from_diagonal(&Vector4::new(t(1.0), t(0.1), t(1.0), t(0.1))),
        r: Matrix2::<T>::identity() * t::<T>(0.01),
        x0: Vector4::new(t(1.0), t(0.0), t(-0.5), t(0.2)),
    }
}

pub fn commands<T: Real>(shift: f64) -> [Vector2<T>; STEPS] {
    std::array::from_fn(|k| {
        let s = k as f64 * 0.3 + shift;
        Vector2::new(t(s.sin()), t((0.7 * s).cos()))
    })
}

/// The hand-written adjoint: forward rollout, then the backward recursion.
#[inline(never)]
pub fn adjoint<T: Real>(sys: &System<T>, u: &[Vector2<T>; STEPS]) -> (T, [Vector2<T>; STEPS]) {
    let two: T = t(2.0);
    let mut x = [Vector4::zeros(); STEPS + 1];
    x[0] = sys.x0;
    let mut cost = T::zero();
    let (mut ax, mut bu, mut qx, mut ru) = (
        Vector4::zeros(),
        Vector4::zeros(),
        Vector4::zeros(),
        Vector2::zeros(),
    );
    for k in 0..STEPS {
        sys.a.mul_to(&x[k], &mut ax);
        sys.b.mul_to(&u[k], &mut bu);
        x[k + 1] = ax + bu;
        sys.q.mul_to(&x[k + 1], &mut qx);
        sys.r.mul_to(&u[k], &mut ru);
        cost += x[k + 1].dot(&qx) + u[k].dot(&ru);
    }
    let mut grads = [Vector2::zeros(); STEPS];
    let mut lambda = Vector4::zeros();
    let (mut at_lambda, mut bt_lambda) = (Vector4::zeros(), Vector2::zeros());
    for k in (0..STEPS).rev() {
        // λ_{k+1} = 2Q·x_{k+1} + Aᵀ·λ_{k+2} (λ_{21} = 0).
        sys.a.tr_mul_to(&lambda, &mut at_lambda);
        sys.q.mul_to(&x[k + 1], &mut qx);
        lambda = qx * two + at_lambda;
        sys.b.tr_mul_to(&lambda, &mut bt_lambda);
        sys.r.mul_to(&u[k], &mut ru);
        grads[k] = ru * two + bt_lambda;
    }
    (cost, grads)
}

/// The rollout and the cost on a graph: the 20 command vars and the cost.
pub fn rollout<'g, T: Real>(
    graph: &'g Graph<T>,
    sys: &System<T>,
) -> ([Var<'g, T, 2, 1>; STEPS], Var<'g, T, 1, 1>) {
    let (a, b) = (graph.constant(sys.a), graph.constant(sys.b));
    let (q, r) = (graph.constant(sys.q), graph.constant(sys.r));
    let u: [Var<'g, T, 2, 1>; STEPS] = std::array::from_fn(|_| graph.var(Vector2::zeros()));
    let mut x = graph.constant(sys.x0);
    let mut cost = graph.constant(nalgebra::Matrix1::zeros());
    for u_k in u {
        x = a * x + b * u_k;
        cost = cost + x.dot(q * x) + u_k.dot(r * u_k);
    }
    (u, cost)
}

pub fn bench<T: Real>(c: &mut Criterion, ty: &'static str) {
    let sys = system::<T>();
    let u0 = commands::<T>(0.0);
    let want = adjoint(&sys, &u0);

    let graph = Graph::<T>::new();
    let (u, cost) = rollout(&graph, &sys);
    let replay = |values: &[Vector2<T>; STEPS]| {
        for (u_k, value) in u.iter().zip(values) {
            u_k.set_value(*value);
        }
        let grads = cost.backward();
        let mut out = [Vector2::zeros(); STEPS];
        for (o, u_k) in out.iter_mut().zip(&u) {
            *o = *grads.wrt(*u_k);
        }
        drop(grads);
        (cost.value()[0], out)
    };
    let got = replay(&u0);
    assert_close(
        "W6 cost",
        &nalgebra::Matrix1::new(got.0),
        &nalgebra::Matrix1::new(want.0),
    );
    for k in 0..STEPS {
        assert_close("W6 dJ/du", &got.1[k], &want.1[k]);
    }

    let mut group = group(c, "W6", ty, graph.len());
    group.run("hand", || adjoint(black_box(&sys), black_box(&u0)));
    group.run("replay", || replay(black_box(&u0)));
    let mut held = graph.replay();
    let places: [_; STEPS] = std::array::from_fn(|k| held.place(u[k]));
    let pcost = held.place(cost);
    let mut replay_held = |values: &[Vector2<T>; STEPS]| {
        for (&p, value) in places.iter().zip(values) {
            held.set(p, value);
        }
        held.backward(pcost);
        let mut out = [Vector2::zeros(); STEPS];
        for (o, &p) in out.iter_mut().zip(&places) {
            *o = *held.wrt(p);
        }
        (held.value(pcost)[0], out)
    };
    let got = replay_held(&u0);
    for k in 0..STEPS {
        assert_close("W6 replay_held dJ/du", &got.1[k], &want.1[k]);
    }

    group.run("replay_held", || replay_held(black_box(&u0)));
    group.finish();
}
