use nalgebra::{Matrix3, Vector4};

use crate::contract::Op;
use crate::graph::Var;
use crate::kernels::Real;

/// The rotation matrix of a quaternion, normalised inside: `R(q/‖q‖)`.
///
/// **Order: `q = (w, x, y, z)`, scalar first** — the argument order of nalgebra's
/// `Quaternion::new(w, i, j, k)`, and of Eigen's, Sophus's, jaxlie's and kornia's
/// constructors. It is **not** the order of nalgebra's storage `Quaternion::coords`, which
/// is `(i, j, k, w)`: convert with `Vector4::new(q.w, q.i, q.j, q.k)` (and back with
/// `Quaternion::new(v[0], v[1], v[2], v[3])`), never with `q.coords`.
///
/// ```text
/// R = M(q)/‖q‖²,   M(q) = ⎡ w²+x²−y²−z²   2(xy − wz)    2(xz + wy)  ⎤
///                         ⎢ 2(xy + wz)    w²−x²+y²−z²   2(yz − wx)  ⎥
///                         ⎣ 2(xz − wy)    2(yz + wx)    w²−x²−y²+z² ⎦
///
/// Shape:    (4×1) → (3×3)
/// Gradient: dqₖ = ⟨dOut, ∂M/∂qₖ⟩/‖q‖² − 2·qₖ·⟨dOut, M⟩/‖q‖⁴   (4×1)
/// ```
///
/// Only 4×1 vars have `quat_to_rotation` (typed). Because M is homogeneous of degree 2, R
/// does not change when q is scaled, so **the gradient is orthogonal to q** (`q·dq = 0`, to
/// rounding): a step along it changes the rotation, not the norm. q and −q give the same
/// rotation, and opposite gradients. The identity quaternion (1, 0, 0, 0) is an ordinary
/// point (R = I, finite gradient): the formula has no square root and divides only by
/// ‖q‖². q is first divided by its largest |component|, which leaves
/// R unchanged and keeps ‖q‖² from overflowing or underflowing (q of size 1e-30 in f32
/// works). **q = 0 is not a rotation: value and gradient are NaN**; so are infinite or NaN
/// entries. Sugar: `q.quat_to_rotation()`; the inverse is
/// [`rotation_to_quat`](crate::Var::rotation_to_quat).
///
/// ```
/// use nalgebra::{Quaternion, UnitQuaternion, Vector4};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let unit = UnitQuaternion::from_euler_angles(0.1, -0.4, 0.7);
/// let q = g.var(Vector4::new(unit.w, unit.i, unit.j, unit.k) * 3.0); // (w, x, y, z), any norm
/// let r: Var<'_, f64, 3, 3> = q.quat_to_rotation();
/// assert!((r.value() - unit.to_rotation_matrix().matrix()).norm() < 1e-15);
///
/// let grads = r.backward_with(nalgebra::Matrix3::repeat(1.0));
/// assert!(grads.wrt(q).dot(&q.value()).abs() < 1e-15); // orthogonal to q
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct QuatToRotation;

/// M(q) for q = (w, x, y, z).
fn unnormalised<T: Real>(q: &Vector4<T>) -> Matrix3<T> {
    let (w, x, y, z) = (q[0], q[1], q[2], q[3]);
    let two: T = nalgebra::convert(2.0);
    let (ww, xx, yy, zz) = (w * w, x * x, y * y, z * z);
    Matrix3::new(
        ww + xx - yy - zz,
        two * (x * y - w * z),
        two * (x * z + w * y),
        two * (x * y + w * z),
        ww - xx + yy - zz,
        two * (y * z - w * x),
        two * (x * z - w * y),
        two * (y * z + w * x),
        ww - xx - yy + zz,
    )
}

/// q divided by its largest |component| (R and the direction of the gradient do not
/// change), and that divisor.
fn scaled<T: Real>(q: &Vector4<T>) -> (Vector4<T>, T) {
    let m = q.iter().fold(T::zero(), |m, v| m.max(v.abs()));
    (q / m, m)
}

