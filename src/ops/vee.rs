use nalgebra::{Matrix3, Vector3};

use crate::contract::Op;
use crate::graph::Var;
use crate::kernels::Real;

/// The axial vector of a 3×3 matrix's skew-symmetric part ("vee"), the inverse of
/// [`hat`](crate::Var::hat) on skew-symmetric matrices:
///
/// ```text
/// vee(M) = ½·(m₃₂ − m₂₃, m₁₃ − m₃₁, m₂₁ − m₁₂)
///
/// Shape:    (3×3) → (3×1)
/// Gradient: dM = ½·[dOut]ₓ = ½·hat(dOut) (3×3)
/// ```
///
/// Only 3×3 vars have `vee` (typed). On a skew-symmetric matrix `[w]ₓ` it returns `w`
/// exactly. On any other matrix it returns the axial vector of the skew part `(M − Mᵀ)/2`,
/// the least-squares inverse of hat (`hat(vee(M)) = (M − Mᵀ)/2`), **not** three picked
/// entries `(m₃₂, m₁₃, m₂₁)` as Sophus's `SO3::vee` (meant for skew input only): the two
/// agree on skew matrices and differ elsewhere, including in their gradients (this one's is
/// ½·hat(dOut), antisymmetric, so `vee` and `hat` are adjoint up to the factor 2). For a
/// rotation `R` of angle θ about the unit axis n, `vee(R) = sin θ·n`. Sugar: `m.vee()`.
///
/// ```
/// use nalgebra::{Matrix3, Vector3};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let w = Vector3::new(1.0, -2.0, 0.5);
/// let m = g.var(w.cross_matrix() + Matrix3::identity()); // skew part [w]ₓ, symmetric part I
/// let v: Var<'_, f64, 3, 1> = m.vee();
/// assert_eq!(v.value(), w);
/// let grads = v.backward_with(Vector3::new(2.0, 0.0, 0.0));
/// assert_eq!(*grads.wrt(m), Vector3::new(1.0, 0.0, 0.0).cross_matrix()); // ½·hat(dOut)
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Vee;

impl<T: Real> Op<T, (Matrix3<T>,)> for Vee {
    type Output = Vector3<T>;

    fn name(&self) -> &'static str {
        "vee"
    }

    fn forward(&self, (m,): (&Matrix3<T>,)) -> Vector3<T> {
        let half: T = nalgebra::convert(0.5);
        Vector3::new(
            m[(2, 1)] - m[(1, 2)],
            m[(0, 2)] - m[(2, 0)],
            m[(1, 0)] - m[(0, 1)],
        ) * half
    }

    fn backward(
        &self,
        _inputs: (&Matrix3<T>,),
        _out: &Vector3<T>,
        d_out: &Vector3<T>,
    ) -> (Matrix3<T>,) {
        let half: T = nalgebra::convert(0.5);
        ((d_out * half).cross_matrix(),)
    }
}

impl<'g, T: Real> Var<'g, T, 3, 3> {
    /// The axial vector of the skew-symmetric part, 3×1, see [`Vee`](crate::ops::Vee).
    ///
    /// ```
    /// use nalgebra::{Matrix3, Vector3};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let m = g.var(Matrix3::new(0.0, -3.0, 2.0, 3.0, 0.0, -1.0, -2.0, 1.0, 0.0));
    /// assert_eq!(m.vee().value(), Vector3::new(1.0, 2.0, 3.0));
    /// ```
    #[track_caller]
    pub fn vee(self) -> Var<'g, T, 3, 1> {
        self.graph().apply(Vee, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, Vector3};

    use super::Vee;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn inverts_hat_and_takes_the_skew_part() {
        let mut rng = rng(710);
        let w = random::<3, 1>(&mut rng);
        let g = Graph::<f64>::new();
        let wv = g.var(w);
        assert_eq!(wv.hat().vee().value(), w);
        let m: Matrix3<f64> = random(&mut rng);
        let v = g.var(m).vee().value();
        let skew = (m - m.transpose()) * 0.5;
        assert!((v.cross_matrix() - skew).abs().max() < 1e-15);
        assert_eq!(g.var(m + m.transpose()).vee().value(), Vector3::zeros());
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(711);
        check_unary(Vee, Vee, random::<3, 3>(&mut rng));
        check_unary(Vee, Vee, Matrix3::identity());
    }

    #[test]
    fn hat_and_vee_are_adjoint_up_to_two() {
        // ⟨hat(w), M⟩ = 2·⟨w, vee(M)⟩ for every w and M.
        let mut rng = rng(712);
        let (w, m) = (random::<3, 1>(&mut rng), random::<3, 3>(&mut rng));
        let g = Graph::<f64>::new();
        let lhs = w.cross_matrix().dot(&m);
        let rhs = 2.0 * w.dot(&g.var(m).vee().value());
        assert!((lhs - rhs).abs() < 1e-15);
    }

    #[test]
    fn of_a_rotation_it_is_the_sine_times_the_axis() {
        let axis = Vector3::new(2.0, -1.0, 2.0) / 3.0;
        let angle = 0.7;
        let r = *nalgebra::Rotation3::new(axis * angle).matrix();
        let g = Graph::<f64>::new();
        let v = g.var(r).vee().value();
        assert!((v - axis * angle.sin()).abs().max() < 1e-15, "{v}");
    }
}
