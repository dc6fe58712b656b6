use nalgebra::{Matrix3, Vector3};

use crate::contract::Op;
use crate::graph::Var;
use crate::kernels::Real;
use crate::ops::so3_coefficients::exp_coefficients;

/// The exponential map of SO(3): an axis-angle vector `w` (angle θ = ‖w‖ about the axis
/// w/θ, right-handed) to its rotation matrix, by Rodrigues' formula.
///
/// ```text
/// R = I + A·[w]ₓ + B·[w]ₓ²,  A = sin θ/θ,  B = (1 − cos θ)/θ²,  u = θ² = ‖w‖²
///
/// Shape:    (3×1) → (3×3)
/// Gradient: dW = (A₂·⟨w, g⟩ + B₂·(wᵀ·dOut·w − u·tr dOut) − 2B·tr dOut)·w + A·g
///                + B·(dOut + dOutᵀ)·w   (3×1)
///           g = (dOut₃₂ − dOut₂₃, dOut₁₃ − dOut₃₁, dOut₂₁ − dOut₁₂) = 2·vee(dOut),
///           A₂ = 2·dA/du = (θ·cos θ − sin θ)/θ³,  B₂ = 2·dB/du = (θ·sin θ − 2(1 − cos θ))/θ⁴
/// ```
///
/// Only 3×1 vars have `so3_exp` (typed). The exponential is smooth everywhere, so are its
/// value and gradient, including at θ = 0 (R = I, dW = g: the gradient of I + \[w\]ₓ) and at
/// θ = π and beyond (a vector of length 2π gives I again). Near θ = 0 the four coefficients
/// A, B, A₂, B₂ come from their Taylor series in u = θ², not from the closed forms, which
/// divide zero by zero at θ = 0 and lose digits to cancellation near it; the switch is at
/// u = 0.095 in f64 and u = 2.2 in f32, where series and closed forms agree to ~1e-14 and
/// ~1e-6 (the derivation is in the source, `so3_coefficients.rs`). The series are in θ², never
/// in θ = √u, so the op also runs on dual numbers at w = 0: the exact Hessians of the
/// `second_order` module are exact there too.
///
/// The value equals nalgebra's `Rotation3::new(w)` to rounding (tested). A vector with
/// infinite or NaN entries gives NaN. Sugar: `w.so3_exp()`; the inverse is
/// [`so3_log`](crate::Var::so3_log), and see the [ops module](crate::ops#rotations-and-rigid-bodies)
/// for attitude errors and poses.
///
/// ```
/// use nalgebra::{Rotation3, Vector3};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let w = g.var(Vector3::new(0.0, 0.0, std::f64::consts::FRAC_PI_2)); // 90° about z
/// let r: Var<'_, f64, 3, 3> = w.so3_exp();
/// assert!((r.value() * Vector3::x() - Vector3::y()).norm() < 1e-15); // x ↦ y
/// assert!((r.value() - Rotation3::new(w.value()).matrix()).norm() < 1e-15);
///
/// let zero = g.var(Vector3::zeros()); // θ = 0: finite, the gradient of I + [w]ₓ
/// let grads = zero.so3_exp().backward_with(Vector3::new(1.0, 2.0, 3.0).cross_matrix());
/// assert_eq!(*grads.wrt(zero), Vector3::new(2.0, 4.0, 6.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct So3Exp;

impl<T: Real> Op<T, (Vector3<T>,)> for So3Exp {
    type Output = Matrix3<T>;

    fn name(&self) -> &'static str {
        "so3_exp"
    }

    fn forward(&self, (w,): (&Vector3<T>,)) -> Matrix3<T> {
        let u = w.dot(w);
        let k = exp_coefficients(u);
        // [w]ₓ² = w·wᵀ − u·I.
        let mut r = w.cross_matrix() * k.a + w * w.transpose() * k.b;
        let diagonal = T::one() - k.b * u;
        for i in 0..3 {
            r[(i, i)] += diagonal;
        }
        r
    }

    fn backward(
        &self,
        (w,): (&Vector3<T>,),
        _out: &Matrix3<T>,
        d_out: &Matrix3<T>,
    ) -> (Vector3<T>,) {
        let d = d_out;
        let u = w.dot(w);
        let k = exp_coefficients(u);
        let g = Vector3::new(
            d[(2, 1)] - d[(1, 2)],
            d[(0, 2)] - d[(2, 0)],
            d[(1, 0)] - d[(0, 1)],
        );
        let trace = d.trace();
        let d_w = d * w;
        let d_t_w = d.tr_mul(w);
        let along_w = k.a2 * w.dot(&g) + k.b2 * (w.dot(&d_w) - u * trace) - (k.b + k.b) * trace;
        (w * along_w + g * k.a + (d_w + d_t_w) * k.b,)
    }
}

impl<'g, T: Real> Var<'g, T, 3, 1> {
    /// The rotation matrix of the axis-angle vector `self` (Rodrigues), 3×3, see
    /// [`So3Exp`](crate::ops::So3Exp).
    ///
    /// ```
    /// use nalgebra::{Matrix3, Vector3};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var(Vector3::new(0.1, -0.2, 0.3));
    /// let r = w.so3_exp().value();
    /// assert!((r.transpose() * r - Matrix3::identity()).norm() < 1e-15); // orthogonal
    /// ```
    #[track_caller]
    pub fn so3_exp(self) -> Var<'g, T, 3, 3> {
        self.graph().apply(So3Exp, (self,))
    }
}

#[cfg(test)]
mod tests;
