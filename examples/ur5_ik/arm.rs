//! A 6-DOF arm with UR5 Denavit–Hartenberg parameters, written once for every scalar (the
//! graph's forward kinematics and IK residual), and the same arm written by hand (forward
//! kinematics and the exact 6×6 Jacobian of the residual, from the geometric Jacobian). The
//! example `ur5_ik` and the benchmark `robotics` include this file.
#![allow(dead_code)] // each includer uses its own subset

use nalgebra::{Matrix3, Matrix6, Vector3, Vector6};
use shapegrad::{Real, Var};

// Until the rotation ops (`so3_exp`, `so3_log`, issue 20 items 1–3) are in shapegrad, the
// stand-ins at the end of this file provide them under the same names; delete this line and
// the module `stand_in` once they are.
use stand_in::{So3ExpStandIn as _, So3LogStandIn as _};

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

// ---- stand-ins for the rotation ops ---------------------------------------------------------

/// `so3_exp` and `so3_log` through the public `Op` trait, under the names and signatures of
/// shapegrad's rotation ops (issue 20 items 1–3), for as long as those are not merged. They
/// are correct at and near θ = 0 (series); the logarithm does not handle θ near π (the
/// example never comes near it). Delete this module and the `use stand_in::…` line above once
/// `Var::so3_exp` and `Var::so3_log` exist: the calls then resolve to them.
pub mod stand_in {
    use nalgebra::{Matrix3, Vector3};
    use shapegrad::{Op, Real, Var};

    /// σ(M) = (M₂₁ − M₁₂, M₀₂ − M₂₀, M₁₀ − M₀₁): ⟨M, [v]ₓ⟩ = v·σ(M).
    fn sigma<T: Real>(m: &Matrix3<T>) -> Vector3<T> {
        Vector3::new(
            m[(2, 1)] - m[(1, 2)],
            m[(0, 2)] - m[(2, 0)],
            m[(1, 0)] - m[(0, 1)],
        )
    }

    fn small<T: Real>(theta: T) -> bool {
        theta < nalgebra::convert(1e-2)
    }

    fn c<T: Real>(x: f64) -> T {
        nalgebra::convert(x)
    }

    /// R = I + a·[w]ₓ + b·[w]ₓ², a = sin θ/θ, b = (1 − cos θ)/θ²; with a' = (θ cos θ −
    /// sin θ)/θ³ and b' = (θ sin θ − 2(1 − cos θ))/θ⁴ (da = a'·(w·dw), db = b'·(w·dw)).
    pub struct So3Exp;

    fn exp_coefficients<T: Real>(w: &Vector3<T>) -> (T, T, T, T) {
        let t2 = w.norm_squared();
        let theta = t2.sqrt();
        if small(theta) {
            (
                T::one() - t2 / c(6.0) + t2 * t2 / c(120.0),
                c::<T>(0.5) - t2 / c(24.0) + t2 * t2 / c(720.0),
                -c::<T>(1.0 / 3.0) + t2 / c(30.0) - t2 * t2 / c(840.0),
                -c::<T>(1.0 / 12.0) + t2 / c(180.0) - t2 * t2 / c(6720.0),
            )
        } else {
            let (s, co) = theta.sin_cos();
            (
                s / theta,
                (T::one() - co) / t2,
                (theta * co - s) / (t2 * theta),
                (theta * s - (T::one() - co) * c(2.0)) / (t2 * t2),
            )
        }
    }

    impl<T: Real> Op<T, (Vector3<T>,)> for So3Exp {
        type Output = Matrix3<T>;

        fn forward(&self, (w,): (&Vector3<T>,)) -> Matrix3<T> {
            let (a, b, _, _) = exp_coefficients(w);
            let k = w.cross_matrix();
            Matrix3::identity() + k * a + k * k * b
        }

