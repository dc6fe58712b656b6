//! A 6-DOF arm with UR5 Denavit–Hartenberg parameters, written once for every scalar (the
//! graph's forward kinematics and IK residual), and the same arm written by hand (forward
//! kinematics and the exact 6×6 Jacobian of the residual, from the geometric Jacobian). The
//! example `ur5_ik` and the benchmark `robotics` include this file.
#![allow(dead_code)] // each includer uses its own subset

use nalgebra::{Matrix3, Matrix6, Vector3, Vector6};
use shapegrad::{Real, Var};

/// Standard DH parameters of a UR5 (Universal Robots): joint i turns about the z axis of
/// frame i − 1; frame i is `Rot_z(qᵢ)·Trans_z(dᵢ)·Trans_x(aᵢ)·Rot_x(αᵢ)` from it.
pub const D: [f64; 6] = [0.089159, 0.0, 0.0, 0.10915, 0.09465, 0.0823];
/// Link lengths aᵢ (m).
pub const A: [f64; 6] = [0.0, -0.425, -0.39225, 0.0, 0.0, 0.0];
/// sin αᵢ and cos αᵢ of the twists α = (π/2, 0, 0, π/2, −π/2, 0), exact.
pub const SIN_ALPHA: [f64; 6] = [1.0, 0.0, 0.0, 1.0, -1.0, 0.0];
/// See [`SIN_ALPHA`].
pub const COS_ALPHA: [f64; 6] = [0.0, 1.0, 1.0, 0.0, 0.0, 1.0];

/// A pose: position and rotation of the tool frame in the base frame.
#[derive(Clone, Copy, Debug)]
pub struct Pose {
    pub position: Vector3<f64>,
    pub rotation: Matrix3<f64>,
}

/// Rot_x(αᵢ).
fn twist(i: usize) -> Matrix3<f64> {
    let (s, c) = (SIN_ALPHA[i], COS_ALPHA[i]);
    Matrix3::new(1.0, 0.0, 0.0, 0.0, c, -s, 0.0, s, c)
}

/// The tool pose at joint angles q, as graph vars: each joint's rotation is `(z·qᵢ).so3_exp()`
/// (Rodrigues about z), chained with the constant twists and offsets.
pub fn pose<'g, T: Real>(q: Var<'g, T, 6, 1>) -> (Var<'g, T, 3, 1>, Var<'g, T, 3, 3>) {
    let g = q.graph();
    let z = g.constant(Vector3::<f64>::z().cast::<T>());
    let mut position = g.constant(Vector3::<f64>::zeros().cast::<T>());
    let mut rotation = g.constant(Matrix3::<f64>::identity().cast::<T>());
    for i in 0..6 {
        let turn = (z * q.row(i)).so3_exp(); // Rot_z(qᵢ)
        let offset = g.constant(Vector3::new(A[i], 0.0, D[i]).cast::<T>());
        position = position + rotation * (turn * offset);
        rotation = rotation * (turn * g.constant(twist(i).cast::<T>()));
    }
    (position, rotation)
}

/// The IK residual (6×1): the position error and the attitude error `log(R_targetᵀ·R(q))`.
pub fn residual<'g, T: Real>(q: Var<'g, T, 6, 1>, target: &Pose) -> Var<'g, T, 6, 1> {
    let g = q.graph();
    let (position, rotation) = pose(q);
    let position_error = position - g.constant(target.position.cast::<T>());
    let attitude_error = (g.constant(target.rotation.transpose().cast::<T>()) * rotation).so3_log();
    position_error.vstack(attitude_error)
}

// ---- by hand ---------------------------------------------------------------------------------

/// The tool pose at q, on plain numbers: six `sin_cos`, the DH chain with nalgebra's 3×3
/// products.
pub fn pose_by_hand(q: &Vector6<f64>) -> Pose {
    let mut position = Vector3::zeros();
    let mut rotation = Matrix3::identity();
    for i in 0..6 {
        let (s, c) = q[i].sin_cos();
        let (sa, ca) = (SIN_ALPHA[i], COS_ALPHA[i]);
        let link = Matrix3::new(c, -s * ca, s * sa, s, c * ca, -c * sa, 0.0, sa, ca);
        position += rotation * Vector3::new(A[i] * c, A[i] * s, D[i]);
        rotation *= link;
    }
    Pose { position, rotation }
}

