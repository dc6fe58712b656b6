//! Jacobians, Jacobian products and Hessians, with the dimensions in the types.
//!
//! The notes list four scenarios. For f: Rᴺ → Rᴹ the Jacobian is M×N (one row per output, one
//! column per input); the gradient of a scalar is the special case M = 1, read in the input's
//! own shape by [`Gradients::wrt`](crate::Gradients::wrt). Everything here works on a built
//! graph: [`jacobian`] runs one backward pass per output entry (seeded with that entry's unit
//! matrix, see [`Var::backward_with`]) on the same nodes, without rebuilding anything and without
//! allocating per pass. The numerical counterparts replay the graph with a nudged leaf
//! ([`Var::set_value`]) and restore it afterwards.
//!
//! | what | reverse mode (exact), passes | central differences, passes |
//! |---|---|---|
//! | Jacobian, N×1 → M×1 | [`jacobian`]: M backward | [`numerical_jacobian`]: 2N forward |
//! | Jacobian w.r.t. (x₁, x₂) or (x₁, x₂, x₃) | [`jacobian`] with a tuple: M backward, a tuple of blocks ([`side_by_side`] joins them) | [`numerical_jacobian`] per var |
//! | Jacobian, Ri×Ci → Ro×Co | [`matrix_jacobian`]: Ro·Co backward | [`numerical_matrix_jacobian`]: 2·Ri·Ci forward |
//! | uᵀ·J (VJP) | [`vjp`]: 1 backward | — |
//! | J·v (JVP) | [`jvp_reverse_mode`]: Ro·Co backward | [`jvp_central_difference`]: 2 forward |
//! | Hessian, N×1 → 1×1 | [`second_order::hessian`]: 1 forward + 1 backward on dual scalars | [`numerical_hessian`]: 2N forward + 2N backward |
//!
//! Forward mode (the Jacobian from one forward pass, H·v, exact Hessians) runs the graph on
//! dual-number scalars: see [`second_order`] (feature `second-order`). The names say which is
//! which: `numerical_…` and `…_central_difference` are finite differences, `jvp_reverse_mode`
//! is exact but costs as much as the whole Jacobian, and the exact Hessian lives in
//! `second_order`. (`hessian` and `jvp`, the old names of [`numerical_hessian`] and
//! [`jvp_reverse_mode`], still work and are deprecated.)
//!
//! [`jacobian_check`] compares the analytic and numerical Jacobians and reports the worst entry.
//!
//! # 1. Scalar → scalar: the derivative is a scalar
//!
//! ```
//! use nalgebra::Matrix1;
//! use shapegrad::{Graph, jacobian::jacobian};
//!
//! let g = Graph::<f64>::new();
//! let x = g.var(Matrix1::new(2.0));
//! let y = x.component_mul(x).component_mul(x); // x³
//! assert_eq!(jacobian(y, x), Matrix1::new(12.0)); // 3x², a 1×1 Jacobian
//! assert_eq!(y.backward().wrt(x)[0], 12.0);      // the same, as a gradient
//! ```
//!
//! # 2. Vector → scalar: the gradient is a vector
//!
//! The gradient has the input's shape (N×1); the Jacobian is its transpose (1×N).
//!
//! ```
//! use nalgebra::{RowVector3, Vector3};
//! use shapegrad::{Graph, jacobian::jacobian};
//!
//! let g = Graph::<f64>::new();
//! let x = g.var(Vector3::new(1.0, -2.0, 3.0));
//! let loss = x.component_mul(x).sum(); // |x|²
//! let d_x: Vector3<f64> = *loss.backward().wrt(x);
//! assert_eq!(d_x, Vector3::new(2.0, -4.0, 6.0));
//! let jac: RowVector3<f64> = jacobian(loss, x);
//! assert_eq!(jac, d_x.transpose());
//! ```
//!
//! # 3. Vector → vector: the Jacobian is M×N
//!
//! For f: R³ → R², the Jacobian is 2×3 (not "2×2"); the type annotation is the shape assertion.
//!
//! ```
//! use nalgebra::{Matrix2x3, SMatrix, Vector3};
//! use shapegrad::{Graph, jacobian::{jacobian, numerical_jacobian}};
//!
//! let g = Graph::<f64>::new();
//! let w = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
//! let x = g.var(Vector3::new(0.5, -1.0, 2.0));
//! let y = g.constant(w) * x; // y = W·x: R³ → R²
//! let jac: SMatrix<f64, 2, 3> = jacobian(y, x);
//! assert_eq!(jac, w); // ∂(W·x)/∂x = W
//! assert!((numerical_jacobian(y, x, 1e-6) - w).abs().max() < 1e-8);
//! ```
//!
//! # 4. Matrix → matrix: a four-index object
//!
//! `∂Y[i,j]/∂X[k,l]` for Y: Ro×Co and X: Ri×Ci is a [`MatrixJacobian`]. It can be flattened to
//! (Ro·Co)×(Ri·Ci) in nalgebra's column-major order: the row of `Y[i,j]` is `i + j·Ro`, the column
//! of `X[k,l]` is `k + l·Ri` (so for Y = W·X the flat Jacobian is the Kronecker product I ⊗ W).
//! Stable Rust cannot compute Ro·Co in a type, so the flat shape is declared by the caller (the
//! type annotation) and checked by const assertions, which fail at `cargo build`.
//!
//! ```
//! use nalgebra::{Matrix2, Matrix2x3, Matrix3x2, SMatrix};
//! use shapegrad::{Graph, jacobian::matrix_jacobian};
//!
//! let g = Graph::<f64>::new();
//! let w = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
//! let x = g.var(Matrix3x2::repeat(1.0));
//! let y = g.constant(w) * x; // Y = W·X: 3×2 → 2×2
//! let jac = matrix_jacobian(y, x);
//! assert_eq!(jac.get(1, 0, 2, 0), 6.0); // ∂Y[1,0]/∂X[2,0] = W[1,2]
//! assert_eq!(jac.get(1, 0, 2, 1), 0.0); // Y's column 0 ignores X's column 1
//! let flat: SMatrix<f64, 4, 6> = jac.flatten();
//! assert_eq!(flat, Matrix2::identity().kronecker(&w));
//! ```
#![cfg_attr(
    feature = "second-order",
    doc = "",
    doc = "[`second_order`]: crate::second_order",
    doc = "[`second_order::hessian`]: crate::second_order::hessian"
)]
#![cfg_attr(
    not(feature = "second-order"),
    doc = "",
    doc = "[`second_order`]: crate#features",
    doc = "[`second_order::hessian`]: crate#features"
)]

