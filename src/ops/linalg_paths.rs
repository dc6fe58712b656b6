//! What the linear-algebra ops (`solve`, `inverse`, `determinant`, `cholesky`,
//! `cholesky_solve`) share: the choice between their static path, which keeps whole matrices
//! on the stack and is kept for small shapes, and their in-place path for large ones (the
//! factorisations themselves are in `crate::kernels::linalg`).

use nalgebra::SMatrix;

use crate::contract::scratch::MIN_BYTES;
use crate::contract::{Inputs, Op};
use crate::kernels::Real;

/// Whether an R×C matrix of `T` is small enough for the ops' static code path, which keeps
/// whole matrices on the stack: below [`MIN_BYTES`], 16 KiB (N ≤ 45 in `f64`, ≤ 63 in `f32`
/// for N×N). Larger ones take the in-place path (`Lu` on a scratch buffer, `cholesky_into` and the
/// scratch buffers of `with_scratch`).
pub(crate) fn fits_on_stack<T, const R: usize, const C: usize>() -> bool {
    size_of::<SMatrix<T, R, C>>() < MIN_BYTES
}

/// The ops' static path for small matrices: `*out = op.forward(inputs)`, as `Op`'s default
/// `forward_into`. A function of its own so that a debug build reserves stack for the
/// by-value output only when it runs, not in every frame of the op's `forward_into` (a large
/// matrix's frame would overflow a small stack even on the path that never makes one).
pub(crate) fn forward_by_value<T: Real, I: Inputs<T>, O: Op<T, I>>(
    op: &O,
    inputs: I::Refs<'_>,
    out: &mut O::Output,
) {
    *out = op.forward(inputs);
}

/// The ops' static path for small matrices, as `Op`'s default `backward_into`: `backward`'s
/// gradients added to their slots (a function of its own, as [`forward_by_value`]).
pub(crate) fn backward_by_value<T: Real, I: Inputs<T>, O: Op<T, I>>(
    op: &O,
    inputs: I::Refs<'_>,
    output: &O::Output,
    d_out: &O::Output,
    d_inputs: I::GradsMut<'_>,
) {
    I::accumulate(op.backward(inputs, output, d_out), d_inputs);
}

/// Test support for the ops' in-place path.
#[cfg(test)]
pub(crate) mod testing {
    use nalgebra::SMatrix;

    use crate::contract::Op;

    /// Test support for the ops' path for large matrices: [`check_unary_with`] without the full
    /// gradcheck (central differences of every entry of a 48×48 or 64×64 input, each through an
    /// O(N³) forward pass, would take minutes in a debug build) and central differences of
    /// `sum(op(x) ∘ U)` through a graph at a few entries instead.
    ///
    /// [`check_unary_with`]: crate::diff::testing::check_unary_with
    pub(crate) fn check_unary_large<O, const N: usize, const R2: usize, const C2: usize>(
        op: O,
        x: SMatrix<f64, N, N>,
        f32_tolerance: f64,
    ) where
        O: Op<f64, (SMatrix<f64, N, N>,), Output = SMatrix<f64, R2, C2>>
            + Op<f32, (SMatrix<f32, N, N>,), Output = SMatrix<f32, R2, C2>>
            + Clone,
    {
        use crate::diff::testing::{check_unary_with, random, rng};
        use crate::graph::Graph;

        check_unary_with(op.clone(), op.clone(), x, None, f32_tolerance);
        let upstream = random::<R2, C2>(&mut rng(0xD2));
        let loss = |x: &SMatrix<f64, N, N>| {
            let g = Graph::<f64>::new();
            let y = g.apply(op.clone(), (g.var(*x),));
            y.component_mul(g.constant(upstream)).sum().value()[0]
        };
        let g = Graph::<f64>::new();
        let xv = g.var(x);
        let y = g.apply(op.clone(), (xv,));
        let grad = *y.backward_with(upstream).wrt(xv);
        assert_central_differences("x", &x, &grad, loss);
    }

    /// [`check_unary_large`] for ops of two inputs ([`check_binary_with`] without the gradcheck).
    ///
    /// [`check_binary_with`]: crate::diff::testing::check_binary_with
    pub(crate) fn check_binary_large<O, const N: usize, const C: usize>(
        op: O,
        a: SMatrix<f64, N, N>,
        b: SMatrix<f64, N, C>,
        f32_tolerance: f64,
    ) where
        O: Op<f64, (SMatrix<f64, N, N>, SMatrix<f64, N, C>), Output = SMatrix<f64, N, C>>
            + Op<f32, (SMatrix<f32, N, N>, SMatrix<f32, N, C>), Output = SMatrix<f32, N, C>>
            + Clone,
    {
        use crate::diff::testing::{check_binary_with, random, rng};
        use crate::graph::Graph;

        check_binary_with(op.clone(), op.clone(), a, b, None, f32_tolerance);
        let upstream = random::<N, C>(&mut rng(0xD3));
        let loss = |a: &SMatrix<f64, N, N>, b: &SMatrix<f64, N, C>| {
            let g = Graph::<f64>::new();
            let y = g.apply(op.clone(), (g.var(*a), g.var(*b)));
            y.component_mul(g.constant(upstream)).sum().value()[0]
        };
        let g = Graph::<f64>::new();
        let (av, bv) = (g.var(a), g.var(b));
        let grads = g.apply(op.clone(), (av, bv)).backward_with(upstream);
        assert_central_differences("a", &a, grads.wrt(av), |a| loss(a, &b));
        assert_central_differences("b", &b, grads.wrt(bv), |b| loss(&a, b));
    }

    /// Central differences of `loss` at the corners, the middle and an off-diagonal entry of `x`,
    /// against `grad`, to 1e-6 relative.
    fn assert_central_differences<const R: usize, const C: usize>(
        what: &str,
        x: &SMatrix<f64, R, C>,
        grad: &SMatrix<f64, R, C>,
        loss: impl Fn(&SMatrix<f64, R, C>) -> f64,
    ) {
        let h = 1e-6;
        let entries = [
            (0, 0),
            (R - 1, C - 1),
            (R / 2, C / 2),
            (R - 1, 0),
            (0, C - 1),
            (R / 3, C / 2),
        ];
        for (i, j) in entries {
            let (mut plus, mut minus) = (*x, *x);
            plus[(i, j)] += h;
            minus[(i, j)] -= h;
            let numeric = (loss(&plus) - loss(&minus)) / (2.0 * h);
            let analytic = grad[(i, j)];
            assert!(
                (numeric - analytic).abs() <= 1e-6 * analytic.abs().max(1.0),
                "d{what}[{i}, {j}] = {analytic}, central difference {numeric}"
            );
        }
    }
}