impl<T: Real> Op<T, (Vector4<T>,)> for QuatToRotation {
    type Output = Matrix3<T>;

    fn name(&self) -> &'static str {
        "quat_to_rotation"
    }

    fn forward(&self, (q,): (&Vector4<T>,)) -> Matrix3<T> {
        let (q, _) = scaled(q);
        unnormalised(&q) / q.dot(&q)
    }

    fn backward(
        &self,
        (q,): (&Vector4<T>,),
        _out: &Matrix3<T>,
        d_out: &Matrix3<T>,
    ) -> (Vector4<T>,) {
        // R(q) = R(q/m), so ∇R(q) = ∇R(q/m)/m: the formulas run on the scaled q.
        let (q, m) = scaled(q);
        let (w, x, y, z) = (q[0], q[1], q[2], q[3]);
        let d = d_out;
        let n2 = q.dot(&q);
        // ½⟨dOut, ∂M/∂qₖ⟩ for each k, read off M's entries.
        let half_dm = Vector4::new(
            w * (d[(0, 0)] + d[(1, 1)] + d[(2, 2)])
                + z * (d[(1, 0)] - d[(0, 1)])
                + y * (d[(0, 2)] - d[(2, 0)])
                + x * (d[(2, 1)] - d[(1, 2)]),
            x * (d[(0, 0)] - d[(1, 1)] - d[(2, 2)])
                + y * (d[(0, 1)] + d[(1, 0)])
                + z * (d[(0, 2)] + d[(2, 0)])
                + w * (d[(2, 1)] - d[(1, 2)]),
            y * (d[(1, 1)] - d[(0, 0)] - d[(2, 2)])
                + x * (d[(0, 1)] + d[(1, 0)])
                + z * (d[(1, 2)] + d[(2, 1)])
                + w * (d[(0, 2)] - d[(2, 0)]),
            z * (d[(2, 2)] - d[(0, 0)] - d[(1, 1)])
                + x * (d[(0, 2)] + d[(2, 0)])
                + y * (d[(1, 2)] + d[(2, 1)])
                + w * (d[(1, 0)] - d[(0, 1)]),
        );
        let two: T = nalgebra::convert(2.0);
        let d_m = d.dot(&unnormalised(&q));
        (half_dm * (two / (n2 * m)) - q * (two * d_m / (n2 * n2 * m)),)
    }
}

impl<'g, T: Real> Var<'g, T, 4, 1> {
    /// The rotation matrix (3×3) of the quaternion `self = (w, x, y, z)`, normalised inside,
    /// see [`QuatToRotation`](crate::ops::QuatToRotation).
    ///
    /// ```
    /// use nalgebra::{Matrix3, Vector4};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let identity = g.var(Vector4::new(1.0, 0.0, 0.0, 0.0)); // w first
    /// assert_eq!(identity.quat_to_rotation().value(), Matrix3::identity());
    /// ```
    #[track_caller]
    pub fn quat_to_rotation(self) -> Var<'g, T, 3, 3> {
        self.graph().apply(QuatToRotation, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, Quaternion, UnitQuaternion, Vector4};

    use super::QuatToRotation;
    use crate::diff::check::GradcheckOptions;
    use crate::diff::testing::{check_unary, check_unary_with, random, rng, tight};
    use crate::graph::Graph;

    fn wxyz(q: &UnitQuaternion<f64>) -> Vector4<f64> {
        Vector4::new(q.w, q.i, q.j, q.k)
    }

