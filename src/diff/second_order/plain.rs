//! Derivatives of plain functions: no graph, only nalgebra arithmetic on dual scalars.
//!
//! A function `fn value<T: Real>(x: &SMatrix<T, R, C>) -> SMatrix<T, RO, CO>` — written by
//! hand with nalgebra, or generated from a graph by `codegen` — runs on any scalar, dual
//! numbers included. These entry points pick the dual type, seed the input, call the function
//! once (`hvp_of_fn`: once per input entry) and read the derivatives out of the result.

use nalgebra::{Const, SMatrix, SVector, U1};
use num_dual::{Dual, Dual2SVec, DualSVec, HyperDual};

use super::Precision;
use super::forward::{jacobian_rows, seeded};
use super::shape::{Directions, FlatJacobian};
use crate::kernels::Real;

/// The directional derivative of f at `x` along `v`: `(f(x), J·v)`, J·v of f's value shape,
/// exact, from one evaluation of the plain function `f` on `Dual<F>` scalars (input entry
/// `k` holds `xₖ + vₖ·ε`). Any shapes in and out; `F` is `f64` or `f32`, taken from `x`.
///
/// Applied to a gradient function (hand-written, or a generated `gradient`), this is the
/// Hessian-vector product by forward over reverse: H·v in one evaluation.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{Real, second_order::jvp_of_fn};
///
/// /// (x₀·x₁, x₀²): J = [[x₁, x₀], [2x₀, 0]].
/// fn f<T: Real>(x: &Vector2<T>) -> Vector2<T> {
///     Vector2::new(x[0] * x[1], x[0] * x[0])
/// }
///
/// let (x, v) = (Vector2::new(3.0, 2.0), Vector2::new(1.0, -1.0));
/// let (y, jv) = jvp_of_fn(f, x, v);
/// assert_eq!((y, jv), (f(&x), Matrix2::new(2.0, 3.0, 6.0, 0.0) * v));
/// ```
pub fn jvp_of_fn<F: Precision, const R: usize, const C: usize, const RO: usize, const CO: usize>(
    f: impl FnOnce(&SMatrix<Dual<F>, R, C>) -> SMatrix<Dual<F>, RO, CO>,
    x: SMatrix<F, R, C>,
    v: SMatrix<F, R, C>,
) -> (SMatrix<F, RO, CO>, SMatrix<F, RO, CO>)
where
    Dual<F>: Real,
{
    let y = f(&x.zip_map(&v, Dual::new));
    (y.map(|y| y.re), y.map(|y| y.eps))
}

/// The M×N Jacobian of the plain function f: Rᴺ → Rᴹ at `x` by forward mode: `(f(x), J)`,
/// `J[(i, k)] = ∂fᵢ/∂xₖ`, from one evaluation on `DualSVec<F, N>` scalars (input entry `k`
/// carries the unit direction eₖ). The plain-function counterpart of
/// [`forward_jacobian`](super::forward_jacobian); `F` is `f64` or `f32`, taken from `x`.
///
/// ```
/// use nalgebra::{Matrix2x3, Vector2, Vector3};
/// use shapegrad::{Real, second_order::jacobian_of_fn};
///
/// /// The tip of a planar 3-link arm (links 1.0, 0.8, 0.5), no graph.
/// fn tip<T: Real>(q: &Vector3<T>) -> Vector2<T> {
///     let mut theta = T::zero();
///     let mut tip = Vector2::zeros();
///     for (l, q_i) in [1.0, 0.8, 0.5].into_iter().zip(q.iter()) {
///         theta += *q_i;
///         let l: T = nalgebra::convert(l);
///         tip += Vector2::new(theta.cos(), theta.sin()) * l;
///     }
///     tip
/// }
///
/// let (position, jac) = jacobian_of_fn(tip, Vector3::new(0.0, 0.0, 0.0));
/// assert_eq!(position, Vector2::new(2.3, 0.0));
/// assert_eq!(jac, Matrix2x3::new(0.0, 0.0, 0.0, 2.3, 1.3, 0.5)); // ∂y/∂qⱼ = Σ_{i ≥ j} lᵢ
///
/// let (_, jac32) = jacobian_of_fn(tip, Vector3::<f32>::zeros()); // the same tip in f32
/// assert_eq!(jac32, Matrix2x3::new(0.0, 0.0, 0.0, 2.3, 1.3, 0.5));
/// ```
pub fn jacobian_of_fn<F: Precision, const N: usize, const M: usize>(
    f: impl FnOnce(&SVector<DualSVec<F, N>, N>) -> SVector<DualSVec<F, N>, M>,
    x: SVector<F, N>,
) -> (SVector<F, M>, SMatrix<F, M, N>)
where
    DualSVec<F, N>: Real,
{
    let y = f(&seeded(&x));
    (y.map(|y| y.re), jacobian_rows(&y))
}

