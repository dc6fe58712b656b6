use nalgebra::{Matrix1, SMatrix};

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// The Frobenius inner product of two matrices of one shape: `Σ a[r, c]·b[r, c]`, like
/// nalgebra's `dot`.
///
/// ```text
/// Shape:    (R×C)·(R×C) → (1×1)
/// Gradient: dA = dOut·B (R×C), dB = dOut·A (R×C)
/// ```
///
/// A multiply gate followed by a sum: each input's gradient is the *other* input scaled by the
/// 1×1 upstream gradient. The shapes must be equal (typed equality). Sugar: `a.dot(b)`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let b = g.var(Matrix2x3::new(1.0, 0.0, -1.0, 0.5, 0.0, 2.0));
/// let d: Var<'_, f64, 1, 1> = a.dot(b);
/// assert_eq!(d.value()[0], 1.0 - 3.0 + 2.0 + 12.0);
/// let grads = d.backward();
/// assert_eq!(*grads.wrt(a), b.value());
/// assert_eq!(*grads.wrt(b), a.value());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Dot;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>)> for Dot {
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Dot"))
    }

    fn name(&self) -> &'static str {
        "dot"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>)) -> Matrix1<T> {
        Matrix1::new(a.dot(b))
    }

    fn backward(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
        (b * d_out[0], a * d_out[0])
    }

    fn backward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_a, d_b): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
    ) {
        let d = d_out[0];
        if let Some(d_a) = d_a {
            d_a.add_map(b, |x| x * d);
        }
        if let Some(d_b) = d_b {
            d_b.add_map(a, |x| x * d);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The Frobenius inner product with `rhs`, 1×1; see [`Dot`](crate::ops::Dot).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(nalgebra::Vector3::new(1.0, 2.0, 3.0));
    /// let b = g.var(nalgebra::Vector3::new(4.0, -5.0, 6.0));
    /// assert_eq!(a.dot(b).value()[0], 12.0);
    /// ```
    #[track_caller]
    pub fn dot(self, rhs: Var<'g, T, R, C>) -> Var<'g, T, 1, 1> {
        self.graph().apply(Dot, (self, rhs))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix3x2};

    use super::Dot;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3x2::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
        let b = g.var(Matrix3x2::new(2.0, 0.5, -1.0, 0.0, 0.25, -2.0));
        // 2 + 1 − 3 + 0 + 1.25 − 12
        assert_eq!(a.dot(b).value(), Matrix1::new(-10.75));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(330);
        check_binary(Dot, Dot, random::<4, 3>(&mut rng), random::<4, 3>(&mut rng));
        check_binary(Dot, Dot, random::<1, 1>(&mut rng), random::<1, 1>(&mut rng));
        check_binary(Dot, Dot, random::<1, 6>(&mut rng), random::<1, 6>(&mut rng));
    }

    #[test]
    fn a_var_dotted_with_itself_gets_twice_itself() {
        let mut rng = rng(331);
        let g = Graph::<f64>::new();
        let x = g.var(random::<3, 2>(&mut rng));
        let grads = x.dot(x).backward_with(Matrix1::new(0.5));
        assert_eq!(*grads.wrt(x), x.value()); // 0.5 · 2x
    }

    #[test]
    fn large_values_stay_finite_while_the_product_fits() {
        let g = Graph::<f64>::new();
        // Powers of two, so the products are exact: 2⁵⁰⁰·(−2⁵⁰⁰) = −2¹⁰⁰⁰ ≈ −1.07e301.
        let a = g.var(Matrix1::new(2f64.powi(500)));
        let b = g.var(Matrix1::new(-(2f64.powi(500))));
        let d = a.dot(b);
        assert_eq!(d.value()[0], -(2f64.powi(1000)));
        assert!(d.value()[0].is_finite());
        assert_eq!(d.backward().wrt(a)[0], -(2f64.powi(500)));
    }
}