    #[test]
    fn equals_nalgebras_rotation_matrix_in_w_x_y_z_order() {
        let mut rng = rng(1000);
        let g = Graph::<f64>::new();
        for _ in 0..20 {
            let v = random::<4, 1>(&mut rng);
            let unit = UnitQuaternion::from_quaternion(Quaternion::new(v[0], v[1], v[2], v[3]));
            for scale in [1.0, 0.1, 7.0, -1.0] {
                let r = g.var(wxyz(&unit) * scale).quat_to_rotation().value();
                let want = *unit.to_rotation_matrix().matrix();
                assert!((r - want).abs().max() < 1e-15, "{r} vs {want}");
            }
        }
        // The storage order (i, j, k, w) would be another rotation: the order matters.
        let unit = UnitQuaternion::from_euler_angles(0.3, 0.2, 0.1);
        let wrong = g.var(unit.coords).quat_to_rotation().value();
        assert!((wrong - unit.to_rotation_matrix().matrix()).abs().max() > 0.1);
    }

    #[test]
    fn gradcheck_random_and_at_the_identity() {
        let mut rng = rng(1001);
        check_unary(QuatToRotation, QuatToRotation, random::<4, 1>(&mut rng));
        check_unary(
            QuatToRotation,
            QuatToRotation,
            random::<4, 1>(&mut rng) * 5.0,
        );
        for q in [
            Vector4::new(1.0, 0.0, 0.0, 0.0),
            Vector4::new(-1.0, 0.0, 0.0, 0.0),
            Vector4::new(0.0, 1.0, 0.0, 0.0), // θ = π
            Vector4::new(0.0, 0.6, 0.0, -0.8),
        ] {
            check_unary(QuatToRotation, QuatToRotation, q);
        }
        // A small q: the gradient scales like 1/‖q‖ and the step must scale with q too.
        let small = GradcheckOptions { h: 1e-9, ..tight() };
        let q = Vector4::new(1e-3, 2e-4, 0.0, -1e-4);
        check_unary_with(QuatToRotation, QuatToRotation, q, Some(&small), 1e-5);
    }

    #[test]
    fn the_gradient_is_orthogonal_to_q_and_odd_in_q() {
        let mut rng = rng(1002);
        let g = Graph::<f64>::new();
        for _ in 0..10 {
            let q = random::<4, 1>(&mut rng);
            let upstream: Matrix3<f64> = random(&mut rng);
            let (plus, minus) = (g.var(q), g.var(-q));
            let d_plus = *plus.quat_to_rotation().backward_with(upstream).wrt(plus);
            let d_minus = *minus.quat_to_rotation().backward_with(upstream).wrt(minus);
            assert!(d_plus.dot(&q).abs() < 1e-15 * d_plus.norm() * q.norm().max(1.0));
            assert!(
                (d_plus + d_minus).abs().max() < 1e-15,
                "{d_plus} vs {d_minus}"
            );
            assert_eq!(
                plus.quat_to_rotation().value(),
                minus.quat_to_rotation().value()
            );
        }
    }

    #[test]
    fn tiny_and_huge_quaternions_in_f32() {
        let g = Graph::<f32>::new();
        let unit = UnitQuaternion::from_euler_angles(0.3, -0.2, 0.1).cast::<f32>();
        let want = *unit.to_rotation_matrix().matrix();
        for scale in [1e-30_f32, 1e30] {
            let q = g.var(Vector4::new(unit.w, unit.i, unit.j, unit.k) * scale);
            let r = q.quat_to_rotation();
            assert!(
                (r.value() - want).abs().max() < 1e-6,
                "{scale}: {}",
                r.value()
            );
            let d = *r.backward_with(Matrix3::repeat(1.0)).wrt(q);
            assert!(d.iter().all(|v| v.is_finite()), "{d}");
        }
    }

    #[test]
    fn zero_is_not_a_rotation_and_gives_nan() {
        let g = Graph::<f64>::new();
        let q = g.var(Vector4::zeros());
        let r = q.quat_to_rotation();
        assert!(r.value().iter().all(|v| v.is_nan()));
        assert!(
            r.backward_with(Matrix3::repeat(1.0))
                .wrt(q)
                .iter()
                .all(|v| v.is_nan())
        );
    }
}
