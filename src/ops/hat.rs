use nalgebra::{Matrix3, Vector3};

use crate::contract::Op;
use crate::graph::Var;
use crate::kernels::Real;

/// The skew-symmetric matrix of a 3-vector, `[w]ₓ` ("hat"), with `[w]ₓ·v = w × v`, as
/// nalgebra's `Vector3::cross_matrix`:
///
/// ```text
///          ⎡  0   −w₃   w₂ ⎤
/// [w]ₓ  =  ⎢  w₃   0   −w₁ ⎥
///          ⎣ −w₂   w₁   0  ⎦
///
/// Shape:    (3×1) → (3×3)
/// Gradient: dW = (dOut₃₂ − dOut₂₃, dOut₁₃ − dOut₃₁, dOut₂₁ − dOut₁₂) = 2·vee(dOut) (3×1)
/// ```
///
/// Only 3×1 vars have `hat` (typed). It maps an angular velocity or an axis-angle vector to
/// the Lie algebra so(3); [`vee`](crate::Var::vee) goes back (`hat(w).vee() = w`), and
/// [`so3_exp`](crate::Var::so3_exp) maps it to a rotation. The gradient is hat's transpose
/// applied to dOut: only the antisymmetric part of dOut reaches `w`. Sugar: `w.hat()`.
///
/// ```
/// use nalgebra::{Matrix3, Vector3};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let w = g.var(Vector3::new(1.0, 2.0, 3.0));
/// let m: Var<'_, f64, 3, 3> = w.hat();
/// assert_eq!(m.value(), Vector3::new(1.0, 2.0, 3.0).cross_matrix());
/// let v = g.constant(Vector3::new(0.5, -1.0, 2.0));
/// assert_eq!((m * v).value(), w.cross(v).value()); // [w]ₓ·v = w × v
/// let grads = m.backward_with(Matrix3::from_fn(|r, c| (3 * r + c) as f64));
/// assert_eq!(*grads.wrt(w), Vector3::new(7.0 - 5.0, 2.0 - 6.0, 3.0 - 1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Hat;

impl<T: Real> Op<T, (Vector3<T>,)> for Hat {
    type Output = Matrix3<T>;

    fn name(&self) -> &'static str {
        "hat"
    }

    fn forward(&self, (w,): (&Vector3<T>,)) -> Matrix3<T> {
        w.cross_matrix()
    }

    fn backward(
        &self,
        _inputs: (&Vector3<T>,),
        _out: &Matrix3<T>,
        d_out: &Matrix3<T>,
    ) -> (Vector3<T>,) {
        let d = d_out;
        (Vector3::new(
            d[(2, 1)] - d[(1, 2)],
            d[(0, 2)] - d[(2, 0)],
            d[(1, 0)] - d[(0, 1)],
        ),)
    }
}

impl<'g, T: Real> Var<'g, T, 3, 1> {
    /// The skew-symmetric matrix `[self]ₓ` (3×3), see [`Hat`](crate::ops::Hat).
    ///
    /// ```
    /// use nalgebra::Vector3;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var(Vector3::new(1.0, 2.0, 3.0));
    /// assert_eq!(w.hat().value()[(0, 1)], -3.0);
    /// assert_eq!(w.hat().vee().value(), Vector3::new(1.0, 2.0, 3.0));
    /// ```
    #[track_caller]
    pub fn hat(self) -> Var<'g, T, 3, 3> {
        self.graph().apply(Hat, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, Vector3};

    use super::Hat;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_is_nalgebras_cross_matrix() {
        let mut rng = rng(700);
        let w = random::<3, 1>(&mut rng);
        let g = Graph::<f64>::new();
        let m = g.var(w).hat().value();
        assert_eq!(m, w.cross_matrix());
        assert_eq!(m, -m.transpose());
        let v = random::<3, 1>(&mut rng);
        assert!((m * v - w.cross(&v)).abs().max() < 1e-15);
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(701);
        check_unary(Hat, Hat, random::<3, 1>(&mut rng));
        check_unary(Hat, Hat, Vector3::zeros());
    }

    #[test]
    fn a_symmetric_upstream_gives_no_gradient() {
        let mut rng = rng(702);
        let g = Graph::<f64>::new();
        let w = g.var(random::<3, 1>(&mut rng));
        let a: Matrix3<f64> = random(&mut rng);
        let grads = w.hat().backward_with(a + a.transpose());
        assert_eq!(*grads.wrt(w), Vector3::zeros());
    }
}
