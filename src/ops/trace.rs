use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op};
use crate::graph::Var;
use crate::kernels::Real;

/// The trace of a square matrix, the sum of its diagonal.
///
/// ```text
/// Shape:    (N×N) → (1×1)
/// Gradient: dA = dOut·I (N×N)
/// ```
///
/// Defined for square matrices only (a typed equality: `trace` exists on `Var<N, N>`), as
/// nalgebra's `trace`. Sugar: `a.trace()`.
///
/// ```
/// use nalgebra::{Matrix1, Matrix2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
/// let t: Var<'_, f64, 1, 1> = a.trace();
/// assert_eq!(t.value(), Matrix1::new(5.0));
/// assert_eq!(*t.backward().wrt(a), Matrix2::identity());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Trace;

impl<T: Real, const N: usize> Op<T, (SMatrix<T, N, N>,)> for Trace {
    type Output = SMatrix<T, 1, 1>;

    fn name(&self) -> &'static str {
        "trace"
    }

    fn forward(&self, (a,): (&SMatrix<T, N, N>,)) -> SMatrix<T, 1, 1> {
        SMatrix::<T, 1, 1>::new(a.trace())
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, N, N>,),
        _out: &SMatrix<T, 1, 1>,
        d_out: &SMatrix<T, 1, 1>,
    ) -> (SMatrix<T, N, N>,) {
        (SMatrix::identity() * d_out[0],)
    }

    /// Adds `dOut` to the diagonal in place (on a pass's first contribution, the buffer is
    /// zeroed first).
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, N, N>,),
        _out: &SMatrix<T, 1, 1>,
        d_out: &SMatrix<T, 1, 1>,
        (d_a,): (Option<GradSlot<'_, T, N, N>>,),
    ) {
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            if !add {
                d_a.fill(T::zero());
            }
            for i in 0..N {
                d_a[(i, i)] += d_out[0];
            }
        }
    }
}

impl<'g, T: Real, const N: usize> Var<'g, T, N, N> {
    /// The sum of the diagonal (1×1), see [`Trace`](crate::ops::Trace).
    ///
    /// ```
    /// use nalgebra::Matrix3;
    /// let g = shapegrad::Graph::<f64>::new();
    /// assert_eq!(g.var(Matrix3::<f64>::identity()).trace().value()[0], 3.0);
    /// ```
    #[track_caller]
    pub fn trace(self) -> Var<'g, T, 1, 1> {
        self.graph().apply(Trace, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, SMatrix};

    use super::Trace;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3::new(1.0, 9.0, 9.0, 9.0, -2.0, 9.0, 9.0, 9.0, 0.5));
        assert_eq!(a.trace().value()[0], -0.5);
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(970);
        check_unary(Trace, Trace, random::<4, 4>(&mut rng));
        check_unary(Trace, Trace, random::<1, 1>(&mut rng));
        check_unary(Trace, Trace, random::<7, 7>(&mut rng).scale(100.0));
    }

    #[test]
    fn trace_of_a_product_has_the_other_factor_transposed() {
        // tr(A·B): dA = Bᵀ, dB = Aᵀ.
        let mut rng = rng(971);
        let g = Graph::<f64>::new();
        let (a, b) = (random::<3, 4>(&mut rng), random::<4, 3>(&mut rng));
        let (av, bv) = (g.var(a), g.var(b));
        let grads = (av * bv).trace().backward();
        assert!((grads.wrt(av) - b.transpose()).amax() < 1e-15);
        assert!((grads.wrt(bv) - a.transpose()).amax() < 1e-15);
        let _: SMatrix<f64, 4, 3> = *grads.wrt(bv);
    }
}