/// log of a rotation matrix (the same formula as the graph's): θ = atan2(|σ|/2, (tr − 1)/2),
/// φ = θ/(2 sin θ)·σ, σ = (R₂₁ − R₁₂, R₀₂ − R₂₀, R₁₀ − R₀₁), the ratio by its series near 0.
pub fn log_by_hand(r: &Matrix3<f64>) -> Vector3<f64> {
    let sigma = Vector3::new(
        r[(2, 1)] - r[(1, 2)],
        r[(0, 2)] - r[(2, 0)],
        r[(1, 0)] - r[(0, 1)],
    );
    let theta = (0.5 * sigma.norm()).atan2(0.5 * (r.trace() - 1.0));
    let ratio = if theta < 1e-2 {
        let t2 = theta * theta;
        0.5 + t2 / 12.0 + 7.0 * t2 * t2 / 720.0
    } else {
        0.5 * theta / theta.sin()
    };
    sigma * ratio
}

/// The residual and its exact 6×6 Jacobian, written carefully by hand: forward kinematics
/// keeping each joint's axis zᵢ₋₁ and origin oᵢ₋₁; the position rows are the geometric
/// Jacobian's zᵢ₋₁ × (p − oᵢ₋₁); the attitude rows are J_r⁻¹(φ)·Rᵀ·zᵢ₋₁, since
/// d log(R_targetᵀ·R) = J_r⁻¹(φ)·ω_body with J_r⁻¹(φ) = I + ½[φ]ₓ + (1/θ² − (1 + cos θ)/(2θ sin θ))·[φ]ₓ².
pub fn residual_and_jacobian(q: &Vector6<f64>, target: &Pose) -> (Vector6<f64>, Matrix6<f64>) {
    let mut axes = [Vector3::<f64>::z(); 6];
    let mut origins = [Vector3::zeros(); 6];
    let mut position = Vector3::zeros();
    let mut rotation = Matrix3::identity();
    for i in 0..6 {
        axes[i] = rotation.column(2).into_owned();
        origins[i] = position;
        let (s, c) = q[i].sin_cos();
        let (sa, ca) = (SIN_ALPHA[i], COS_ALPHA[i]);
        let link = Matrix3::new(c, -s * ca, s * sa, s, c * ca, -c * sa, 0.0, sa, ca);
        position += rotation * Vector3::new(A[i] * c, A[i] * s, D[i]);
        rotation *= link;
    }
    let phi = log_by_hand(&(target.rotation.transpose() * rotation));
    let theta = phi.norm();
    let k = if theta < 1e-2 {
        let t2 = theta * theta;
        1.0 / 12.0 + t2 / 720.0 + t2 * t2 / 30240.0
    } else {
        let (s, c) = theta.sin_cos();
        1.0 / (theta * theta) - (1.0 + c) / (2.0 * theta * s)
    };
    let skew = phi.cross_matrix();
    let right_inverse = Matrix3::identity() + skew * 0.5 + skew * skew * k;
    let attitude_map = right_inverse * rotation.transpose();
    let mut jacobian = Matrix6::zeros();
    for i in 0..6 {
        let linear = axes[i].cross(&(position - origins[i]));
        let angular = attitude_map * axes[i];
        jacobian.fixed_view_mut::<3, 1>(0, i).copy_from(&linear);
        jacobian.fixed_view_mut::<3, 1>(3, i).copy_from(&angular);
    }
    let mut residual = Vector6::zeros();
    residual
        .fixed_rows_mut::<3>(0)
        .copy_from(&(position - target.position));
    residual.fixed_rows_mut::<3>(3).copy_from(&phi);
    (residual, jacobian)
}