mod compare;
mod matrix;
mod numerical;
mod products;
mod several;

pub use compare::{JacobianEntry, JacobianReport, compare, jacobian_check};
pub use matrix::MatrixJacobian;
#[allow(deprecated)]
pub use numerical::hessian;
pub use numerical::{
    jvp_central_difference, numerical_hessian, numerical_jacobian, numerical_matrix_jacobian,
};
#[allow(deprecated)]
pub use products::jvp;
pub(crate) use products::vjp_named;
pub use products::{jvp_reverse_mode, vjp};
pub use several::{Blocks, side_by_side};

use nalgebra::SMatrix;

use crate::graph::{Graph, Var};
use crate::kernels::Real;

/// The M×N Jacobian ∂y/∂x of a column vector `y` (M×1) with respect to a column vector `x`
/// (N×1) of the same graph, by reverse mode: row `i` is the gradient of `y[i]`, from one backward
/// pass seeded with the unit vector eᵢ. M backward passes on the same graph, no allocation.
///
/// `x` may be a leaf ([`Graph::var`]) or an intermediate value that needs a gradient; entries
/// of `y` that do not depend on `x` give zero rows. For matrices, see [`matrix_jacobian`].
///
/// ```
/// use nalgebra::{Matrix3, SMatrix, Vector3};
/// use shapegrad::{Graph, jacobian::jacobian};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Vector3::new(1.0, -2.0, 3.0));
/// let y = x.component_mul(x); // x∘x
/// let jac: SMatrix<f64, 3, 3> = jacobian(y, x);
/// assert_eq!(jac, Matrix3::from_diagonal(&(x.value() * 2.0))); // diag(2x)
///
/// x.set_value(Vector3::new(0.5, 0.0, -1.0)); // replay at another point: no rebuild
/// assert_eq!(jacobian(y, x), Matrix3::from_diagonal(&Vector3::new(1.0, 0.0, -2.0)));
/// ```
///
/// **Several vars at once.** With a tuple of two or three column vectors as `x`, the result
/// is the tuple of blocks, `(∂y/∂x₁, ∂y/∂x₂)`, each M×Nᵢ, from the same M backward passes (a
/// linearisation `x' ≈ A·x + B·u` in one call); [`side_by_side`] joins them into one M×(N₁ +
/// N₂) matrix:
///
/// ```
/// use nalgebra::{Matrix2, SMatrix, Vector1, Vector2};
/// use shapegrad::{Graph, jacobian::{jacobian, side_by_side}};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Vector2::new(0.3, -0.2)); // state
/// let u = g.var(Vector1::new(0.5)); // input
/// let next = x + (x.sin() + g.constant(Vector2::new(0.0, 1.0)) * u).scale(0.1);
/// let (a, b): (Matrix2<f64>, SMatrix<f64, 2, 1>) = jacobian(next, (x, u));
/// assert_eq!(b, SMatrix::<f64, 2, 1>::new(0.0, 0.1));
/// let expected_a = Matrix2::new(1.0 + 0.1 * 0.3f64.cos(), 0.0, 0.0, 1.0 + 0.1 * 0.2f64.cos());
/// assert!((a - expected_a).amax() < 1e-15);
/// let ab: SMatrix<f64, 2, 3> = side_by_side((a, b)); // [A B]
/// assert_eq!(ab.column(2), b.column(0));
/// ```
///
/// The signature is generic over the two arguments (through [`JacobianOf`], implemented only
/// for column vectors and tuples of them) so that the Jacobian's shape is read from the arguments, never the
/// other way round: a transposed annotation such as `let j: SMatrix<f64, 4, 2> =
/// jacobian(tip, q)` for a 2×1 `tip` and a 4×1 `q` is reported at the annotation ("expected
/// `4`, found `2`", `SMatrix<f64, 2, 4>` found), not as two wrong arguments that rustc would
/// suggest swapping (`jacobian(q, tip)` would compile, and this function rejects it when
/// run; see Panics). See `ui-tests/jacobian_annotated_transposed.rs`.
///
/// # Panics
/// If `y` was recorded before `x` (so it cannot depend on it: the arguments are swapped), if
/// `x` has no gradient (a constant, or computed from constants only), if `x` and `y` belong
/// to different graphs, or if a [`Gradients`](crate::Gradients) of this graph is still alive.
/// The message names both vars and points at the caller's line.
#[track_caller]
pub fn jacobian<Y: JacobianOf<X>, X>(y: Y, x: X) -> Y::Matrix {
    y.jacobian_wrt(x)
}