/// The flat (RO·CO)×(R·C) Jacobian of the plain function f: R^(R×C) → R^(RO×CO) at `x`,
/// by forward mode: `(f(X), J)` with `J[(i + j·RO, k + l·R)] = ∂f(X)[i,j]/∂X[k,l]`
/// (nalgebra's column-major order, as [`forward_jacobian_flat`](super::forward_jacobian_flat)).
/// `M = RO·CO` and `N = R·C` are declared by the result's type and checked by const
/// assertions when the code is built. One evaluation on `DualSVec<F, N>` scalars.
///
/// ```
/// use nalgebra::{Matrix2, Matrix2x3, Matrix3x2, SMatrix};
/// use shapegrad::{Real, second_order::jacobian_of_fn_flat};
///
/// /// Y = W·X: 3×2 → 2×2, so the flat Jacobian is I₂ ⊗ W.
/// fn f<T: Real>(x: &Matrix3x2<T>) -> Matrix2<T> {
///     Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0).cast::<T>() * x
/// }
///
/// let (_, jac): (_, SMatrix<f64, 4, 6>) = jacobian_of_fn_flat(f, Matrix3x2::repeat(1.0));
/// let w = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// assert_eq!(jac, Matrix2::identity().kronecker(&w));
/// ```
pub fn jacobian_of_fn_flat<
    F: Precision,
    const M: usize,
    const N: usize,
    const R: usize,
    const C: usize,
    const RO: usize,
    const CO: usize,
>(
    f: impl FnOnce(&SMatrix<DualSVec<F, N>, R, C>) -> SMatrix<DualSVec<F, N>, RO, CO>,
    x: SMatrix<F, R, C>,
) -> (SMatrix<F, RO, CO>, SMatrix<F, M, N>)
where
    DualSVec<F, N>: Real,
{
    let () = FlatJacobian::<M, N, R, C, RO, CO>::ASSERT;
    let y = f(&seeded(&x));
    (y.map(|y| y.re), jacobian_rows(&y))
}

/// The N×N Hessian of the plain scalar function f: Rᴺ → R (its value a 1×1 matrix) at `x`:
/// `(f(x), ∇f(x), H)`, exact, `H[(k, j)] = ∂²f/∂xₖ∂xⱼ`, from one evaluation on
/// `Dual2SVec<F, N>` scalars (forward over forward: each scalar carries its value, its N
/// first and N² second derivatives). The plain-function counterpart of
/// [`hessian`](super::hessian), which needs the graph's backward pass and carries N + 1
/// numbers per scalar; with a gradient function at hand, [`jacobian_of_fn`] of the gradient
/// is the Hessian at that cost too (see [the module](super)).
///
/// ```
/// use nalgebra::{Matrix1, Matrix2, Vector2};
/// use shapegrad::{Real, second_order::hessian_of_fn};
///
/// /// Rosenbrock: (1 − x₀)² + 100·(x₁ − x₀²)².
/// fn rosenbrock<T: Real>(x: &Vector2<T>) -> Matrix1<T> {
///     let hundred: T = nalgebra::convert(100.0);
///     let (a, b) = (x[0], x[1]);
///     Matrix1::new((T::one() - a).powi(2) + (b - a * a).powi(2) * hundred)
/// }
///
/// let (value, gradient, h) = hessian_of_fn(rosenbrock, Vector2::new(1.0, 1.0));
/// assert_eq!((value, gradient), (0.0, Vector2::zeros()));
/// assert_eq!(h, Matrix2::new(802.0, -400.0, -400.0, 200.0));
/// ```
pub fn hessian_of_fn<F: Precision, const N: usize>(
    f: impl FnOnce(&SVector<Dual2SVec<F, N>, N>) -> SMatrix<Dual2SVec<F, N>, 1, 1>,
    x: SVector<F, N>,
) -> (F, SVector<F, N>, SMatrix<F, N, N>)
where
    Dual2SVec<F, N>: Real,
{
    hessian_of_fn_flat(f, x)
}

