use nalgebra::{Matrix1, SMatrix};

use crate::contract::shape::EntriesToAverage;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Mean squared error between two matrices of one shape: `Σ (a[r, c] − b[r, c])² / (R·C)`.
///
/// ```text
/// Shape:    (R×C), (R×C) → (1×1)
/// Gradient: dA = dOut·2(A − B)/(R·C) (R×C), dB = −dA (R×C)
/// ```
///
/// The mean is over all R·C entries, as in PyTorch's `MSELoss` (the default `mean`
/// reduction). Both inputs get a gradient: usually `b` is a constant target, but it can be a
/// prediction too. The shapes must be equal (typed equality); R·C = 0 (a mean over nothing) is
/// rejected by a const assertion when the op is built. Sugar: `prediction.mse(target)`.
///
/// ```
/// use nalgebra::Matrix2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let prediction = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
/// let target = g.constant(Matrix2::new(0.0, 2.0, 5.0, 4.0));
/// let loss: Var<'_, f64, 1, 1> = prediction.mse(target);
/// assert_eq!(loss.value()[0], (1.0 + 4.0) / 4.0);
/// assert_eq!(*loss.backward().wrt(prediction), Matrix2::new(0.5, 0.0, -1.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Mse;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>)> for Mse {
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Mse"))
    }

    fn name(&self) -> &'static str {
        "mse"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>)) -> Matrix1<T> {
        let () = EntriesToAverage::<R, C>::ASSERT;
        Matrix1::new((a - b).norm_squared() / nalgebra::convert((R * C) as f64))
    }

    fn backward(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
        let count: T = nalgebra::convert((R * C) as f64);
        let d_a = (a - b) * ((d_out[0] + d_out[0]) / count);
        let d_b = -d_a;
        (d_a, d_b)
    }

    fn forward_into(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>), out: &mut Matrix1<T>) {
        let () = EntriesToAverage::<R, C>::ASSERT;
        // The difference in a scratch matrix (on the heap when large), then as `forward`.
        crate::contract::scratch::with_scratch::<T, R, C, _>(|difference| {
            difference.copy_from(a);
            *difference -= b;
            out[0] = difference.norm_squared() / nalgebra::convert((R * C) as f64);
        });
    }

    fn backward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_a, d_b): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
    ) {
        let count: T = nalgebra::convert((R * C) as f64);
        let k = (d_out[0] + d_out[0]) / count;
        if let Some(d_a) = d_a {
            d_a.add_zip_map(a, b, |x, y| (x - y) * k);
        }
        if let Some(d_b) = d_b {
            d_b.add_zip_map(a, b, |x, y| -((x - y) * k));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The mean squared error between `self` and `target`, 1×1; see [`Mse`](crate::ops::Mse).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let y = g.var(nalgebra::Vector2::new(1.0, 3.0));
    /// let t = g.constant(nalgebra::Vector2::new(0.0, 0.0));
    /// assert_eq!(y.mse(t).value()[0], 5.0);
    /// ```
    #[track_caller]
    pub fn mse(self, target: Var<'g, T, R, C>) -> Var<'g, T, 1, 1> {
        let () = EntriesToAverage::<R, C>::ASSERT;
        self.graph().apply(Mse, (self, target))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix2x3};

    use super::Mse;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
        let b = g.var(Matrix2x3::new(1.5, 2.0, 1.0, 4.0, 8.0, 6.0));
        // (0.25 + 0 + 4 + 0 + 9 + 0) / 6
        assert_eq!(a.mse(b).value(), Matrix1::new(13.25 / 6.0));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(430);
        check_binary(Mse, Mse, random::<4, 3>(&mut rng), random::<4, 3>(&mut rng));
        check_binary(Mse, Mse, random::<1, 1>(&mut rng), random::<1, 1>(&mut rng));
        check_binary(Mse, Mse, random::<1, 5>(&mut rng), random::<1, 5>(&mut rng));
    }

    #[test]
    fn gradients_with_respect_to_both_inputs_are_opposite() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix2x3::new(1.0, 0.0, 0.0, 0.0, 0.0, -2.0));
        let b = g.var(Matrix2x3::zeros());
        let grads = a.mse(b).backward_with(Matrix1::new(3.0));
        // 3 · 2(A − B)/6 = A.
        assert_eq!(*grads.wrt(a), a.value());
        assert_eq!(*grads.wrt(b), -a.value());
    }

    #[test]
    fn equal_inputs_and_a_var_against_itself_give_zero() {
        let mut rng = rng(431);
        let g = Graph::<f64>::new();
        let a = g.var(random::<3, 2>(&mut rng));
        let loss = a.mse(a);
        assert_eq!(loss.value()[0], 0.0);
        assert_eq!(*loss.backward().wrt(a), nalgebra::Matrix3x2::zeros());
    }
}
