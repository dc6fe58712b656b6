use nalgebra::{Matrix1, SMatrix};

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Sum of all entries.
///
/// ```text
/// Shape:    (R×C) → (1×1)
/// Gradient: dA = dOut · 1 (R×C, every entry dOut)
/// ```
///
/// Sugar: `a.sum()`, the usual way to turn a matrix into a loss.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let s: Var<'_, f64, 1, 1> = a.sum();
/// assert_eq!(s.value()[0], 21.0);
/// assert_eq!(*s.backward().wrt(a), Matrix2x3::repeat(1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sum;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Sum {
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Sum"))
    }

    fn name(&self) -> &'static str {
        "sum"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> Matrix1<T> {
        Matrix1::new(crate::kernels::sum(a.as_slice()))
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> (SMatrix<T, R, C>,) {
        (SMatrix::repeat(d_out[0]),)
    }

    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            match d_a.into_parts() {
                (d_a, true) => d_a.add_scalar_mut(d_out[0]),
                (d_a, false) => d_a.fill(d_out[0]),
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The sum of all entries, 1×1; see [`Sum`](crate::ops::Sum).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector3::new(1.0, 2.0, 3.0));
    /// assert_eq!(x.sum().value()[0], 6.0);
    /// ```
    #[track_caller]
    pub fn sum(self) -> Var<'g, T, 1, 1> {
        self.graph().apply(Sum, (self,))
    }
}

#[cfg(test)]
mod tests {
    use super::Sum;
    use crate::diff::testing::{check_unary, random, rng};

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(70);
        check_unary(Sum, Sum, random::<4, 3>(&mut rng));
        check_unary(Sum, Sum, random::<1, 1>(&mut rng));
    }
}