        fn backward(
            &self,
            (w,): (&Vector3<T>,),
            _r: &Matrix3<T>,
            d_r: &Matrix3<T>,
        ) -> (Vector3<T>,) {
            let (a, b, da, db) = exp_coefficients(w);
            let k = w.cross_matrix();
            let along_k = (d_r.component_mul(&k)).sum();
            let along_k2 = (d_r.component_mul(&(k * k))).sum();
            let d_w = w * (da * along_k + db * along_k2)
                + sigma(d_r) * a
                + (sigma(&(d_r * k.transpose())) + sigma(&(k.transpose() * d_r))) * b;
            (d_w,)
        }
    }

    /// φ = f(θ)·σ(R), f = θ/(2 sin θ), θ = atan2(s, c), s = |σ|/2, c = (tr R − 1)/2, r = √(s² + c²);
    /// with h = f'(θ)/sin θ: dσ gets f·dφ + (dφ·σ)·h·c/(4r³)·σ, the diagonal −(dφ·σ)·h·s²/(2r³).
    pub struct So3Log;

    fn log_parts<T: Real>(m: &Matrix3<T>) -> (Vector3<T>, T, T, T, T) {
        let sig = sigma(m);
        let s = sig.norm() * c(0.5);
        let co = (m.trace() - T::one()) * c(0.5);
        let theta = s.atan2(co);
        let (f, h) = if small(theta) {
            let t2 = theta * theta;
            (
                c::<T>(0.5) + t2 / c(12.0) + t2 * t2 * c(7.0 / 720.0),
                c::<T>(1.0 / 6.0) + t2 / c(15.0) + t2 * t2 / c(63.0),
            )
        } else {
            let (sn, cs) = theta.sin_cos();
            (
                theta / (sn * c(2.0)),
                (sn - theta * cs) / (sn * sn * sn * c(2.0)),
            )
        };
        (sig, s, co, f, h)
    }

    impl<T: Real> Op<T, (Matrix3<T>,)> for So3Log {
        type Output = Vector3<T>;

        fn forward(&self, (m,): (&Matrix3<T>,)) -> Vector3<T> {
            let (sig, _, _, f, _) = log_parts(m);
            sig * f
        }

        fn backward(
            &self,
            (m,): (&Matrix3<T>,),
            _phi: &Vector3<T>,
            d_phi: &Vector3<T>,
        ) -> (Matrix3<T>,) {
            let (sig, s, co, f, h) = log_parts(m);
            let r2 = s * s + co * co;
            let r3 = r2 * r2.sqrt();
            let f_bar = d_phi.dot(&sig);
            let d_sigma = d_phi * f + sig * (f_bar * h * co / (r3 * c(4.0)));
            let mut d_m = Matrix3::identity() * (-(f_bar * h * s * s) / (r3 * c(2.0)));
            d_m[(2, 1)] += d_sigma[0];
            d_m[(1, 2)] -= d_sigma[0];
            d_m[(0, 2)] += d_sigma[1];
            d_m[(2, 0)] -= d_sigma[1];
            d_m[(1, 0)] += d_sigma[2];
            d_m[(0, 1)] -= d_sigma[2];
            (d_m,)
        }
    }

    /// `w.so3_exp()`: 3×1 axis-angle → 3×3 rotation.
    pub trait So3ExpStandIn<'g, T: Real> {
        fn so3_exp(self) -> Var<'g, T, 3, 3>;
    }

    impl<'g, T: Real> So3ExpStandIn<'g, T> for Var<'g, T, 3, 1> {
        fn so3_exp(self) -> Var<'g, T, 3, 3> {
            self.graph().apply(So3Exp, (self,))
        }
    }

    /// `r.so3_log()`: 3×3 rotation → 3×1 axis-angle.
    pub trait So3LogStandIn<'g, T: Real> {
        fn so3_log(self) -> Var<'g, T, 3, 1>;
    }

    impl<'g, T: Real> So3LogStandIn<'g, T> for Var<'g, T, 3, 3> {
        fn so3_log(self) -> Var<'g, T, 3, 1> {
            self.graph().apply(So3Log, (self,))
        }
    }
}
