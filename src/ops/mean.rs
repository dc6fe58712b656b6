use nalgebra::{Matrix1, SMatrix};

use crate::contract::shape::EntriesToAverage;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Mean of all entries.
///
/// ```text
/// Shape:    (R×C) → (1×1)
/// Gradient: dA = dOut / (R·C) (R×C, every entry the same)
/// ```
///
/// A matrix with no entries (R×0 or 0×C) has no mean: a const assertion rejects it when the
/// code is built (`cargo build`, not `cargo check`). Sugar: `a.mean()`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let m: Var<'_, f64, 1, 1> = a.mean();
/// assert_eq!(m.value()[0], 3.5);
/// assert_eq!(*m.backward().wrt(a), Matrix2x3::repeat(1.0 / 6.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Mean;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Mean {
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Mean"))
    }

    fn name(&self) -> &'static str {
        "mean"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> Matrix1<T> {
        let () = EntriesToAverage::<R, C>::ASSERT;
        Matrix1::new(a.mean())
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> (SMatrix<T, R, C>,) {
        let count: T = nalgebra::convert((R * C) as f64);
        (SMatrix::repeat(d_out[0] / count),)
    }

    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let count: T = nalgebra::convert((R * C) as f64);
            let share = d_out[0] / count;
            let (d_a, add) = d_a.into_parts();
            if add {
                d_a.add_scalar_mut(share);
            } else {
                d_a.fill(share);
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The mean of all entries, 1×1; see [`Mean`](crate::ops::Mean).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector4::new(1.0, 2.0, 3.0, 6.0));
    /// assert_eq!(x.mean().value()[0], 3.0);
    /// ```
    #[track_caller]
    pub fn mean(self) -> Var<'g, T, 1, 1> {
        let () = EntriesToAverage::<R, C>::ASSERT;
        self.graph().apply(Mean, (self,))
    }
}

#[cfg(test)]
mod tests {
    use super::Mean;
    use crate::diff::testing::{check_unary, random, rng};

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(80);
        check_unary(Mean, Mean, random::<5, 3>(&mut rng));
        check_unary(Mean, Mean, random::<1, 7>(&mut rng));
    }
}