/// `Y: JacobianOf<X>` holds when `Y` and `X` are column vectors of one graph and scalar type,
/// `Var<'g, T, M, 1>` and `Var<'g, T, N, 1>`; the Jacobian is then `SMatrix<T, M, N>`. For a
/// tuple of two or three such vars, `(Var<'g, T, N1, 1>, Var<'g, T, N2, 1>)`, it is the tuple
/// of blocks `(SMatrix<T, M, N1>, SMatrix<T, M, N2>)` (see [`jacobian`]). It is what
/// [`jacobian`]'s signature reads the shape from; you never implement it.
#[diagnostic::on_unimplemented(
    message = "`jacobian(y, x)` takes column vectors of one graph and scalar type, the output first, and as `x` one vector or a tuple of two or three; it was given `{Self}` and `{X}`",
    label = "not a column vector of the other's graph and scalar type",
    note = "for matrices, use `matrix_jacobian(y, x)`, whose result has all four dimensions"
)]
pub trait JacobianOf<X>: sealed::Sealed {
    /// `SMatrix<T, M, N>`.
    type Matrix;

    #[doc(hidden)]
    #[track_caller]
    fn jacobian_wrt(self, x: X) -> Self::Matrix;
}

mod sealed {
    pub trait Sealed {}
}

impl<T: Real, const M: usize> sealed::Sealed for Var<'_, T, M, 1> {}

impl<'g, T: Real, const M: usize, const N: usize> JacobianOf<Var<'g, T, N, 1>>
    for Var<'g, T, M, 1>
{
    type Matrix = SMatrix<T, M, N>;

    #[track_caller]
    fn jacobian_wrt(self, x: Var<'g, T, N, 1>) -> SMatrix<T, M, N> {
        let mut jac = SMatrix::<T, M, N>::zeros();
        each_output_gradient("jacobian", self, x, |i, _, d_x| {
            jac.set_row(i, &d_x.transpose())
        });
        jac
    }
}

