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

/// The analytic Jacobian, by hand: cumulative angles, six trig calls, suffix sums.
#[inline(never)]
fn analytic<T: Real>(q: &Vector3<T>) -> Matrix2x3<T> {
    let l = links::<T>();
    let theta = [q[0], q[0] + q[1], q[0] + q[1] + q[2]];
    let (mut sx, mut sy) = (T::zero(), T::zero());
    let mut j = Matrix2x3::zeros();
    for i in (0..3).rev() {
        sx += l[i] * theta[i].sin();
        sy += l[i] * theta[i].cos();
        j[(0, i)] = -sx;
        j[(1, i)] = sy;
    }
    j
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
    group.finish();
}