/// The Hessian of the plain scalar function f of an R×C matrix, flattened: `(f(X), ∇f(X),
/// H)` with H the (R·C)×(R·C) Hessian of vec(X), X\[r, c\] at index `r + c·R` (as
/// [`hessian_flat`](super::hessian_flat)); the gradient keeps X's shape. `N = R·C` is
/// declared by the result's type and checked by a const assertion when the code is built.
/// One evaluation on `Dual2SVec<F, N>` scalars (1 + N + N² numbers each).
///
/// ```
/// use nalgebra::{Matrix1, Matrix2, SMatrix};
/// use shapegrad::{Real, second_order::hessian_of_fn_flat};
///
/// /// Σ X[r,c]³: the flat Hessian is diag(6·vec(X)).
/// fn f<T: Real>(x: &Matrix2<T>) -> Matrix1<T> {
///     Matrix1::new(x.map(|x| x * x * x).sum())
/// }
///
/// let (_, _, h): (_, _, SMatrix<f64, 4, 4>) =
///     hessian_of_fn_flat(f, Matrix2::new(1.0, 2.0, 3.0, 4.0));
/// assert_eq!(h.diagonal().as_slice(), &[6.0, 18.0, 12.0, 24.0]); // X[0,0], X[1,0], X[0,1], X[1,1]
/// ```
pub fn hessian_of_fn_flat<F: Precision, const N: usize, const R: usize, const C: usize>(
    f: impl FnOnce(&SMatrix<Dual2SVec<F, N>, R, C>) -> SMatrix<Dual2SVec<F, N>, 1, 1>,
    x: SMatrix<F, R, C>,
) -> (F, SMatrix<F, R, C>, SMatrix<F, N, N>)
where
    Dual2SVec<F, N>: Real,
{
    let () = Directions::<N, R, C>::ASSERT;
    let seeded = SMatrix::from_fn(|r, c| Dual2SVec::from_re(x[(r, c)]).derivative(r + c * R));
    let y = f(&seeded)[0];
    let gradient = y.v1.unwrap_generic(U1, Const::<N>);
    let hessian = y.v2.unwrap_generic(Const::<N>, Const::<N>);
    (y.re, SMatrix::from_fn(|r, c| gradient[r + c * R]), hessian)
}

/// The Hessian-vector product of the plain scalar function f of an R×C matrix (or N×1
/// vector) at `x` along `v`: `(f(x), ∇f(x), H(x)·v)`, exact, all of the input's shape (as
/// [`hvp`](super::hvp)). From only the function's value this takes R·C evaluations of `f` on
/// `HyperDual<F>` scalars (four numbers each): evaluation `k` seeds `xₖ + ε₁ + vₖ·ε₂`, whose
/// `ε₁ε₂` part is `(H·v)ₖ`. With a gradient function, [`jvp_of_fn`] of the gradient gives
/// H·v from one evaluation.
///
/// ```
/// use nalgebra::{Matrix1, Matrix2, Vector2};
/// use shapegrad::{Real, second_order::hvp_of_fn};
///
/// /// x₀²·x₁: H = [[2x₁, 2x₀], [2x₀, 0]].
/// fn f<T: Real>(x: &Vector2<T>) -> Matrix1<T> {
///     Matrix1::new(x[0] * x[0] * x[1])
/// }
///
/// let (x, v) = (Vector2::new(3.0, 2.0), Vector2::new(1.0, -1.0));
/// let (value, gradient, hv) = hvp_of_fn(f, x, v);
/// assert_eq!((value, gradient), (18.0, Vector2::new(12.0, 9.0)));
/// assert_eq!(hv, Matrix2::new(4.0, 6.0, 6.0, 0.0) * v);
/// ```
pub fn hvp_of_fn<F: Precision, const R: usize, const C: usize>(
    mut f: impl FnMut(&SMatrix<HyperDual<F>, R, C>) -> SMatrix<HyperDual<F>, 1, 1>,
    x: SMatrix<F, R, C>,
    v: SMatrix<F, R, C>,
) -> (F, SMatrix<F, R, C>, SMatrix<F, R, C>)
where
    HyperDual<F>: Real,
{
    let (zero, one) = (F::zero(), F::one());
    let mut input = x.zip_map(&v, |x, v| HyperDual::new(x, zero, v, zero));
    let mut value = None;
    let (mut gradient, mut hv) = (SMatrix::zeros(), SMatrix::zeros());
    for k in 0..R * C {
        input[k].eps1 = one;
        let y = f(&input)[0];
        input[k].eps1 = zero;
        (gradient[k], hv[k], value) = (y.eps1, y.eps1eps2, Some(y.re));
    }
    let value = value.unwrap_or_else(|| f(&input)[0].re); // an input with no entries
    (value, gradient, hv)
}
