//! W5: the 2×3 Jacobian of a planar 3-link arm (links 1.0, 0.8, 0.5): q (3×1) → tip (x, y)
//! (2×1), with θᵢ = q₁ + … + qᵢ, x = Σ lᵢ cos θᵢ, y = Σ lᵢ sin θᵢ.
//!
//! The graph's Jacobian is `jacobian(tip, q)` on a replayed graph (2 backward passes after
//! `q.set_value`); the baseline is the analytic Jacobian written by hand:
//! ∂x/∂qⱼ = −Σ_{i≥j} lᵢ sin θᵢ, ∂y/∂qⱼ = Σ_{i≥j} lᵢ cos θᵢ.

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::{Matrix2x3, Vector3};
use shapegrad::jacobian::jacobian;
use shapegrad::{Graph, Real, Var};

use crate::common::{assert_close, group, t};

fn links<T: Real>() -> Vector3<T> {
    Vector3::new(t(1.0), t(0.8), t(0.5))
}

/// The analytic Jacobian, written carefully by hand (as `examples/robot_arm/arm.rs`, for any
/// scalar): three `sin_cos` of the cumulative angles and suffix sums,
/// ∂tip/∂qⱼ = Σ_{i ≥ j} lᵢ·(−sin θᵢ, cos θᵢ).
#[inline(never)]
pub fn analytic<T: Real>(q: &Vector3<T>) -> Matrix2x3<T> {
    let l = links::<T>();
    let (s0, c0) = q[0].sin_cos();
    let (s1, c1) = (q[0] + q[1]).sin_cos();
    let (s2, c2) = (q[0] + q[1] + q[2]).sin_cos();
    let (x2, y2) = (l[2] * c2, l[2] * s2);
    let (x1, y1) = (x2 + l[1] * c1, y2 + l[1] * s1);
    let (x0, y0) = (x1 + l[0] * c0, y1 + l[0] * s0);
    Matrix2x3::new(-y0, -y1, -y2, x0, x1, x2)
}

/// The arm on a graph (the library's `sin` and `cos`, `examples/robot_arm/arm.rs`): q and the
/// tip.
pub fn arm<T: Real>(graph: &Graph<T>) -> (Var<'_, T, 3, 1>, Var<'_, T, 2, 1>) {
    let q = graph.var(Vector3::zeros());
    (q, crate::arm::tip(q))
}

pub fn bench<T: Real>(c: &mut Criterion, ty: &'static str) {
    let q0 = Vector3::new(t(0.3), t(-0.7), t(1.1));
    let want = analytic(&q0);

    let graph = Graph::<T>::new();
    let (q, tip) = arm(&graph);
    let replay = |q_value: &Vector3<T>| {
        q.set_value(*q_value);
        jacobian(tip, q)
    };
    assert_close("W5 replay", &replay(&q0), &want);

    let mut group = group(c, "W5", ty, graph.len());
    group.run("hand", || analytic(black_box(&q0)));
    group.run("replay", || replay(black_box(&q0)));
    // The same two passes on the graph held by a `Replay`.
    let mut held = graph.replay();
    let (pq, ptip) = (held.place(q), held.place(tip));
    let mut replay_held = |q_value: &Vector3<T>| {
        held.set(pq, q_value);
        let mut jac = Matrix2x3::zeros();
        for i in 0..2 {
            held.backward_with(ptip, &nalgebra::Vector2::ith(i, T::one()));
            jac.set_row(i, &held.wrt(pq).transpose());
        }
        jac
    };
    assert_close("W5 replay_held", &replay_held(&q0), &want);

    group.run("replay_held", || replay_held(black_box(&q0)));
    group.finish();
}
