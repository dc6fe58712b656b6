use nalgebra::{Matrix1, SMatrix};

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// The squared Frobenius norm: `‖A‖² = Σ a[r, c]²`, like nalgebra's `norm_squared`.
///
/// ```text
/// Shape:    (R×C) → (1×1)
/// Gradient: dA = 2·dOut·A (R×C)
/// ```
///
/// The output's dimensions do not depend on the input's (typed). Sugar: `a.norm_squared()`;
/// for weight decay, see [`L2Penalty`](super::L2Penalty).
///
/// ```
/// use nalgebra::Matrix2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2::new(1.0, -2.0, 3.0, 0.5));
/// let n: Var<'_, f64, 1, 1> = a.norm_squared();
/// assert_eq!(n.value()[0], 14.25);
/// assert_eq!(*n.backward().wrt(a), Matrix2::new(2.0, -4.0, 6.0, 1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NormSquared;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for NormSquared {
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("NormSquared"))
    }

    fn name(&self) -> &'static str {
        "norm_squared"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> Matrix1<T> {
        Matrix1::new(crate::kernels::dot(a.as_slice(), a.as_slice()))
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> (SMatrix<T, R, C>,) {
        (a * (d_out[0] + d_out[0]),)
    }

    #[inline]
    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let twice = d_out[0] + d_out[0];
            d_a.add_map(a, |x| x * twice);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The squared Frobenius norm, 1×1; see [`NormSquared`](crate::ops::NormSquared).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(3.0, 4.0));
    /// assert_eq!(x.norm_squared().value()[0], 25.0);
    /// ```
    #[track_caller]
    pub fn norm_squared(self) -> Var<'g, T, 1, 1> {
        self.graph().apply(NormSquared, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix2x3};

    use super::NormSquared;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix2x3::new(1.0, 2.0, -2.0, 0.0, 0.5, -0.5));
        assert_eq!(a.norm_squared().value(), Matrix1::new(9.5));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(340);
        check_unary(NormSquared, NormSquared, random::<4, 3>(&mut rng));
        check_unary(NormSquared, NormSquared, random::<1, 1>(&mut rng));
        check_unary(NormSquared, NormSquared, random::<1, 7>(&mut rng));
    }

    #[test]
    fn equals_the_dot_product_with_itself() {
        let mut rng = rng(341);
        let g = Graph::<f64>::new();
        let x = g.var(random::<3, 4>(&mut rng));
        let (n, d) = (x.norm_squared().value()[0], x.dot(x).value()[0]);
        assert!((n - d).abs() < 1e-14, "{n} vs {d}");
    }

    #[test]
    fn zero_matrix_and_tiny_entries() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix2x3::zeros());
        let n = a.norm_squared();
        assert_eq!(n.value()[0], 0.0);
        assert_eq!(*n.backward().wrt(a), Matrix2x3::zeros());
        // 1e-200² underflows to 0 but the gradient 2·1e-200 does not.
        let b = g.var(Matrix1::new(1e-200));
        let m = b.norm_squared();
        assert_eq!(m.value()[0], 0.0);
        assert_eq!(m.backward().wrt(b)[0], 2e-200);
    }
}
