//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses its own subset

use nalgebra::SMatrix;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shapegrad::{Graph, Labels, Var};

/// A generator seeded with `seed`.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A matrix with entries uniform in [-1, 1), drawn from `rng` (the same helper as the unit
/// tests' `src/diff/testing.rs`).
pub fn random<const R: usize, const C: usize>(rng: &mut StdRng) -> SMatrix<f64, R, C> {
    SMatrix::from_fn(|_, _| rng.random_range(-1.0..1.0))
}

/// |got − want| ≤ tol·max(1, |want|) entry by entry: absolute for entries up to 1, relative
/// above (the same helper as the unit tests' `src/diff/testing.rs`). The message names `what`,
/// the entry and both values.
pub fn assert_close<const R: usize, const C: usize>(
    what: &str,
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
    tol: f64,
) {
    for (k, (x, y)) in got.iter().zip(want.iter()).enumerate() {
        assert!(
            (x - y).abs() <= tol * y.abs().max(1.0),
            "{what}: entry {k} (column-major) is {x}, expected {y} (tolerance {tol})"
        );
    }
}

/// The number of property-test cases: `SHAPEGRAD_PROPTEST_CASES` if set, else `default`.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("SHAPEGRAD_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether each row's two largest entries differ by more than `margin` (no tie for the max).
pub fn rows_have_a_clear_max<const R: usize, const C: usize>(
    m: &SMatrix<f64, R, C>,
    margin: f64,
) -> bool {
    m.row_iter().all(|row| {
        let mut entries: Vec<f64> = row.iter().copied().collect();
        entries.sort_by(|a, b| b.total_cmp(a));
        entries[0] - entries[1] > margin
    })
}

/// The course notes' spiral network at full size (300 samples, 2 → 100 ReLU → 3, softmax
/// cross-entropy + L2 1e-3) on fixed, deterministic data, built on `g`.
pub struct SpiralNet<'g> {
    pub loss: Var<'g, f64, 1, 1>,
    pub w1: Var<'g, f64, 2, 100>,
    pub b1: Var<'g, f64, 1, 100>,
    pub w2: Var<'g, f64, 100, 3>,
    pub b2: Var<'g, f64, 1, 3>,
}

pub fn spiral_net(g: &Graph<f64>) -> SpiralNet<'_> {
    // Boxed: in a debug build a 300×2 temporary plus the graph's frames must fit 2 MiB.
    let x = Box::new(SMatrix::<f64, 300, 2>::from_fn(|r, c| {
        ((r * 7 + c * 3) % 11) as f64 / 11.0 - 0.5
    }));
    let labels = Labels::<300, 3>::new(std::array::from_fn(|r| r % 3)).unwrap();
    let x = g.constant(*x);
    let w1 = g.var(SMatrix::from_fn(|r, c| 0.01 * (r + c) as f64));
    let b1 = g.var(SMatrix::zeros());
    let w2 = g.var(SMatrix::from_fn(|r, c| 0.01 * (r as f64 - c as f64)));
    let b2 = g.var(SMatrix::zeros());
    let scores = ((x * w1).add_row(b1).relu() * w2).add_row(b2);
    let loss = scores.softmax_cross_entropy(&labels) + w1.l2_penalty(1e-3) + w2.l2_penalty(1e-3);
    SpiralNet {
        loss,
        w1,
        b1,
        w2,
        b2,
    }
}

/// The tip (2×1) of a planar 3-link arm (links 1.0, 0.8, 0.5) at joint angles q (3×1), for
/// every scalar.
pub fn planar_arm_tip<'g, T: shapegrad::Real>(q: Var<'g, T, 3, 1>) -> Var<'g, T, 2, 1> {
    use nalgebra::{Matrix3, RowVector3};
    let g = q.graph();
    let cumulative = g.constant(Matrix3::from_fn(
        |r, c| if c <= r { T::one() } else { T::zero() },
    ));
    let theta = cumulative * q;
    let l = g.constant(RowVector3::new(1.0, 0.8, 0.5).cast::<T>());
    (l * theta.cos()).vstack(l * theta.sin())
}

/// A planar 3-link arm (links 1.0, 0.8, 0.5): the joint angles q (3×1) and the tip (2×1).
pub fn planar_arm(g: &Graph<f64>) -> (Var<'_, f64, 3, 1>, Var<'_, f64, 2, 1>) {
    let q = g.var(nalgebra::Vector3::new(0.3, -0.7, 1.1));
    (q, planar_arm_tip(q))
}

/// Shooting for model-predictive control: x₀ (4×1), x_{t+1} = A·x_t + B·u_t for 20 steps,
/// cost Σ x_tᵀQx_t + u_tᵀRu_t; the 20 commands (vars) and the cost.
pub fn mpc_rollout(g: &Graph<f64>) -> ([Var<'_, f64, 2, 1>; 20], Var<'_, f64, 1, 1>) {
    use nalgebra::{Matrix2, Matrix4, Matrix4x2, Vector4};
    let a = g.constant(Matrix4::new(
        1.0, 0.1, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.1, 0.0, 0.0, 0.0, 1.0,
    ));
    let b = g.constant(Matrix4x2::new(0.005, 0.0, 0.1, 0.0, 0.0, 0.005, 0.0, 0.1));
    let q = g.constant(Matrix4::from_diagonal(&Vector4::new(1.0, 0.1, 1.0, 0.1)));
    let r = g.constant(Matrix2::identity() * 0.01);
    let u: [Var<'_, f64, 2, 1>; 20] = std::array::from_fn(|_| g.var(nalgebra::Vector2::zeros()));
    let mut x = g.constant(Vector4::new(1.0, 0.0, -0.5, 0.2));
    let mut cost = g.constant(nalgebra::Matrix1::zeros());
    for u_k in u {
        x = a * x + b * u_k;
        cost = cost + x.dot(q * x) + u_k.dot(r * u_k);
    }
    (u, cost)
}
