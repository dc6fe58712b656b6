use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::gemm::{mul_nn, mul_nt, mul_tn};

/// Matrix product.
///
/// ```text
/// Shape:    (R×K)·(K×C) → (R×C)
/// Gradient: dA = dOut·Bᵀ (R×K), dB = Aᵀ·dOut (K×C)
/// ```
///
/// The shape rule is a typed equality: the left factor's `K` is the right factor's `K`, so
/// `(2×3)·(2×4)` does not compile. Sugar: `a * b` (nalgebra's `*` is the matrix product).
///
/// On the graph the products are written in place; for `f64` from 24 per side (16 for
/// `Aᵀ·B`) and for `f32` from 48 (24), see `src/kernels/gemm.rs`, they use shapegrad's blocked GEMM,
/// which makes no heap allocation once a thread has run its largest product; the transposes
/// are strides (none is materialised), and a constant factor's gradient is not computed.
///
/// ```
/// use nalgebra::{SMatrix, Matrix2x3};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let b = g.var(SMatrix::<f64, 3, 4>::repeat(1.0));
/// let c: Var<'_, f64, 2, 4> = a * b;
/// assert_eq!(c.value().column(0).as_slice(), &[6.0, 15.0]);
///
/// let grads = c.sum().backward();
/// assert_eq!(*grads.wrt(a), Matrix2x3::repeat(4.0)); // dOut·Bᵀ with dOut = ones
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct MatMul;

impl<T: Real, const R: usize, const K: usize, const C: usize>
    Op<T, (SMatrix<T, R, K>, SMatrix<T, K, C>)> for MatMul
{
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("MatMul"))
    }

    fn name(&self) -> &'static str {
        "matmul"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, K>, &SMatrix<T, K, C>)) -> SMatrix<T, R, C> {
        a * b
    }

    fn backward(
        &self,
        (a, b): (&SMatrix<T, R, K>, &SMatrix<T, K, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, K>, SMatrix<T, K, C>) {
        let d_a = d_out * b.transpose();
        let d_b = a.tr_mul(d_out);
        (d_a, d_b)
    }

    #[inline]
    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, K>, &SMatrix<T, K, C>),
        out: &mut SMatrix<T, R, C>,
    ) {
        mul_nn(out, a, b, false);
    }

    #[inline]
    fn backward_into(
        &self,
        (a, b): (&SMatrix<T, R, K>, &SMatrix<T, K, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a, d_b): (Option<GradSlot<'_, T, R, K>>, Option<GradSlot<'_, T, K, C>>),
    ) {
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            mul_nt(d_a, d_out, b, add);
        }
        if let Some(d_b) = d_b {
            let (d_b, add) = d_b.into_parts();
            mul_tn(d_b, a, d_out, add);
        }
    }
}

impl<'g, T: Real, const R: usize, const K: usize, const C: usize> std::ops::Mul<Var<'g, T, K, C>>
    for Var<'g, T, R, K>
{
    type Output = Var<'g, T, R, C>;

    /// Matrix product, see [`MatMul`].
    #[track_caller]
    fn mul(self, rhs: Var<'g, T, K, C>) -> Var<'g, T, R, C> {
        self.graph().apply(MatMul, (self, rhs))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix2x3, SMatrix};

    use super::MatMul;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
        let b = g.var(Matrix2x3::new(1.0, 0.0, 2.0, 0.0, 1.0, 0.0).transpose());
        assert_eq!((a * b).value(), nalgebra::Matrix2::new(7.0, 2.0, 16.0, 5.0));
    }

    #[test]
    fn gradcheck_random_rectangular() {
        let mut rng = rng(1);
        let a: SMatrix<f64, 5, 10> = random(&mut rng);
        let b: SMatrix<f64, 10, 3> = random(&mut rng);
        check_binary(MatMul, MatMul, a, b);
    }

    #[test]
    fn gradcheck_vector_outer_and_inner() {
        let mut rng = rng(2);
        // (4×1)·(1×3): an outer product; (1×4)·(4×1): an inner product.
        check_binary(
            MatMul,
            MatMul,
            random::<4, 1>(&mut rng),
            random::<1, 3>(&mut rng),
        );
        check_binary(
            MatMul,
            MatMul,
            random::<1, 4>(&mut rng),
            random::<4, 1>(&mut rng),
        );
    }

    #[test]
    fn the_notes_vectorised_example() {
        // W (5×10), x (10×3), D = W·x, upstream dD: dW = dD·xᵀ, dx = Wᵀ·dD.
        let mut rng = rng(3);
        let g = Graph::<f64>::new();
        let w = g.var(random::<5, 10>(&mut rng));
        let x = g.var(random::<10, 3>(&mut rng));
        let d_d = random::<5, 3>(&mut rng);
        let grads = (w * x).backward_with(d_d);
        assert_eq!(*grads.wrt(w), d_d * x.value().transpose());
        assert_eq!(*grads.wrt(x), w.value().transpose() * d_d);
    }

    #[test]
    fn a_var_multiplied_by_itself_adds_both_gradients() {
        // (X·X) for square X: dX = dOut·Xᵀ + Xᵀ·dOut.
        let mut rng = rng(4);
        let g = Graph::<f64>::new();
        let x = g.var(random::<3, 3>(&mut rng));
        let d_out = random::<3, 3>(&mut rng);
        let grads = (x * x).backward_with(d_out);
        let xv = x.value();
        let expected = d_out * xv.transpose() + xv.transpose() * d_out;
        assert!((grads.wrt(x) - expected).amax() < 1e-14);
    }
}