/// [`jacobian`] of a function written against the graph builder, at `x`: builds a graph with the
/// leaf `x`, applies `f`, and runs M backward passes.
///
/// `f` must work for a graph of any lifetime; a closure does, without annotations.
///
/// ```
/// use nalgebra::{Matrix2x3, Vector3};
/// use shapegrad::jacobian::jacobian_of;
///
/// let w = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// let jac = jacobian_of(|x| x.graph().constant(w) * x.relu(), Vector3::new(1.0, -1.0, 1.0));
/// assert_eq!(jac, Matrix2x3::new(1.0, 0.0, 3.0, 4.0, 0.0, 6.0)); // W·diag([x > 0])
/// ```
pub fn jacobian_of<T: Real, const M: usize, const N: usize>(
    f: impl for<'g> FnOnce(Var<'g, T, N, 1>) -> Var<'g, T, M, 1>,
    x: SMatrix<T, N, 1>,
) -> SMatrix<T, M, N> {
    let graph = Graph::new();
    let x = graph.var(x);
    jacobian(f(x), x)
}

/// The Jacobian of a matrix function, `∂Y[i,j]/∂X[k,l]` for `y`: Ro×Co and `x`: Ri×Ci, by
/// reverse mode: one backward pass per entry of `y`, each giving `∂Y[i,j]/∂X` in `x`'s shape.
///
/// Read entries with [`MatrixJacobian::get`], or flatten it to (Ro·Co)×(Ri·Ci) with
/// [`MatrixJacobian::flatten`] (column-major, see there).
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, jacobian::matrix_jacobian};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let jac = matrix_jacobian(x.transpose(), x); // Y = Xᵀ: 2×3 → 3×2
/// assert_eq!(jac.get(2, 1, 1, 2), 1.0); // Y[2,1] is X[1,2]
/// assert_eq!(jac.get(2, 1, 0, 2), 0.0);
/// assert_eq!(*jac.gradient(0, 1), Matrix2x3::new(0.0, 0.0, 0.0, 1.0, 0.0, 0.0));
/// ```
///
/// # Panics
/// As [`jacobian`].
#[track_caller]
pub fn matrix_jacobian<
    'g,
    T: Real,
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
>(
    y: Var<'g, T, RO, CO>,
    x: Var<'g, T, RI, CI>,
) -> MatrixJacobian<T, RO, CO, RI, CI> {
    let mut jac = MatrixJacobian::zeros();
    each_output_gradient("matrix_jacobian", y, x, |i, j, d_x| {
        *jac.gradient_mut(i, j) = *d_x
    });
    jac
}

/// Runs one backward pass of `y` per entry (i, j), column by column, seeded with that entry's
/// unit matrix, and hands ∂Y[i,j]/∂X to `f`. `what` names the public function in messages.
#[track_caller]
pub(crate) fn each_output_gradient<
    'g,
    T: Real,
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
>(
    what: &str,
    y: Var<'g, T, RO, CO>,
    x: Var<'g, T, RI, CI>,
    mut f: impl FnMut(usize, usize, &SMatrix<T, RI, CI>),
) {
    output_after_input(what, y, x);
    for j in 0..CO {
        for i in 0..RO {
            let mut seed = SMatrix::<T, RO, CO>::zeros();
            seed[(i, j)] = T::one();
            let grads = y.backward_with(seed);
            f(i, j, gradient_of(what, &grads, x));
        }
    }
}

/// Panics, at the caller's line, unless `y` and `x` are vars of one graph and `y` was recorded
/// after `x` (or is `x`): a var recorded before `x` cannot depend on it, so the call has its
/// output and input swapped.
#[track_caller]
pub(crate) fn output_after_input<
    T: Real,
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
>(
    what: &str,
    y: Var<'_, T, RO, CO>,
    x: Var<'_, T, RI, CI>,
) {
    assert!(
        std::ptr::eq(y.graph(), x.graph()),
        "shapegrad: {what}(y, x) was given vars of two different graphs: y = {}, x = {}",
        y.label(),
        x.label()
    );
    assert!(
        y.id() >= x.id(),
        "shapegrad: {what}(y, x) was given the output y = {} recorded before the input x = {}, \
         so y cannot depend on x: are the arguments swapped? The output comes first: \
         {what}(output, input)",
        y.label(),
        x.label()
    );
}

#[track_caller]
pub(crate) fn gradient_of<'a, 'g, T: Real, const R: usize, const C: usize>(
    what: &str,
    grads: &'a crate::graph::Gradients<'g, T>,
    x: Var<'g, T, R, C>,
) -> &'a SMatrix<T, R, C> {
    match grads.get(x) {
        Some(d_x) => d_x,
        None => panic!(
            "shapegrad: {what}(y, x) was asked with respect to {}, which has no gradient (a \
             constant, or computed from constants only); make it a Graph::var",
            x.label()
        ),
    }
}
