use nalgebra::Vector3;

use crate::contract::{Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Cross product of two 3-vectors: `a × b`.
///
/// ```text
/// Shape:    (3×1) × (3×1) → (3×1)
/// Gradient: dA = b × dOut (3×1), dB = dOut × a (3×1)
/// ```
///
/// Both inputs and the output are `Vector3` (typed: `cross` exists only on 3×1 vars, and a
/// 2×1 or 1×3 input does not compile). The gradients follow from `a × b = −[b]ₓ·a = [a]ₓ·b`
/// with the skew matrix `[v]ₓ`, whose transpose is `−[v]ₓ`. Sugar: `a.cross(b)`, as in
/// nalgebra.
///
/// ```
/// use nalgebra::Vector3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Vector3::x());
/// let b = g.var(Vector3::y());
/// let c: Var<'_, f64, 3, 1> = a.cross(b);
/// assert_eq!(c.value(), Vector3::z());
/// let grads = c.backward_with(Vector3::z()); // the gradient of c·z
/// assert_eq!(*grads.wrt(a), Vector3::y().cross(&Vector3::z())); // b × dOut = x
/// assert_eq!(*grads.wrt(b), Vector3::z().cross(&Vector3::x())); // dOut × a = y
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Cross;

impl<T: Real> Op<T, (Vector3<T>, Vector3<T>)> for Cross {
    type Output = Vector3<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Cross"))
    }

    fn name(&self) -> &'static str {
        "cross"
    }

    fn forward(&self, (a, b): (&Vector3<T>, &Vector3<T>)) -> Vector3<T> {
        a.cross(b)
    }

    fn backward(
        &self,
        (a, b): (&Vector3<T>, &Vector3<T>),
        _out: &Vector3<T>,
        d_out: &Vector3<T>,
    ) -> (Vector3<T>, Vector3<T>) {
        (b.cross(d_out), d_out.cross(a))
    }
}

impl<'g, T: Real> Var<'g, T, 3, 1> {
    /// The cross product `self × rhs`, see [`Cross`](crate::ops::Cross).
    ///
    /// ```
    /// use nalgebra::Vector3;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(Vector3::new(1.0, 2.0, 3.0));
    /// let b = g.var(Vector3::new(4.0, 5.0, 6.0));
    /// assert_eq!(a.cross(b).value(), Vector3::new(-3.0, 6.0, -3.0));
    /// ```
    #[track_caller]
    pub fn cross(self, rhs: Var<'g, T, 3, 1>) -> Var<'g, T, 3, 1> {
        self.graph().apply(Cross, (self, rhs))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, Vector3};

    use super::Cross;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let (x, y, z) = (Vector3::x(), Vector3::y(), Vector3::z());
        let (a, b) = (g.var(y), g.var(z));
        assert_eq!(a.cross(b).value(), x);
        assert_eq!(b.cross(a).value(), -x);
        let v = g.var(Vector3::new(1.0, -2.0, 0.5));
        assert_eq!(v.cross(v).value(), Vector3::zeros());
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(550);
        check_binary(
            Cross,
            Cross,
            random::<3, 1>(&mut rng),
            random::<3, 1>(&mut rng),
        );
        check_binary(
            Cross,
            Cross,
            random::<3, 1>(&mut rng).scale(100.0),
            random::<3, 1>(&mut rng).scale(0.01),
        );
    }

    #[test]
    fn jacobians_are_the_skew_matrices() {
        // ∂(a × b)/∂b = [a]ₓ and ∂(a × b)/∂a = −[b]ₓ.
        let mut rng = rng(551);
        let g = Graph::<f64>::new();
        let (av, bv) = (random::<3, 1>(&mut rng), random::<3, 1>(&mut rng));
        let (a, b) = (g.var(av), g.var(bv));
        let c = a.cross(b);
        let skew = |v: Vector3<f64>| v.cross_matrix();
        let mut jac_a = Matrix3::zeros();
        let mut jac_b = Matrix3::zeros();
        for i in 0..3 {
            let grads = c.backward_with(Vector3::ith(i, 1.0));
            jac_a.set_row(i, &grads.wrt(a).transpose());
            jac_b.set_row(i, &grads.wrt(b).transpose());
        }
        assert!((jac_a + skew(bv)).abs().max() < 1e-15, "{jac_a}");
        assert!((jac_b - skew(av)).abs().max() < 1e-15, "{jac_b}");
    }

    #[test]
    fn cross_with_itself_has_zero_gradient() {
        // a × a = 0 for every a: dA = a × dOut + dOut × a = 0.
        let mut rng = rng(552);
        let g = Graph::<f64>::new();
        let a = g.var(random::<3, 1>(&mut rng));
        let grads = a.cross(a).backward_with(random::<3, 1>(&mut rng));
        assert!(grads.wrt(a).abs().max() < 1e-15, "{}", grads.wrt(a));
    }
}
