use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Element-wise difference.
///
/// ```text
/// Shape:    (R×C) − (R×C) → (R×C)
/// Gradient: dA = dOut (R×C), dB = −dOut (R×C)
/// ```
///
/// The shapes must be equal (typed equality). Sugar: `a - b`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::repeat(1.0));
/// let b = g.var(Matrix2x3::repeat(3.0));
/// let c: Var<'_, f64, 2, 3> = a - b;
/// assert_eq!(c.value(), Matrix2x3::repeat(-2.0));
/// let grads = c.sum().backward();
/// assert_eq!(*grads.wrt(b), Matrix2x3::repeat(-1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sub;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>)> for Sub {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Sub"))
    }

    fn name(&self) -> &'static str {
        "sub"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>)) -> SMatrix<T, R, C> {
        a - b
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
        (*d_out, -d_out)
    }

    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        out: &mut SMatrix<T, R, C>,
    ) {
        out.copy_from(a);
        *out -= b;
    }

    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a, d_b): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
    ) {
        if let Some(d_a) = d_a {
            d_a.add(d_out);
        }
        if let Some(d_b) = d_b {
            d_b.add_map(d_out, |d| -d);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> std::ops::Sub for Var<'g, T, R, C> {
    type Output = Var<'g, T, R, C>;

    /// Element-wise difference, see [`Sub`].
    #[track_caller]
    fn sub(self, rhs: Self) -> Self {
        self.graph().apply(Sub, (self, rhs))
    }
}

#[cfg(test)]
mod tests {
    use super::Sub;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(30);
        check_binary(Sub, Sub, random::<3, 4>(&mut rng), random::<3, 4>(&mut rng));
    }

    #[test]
    fn a_minus_a_has_zero_gradient() {
        let mut rng = rng(31);
        let g = Graph::<f64>::new();
        let a = g.var(random::<2, 2>(&mut rng));
        let grads = (a - a).backward_with(random::<2, 2>(&mut rng));
        assert_eq!(*grads.wrt(a), nalgebra::Matrix2::zeros());
    }
}
