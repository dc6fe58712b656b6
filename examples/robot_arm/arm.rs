//! A planar 3-link arm, written once for every scalar: the example, the tests
//! (`tests/integration/second_order.rs`) and the benchmarks (`benches/second_order.rs`) include this file.
#![allow(dead_code)] // each includer uses its own subset

use nalgebra::{Matrix2x3, Matrix3, RowVector3, Vector2, Vector3};
use shapegrad::{Real, Var};

/// The link lengths.
pub const LINKS: [f64; 3] = [1.0, 0.8, 0.5];

/// The tip (x, y) of the arm at joint angles q: each joint turns the rest of the arm, so the
/// links point at the absolute angles θ = (q₀, q₀ + q₁, q₀ + q₁ + q₂), and the tip is
/// Σ lᵢ·(cos θᵢ, sin θᵢ).
pub fn tip<'g, T: Real>(q: Var<'g, T, 3, 1>) -> Var<'g, T, 2, 1> {
    let g = q.graph();
    let running_sums = Matrix3::new(1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0);
    let theta = g.constant(running_sums.cast::<T>()) * q;
    let links = g.constant(RowVector3::from(LINKS).cast::<T>());
    (links * theta.cos()).vstack(links * theta.sin())
}

/// The same tip, written by hand on plain nalgebra numbers with no graph, generic over the
/// scalar: the kind of function `second_order::jacobian_of_fn` differentiates (and `codegen`
/// emits).
pub fn tip_by_hand<T: Real>(q: &Vector3<T>) -> Vector2<T> {
    let mut theta = T::zero();
    let mut tip = Vector2::zeros();
    for (l, q) in LINKS.iter().zip(q.iter()) {
        theta += *q;
        let (s, c) = theta.sin_cos();
        let l: T = nalgebra::convert(*l);
        tip += Vector2::new(l * c, l * s);
    }
    tip
}

/// The 2×3 Jacobian written carefully by hand: column j is the rotation about joint j of the
/// part of the arm beyond it, ∂tip/∂qⱼ = Σ_{i ≥ j} lᵢ·(−sin θᵢ, cos θᵢ): three `sin_cos` and
/// suffix sums. Generic over the scalar (the link lengths are converted once, exactly for
/// `f64`).
pub fn analytic_jacobian<T: Real>(q: &Vector3<T>) -> Matrix2x3<T> {
    let (s0, c0) = q[0].sin_cos();
    let (s1, c1) = (q[0] + q[1]).sin_cos();
    let (s2, c2) = (q[0] + q[1] + q[2]).sin_cos();
    let [l0, l1, l2] = LINKS.map(nalgebra::convert::<f64, T>);
    let (x2, y2) = (l2 * c2, l2 * s2);
    let (x1, y1) = (x2 + l1 * c1, y2 + l1 * s1);
    let (x0, y0) = (x1 + l0 * c0, y1 + l0 * s0);
    Matrix2x3::new(-y0, -y1, -y2, x0, x1, x2)
}
