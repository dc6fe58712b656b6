//! Exact second derivatives and forward-mode Jacobians, through dual-number scalars. Feature
//! `second-order` (on by default; it brings in the crate `num-dual`).
//!
//! A [`Graph`] is generic over its scalar, and the dual numbers of the crate
//! [`num_dual`] (re-exported as `shapegrad::num_dual`) are scalars it accepts. Run on them,
//! the graph's own forward and backward passes carry derivatives along:
//!
//! | what | entry point | scalar | passes | result |
//! |---|---|---|---|---|
//! | M×N Jacobian of f: Rᴺ → Rᴹ, forward mode | [`forward_jacobian`], [`ForwardJacobian`] | `DualSVec64<N>` | 1 forward | `(SVector<M>, SMatrix<M, N>)` |
//! | Hessian-vector product H·v of f: R^(R×C) → R | [`hvp`], [`HessianVectorProduct`] | `Dual64` | 1 forward + 1 backward | `(f64, SMatrix<R, C>, SMatrix<R, C>)` |
//! | N×N Hessian of f: Rᴺ → R | [`hessian`], [`Hessian`] | `DualSVec64<N>` | 1 forward + 1 backward | `(f64, SVector<N>, SMatrix<N, N>)` |
//! | (R·C)×(R·C) Hessian of f: R^(R×C) → R | [`hessian_flat`], [`Hessian<N, R, C>`](Hessian) | `DualSVec64<N>` | 1 forward + 1 backward | `(f64, SMatrix<R, C>, SMatrix<N, N>)` |
//!
//! All are exact (to rounding), f64, with the dimensions in the types. The functions build a
//! graph, evaluate once and drop it; the structs build the graph once and replay it with
//! `at(…)` (a Newton loop, a controller), without rebuilding; they are `Send`, so a control
//! thread can own one.
//!
//! # Writing the function once
//!
//! Write `f` as an ordinary function **generic over the scalar** `T: Real`, taking the input
//! `Var` and returning the output `Var` of the same graph, built from ops (and
//! `x.graph().constant(…)` for constants). Pass it by name: the compiler picks the dual
//! scalar each entry point needs, so you never name a dual type. Call the same function on a
//! `Graph<f64>` for plain values and gradients, or to check against finite differences:
//!
//! ```
//! use nalgebra::{Matrix2, RowVector2, SMatrix, Vector2};
//! use shapegrad::{Graph, Real, Var, jacobian::jacobian, second_order::{forward_jacobian, hessian}};
//!
//! /// The tip of a planar two-link arm (links 1.0 and 0.8) at joint angles q.
//! fn tip<'g, T: Real>(q: Var<'g, T, 2, 1>) -> Var<'g, T, 2, 1> {
//!     let g = q.graph();
//!     let theta = g.constant(Matrix2::new(1.0, 0.0, 1.0, 1.0).cast::<T>()) * q; // (q₀, q₀ + q₁)
//!     let lengths = g.constant(RowVector2::new(1.0, 0.8).cast::<T>());
//!     (lengths * theta.cos()).vstack(lengths * theta.sin()) // (x, y): 2×1
//! }
//!
//! /// ½‖tip(q) − target‖²: the data comes in as an argument.
//! fn cost<'g, T: Real>(q: Var<'g, T, 2, 1>, target: &Vector2<f64>) -> Var<'g, T, 1, 1> {
//!     let error = tip(q) - q.graph().constant(target.cast::<T>());
//!     let half: T = nalgebra::convert(0.5);
//!     error.norm_squared().scale(half)
//! }
//!
//! let q = Vector2::new(0.3, 0.9);
//! let (position, jac): (Vector2<f64>, SMatrix<f64, 2, 2>) = forward_jacobian(tip, q);
//!
//! let g = Graph::<f64>::new(); // the same function on f64: reverse mode agrees
//! let qv = g.var(q);
//! assert_eq!(tip(qv).value(), position);
//! assert!((jacobian(tip(qv), qv) - jac).abs().max() < 1e-15);
//!
//! let target = Vector2::new(1.0, 1.0);
//! let (_, gradient, _) = hessian(|q| cost(q, &target), q); // a closure passes the data
//! assert!((gradient - jac.transpose() * (position - target)).abs().max() < 1e-15);
//!
//! // H = JᵀJ + Σ eᵢ·∇²tipᵢ with e = tip − target: on target, exactly Gauss-Newton's JᵀJ.
//! let (_, _, h) = hessian(|q| cost(q, &position), q);
//! assert!((h - jac.transpose() * jac).abs().max() < 1e-14);
//! ```
//!
//! A function written for `f64` only (`fn f(x: Var<'_, f64, 2, 1>) -> …`) is rejected with
//! "type mismatch in function arguments … expected function signature `for<'g> fn(Var<'g,
//! DualVec<f64, Const<_>>, _, _>) -> _`, found `fn(Var<'_, f64, 2, _>) -> _`": make it generic
//! over `T: Real`.
//!
//! # Constants in generic code
//!
//! Inside `f`, `T` is the graph's scalar, so constants are converted to it:
//!
//! * a scalar: `let k: T = nalgebra::convert(0.8);`, or `T::one()`, `T::zero()`, `T::pi()`;
//! * a matrix of `f64`s: `g.constant(m.cast::<T>())` (with `g = x.graph()`);
//! * data the function needs (weights, a target): make it an argument of the generic
//!   function, `cost<'g, T: Real>(x: Var<'g, T, N, 1>, target: &SVector<f64, N>) -> …`,
//!   converted with `cast` inside, and pass a closure: `hessian(|x| cost(x, &target), x0)`.
//!
//! A closure is compiled for one scalar type: write the closure at each call, as above. A
//! closure kept in a `let` and handed to two entry points (or to an entry point and a
//! `Graph<f64>`) does not compile ("type mismatch in closure arguments", or "one type is
//! more general than the other").
//!
//! Constants carry no derivative (their dual parts are zero); only the input does.
//!
//! # Doing it by hand
//!
//! The entry points are short: a `Graph<Dual64>` whose input holds `x + v·ε` gives H·v in
//! the dual parts of `grads.wrt(x)`. For other combinations (HyperDual64, nested duals for
//! third derivatives, several inputs with directions), build the graph over the dual type
//! yourself:
//!
//! ```
//! use nalgebra::Vector2;
//! use shapegrad::Graph;
//! use shapegrad::num_dual::Dual64;
//!
//! let g = Graph::<Dual64>::new();
//! let (x, v) = (Vector2::new(1.0, 2.0), Vector2::new(1.0, 0.0));
//! let xv = g.var(x.zip_map(&v, Dual64::new)); // x + v·ε
//! let f = xv.component_mul(xv).component_mul(xv).sum(); // Σ x³: H = diag(6x)
//! let grads = f.backward();
//! let hv = grads.wrt(xv).map(|d| d.eps);
//! assert_eq!(hv, Vector2::new(6.0, 0.0));
//! ```
//!
//! # Limits
//!
//! * f64 only (num-dual's f32 duals would work the same way; there are no entry points).
//! * `DualSVec64<N>` stores N + 1 numbers per scalar: the full Hessian and the forward
//!   Jacobian are for small N (tens); for larger inputs use [`hvp`] (2 numbers per scalar),
//!   or reverse mode.
//! * The piecewise ops (`relu`, `abs`, `maximum`, `minimum`, `clamp`) pass on the second
//!   derivative of the branch their first-derivative convention picks; across a kink the
//!   Hessian jumps, and the kink's own curvature is not represented.

mod forward;
mod hessian;
mod hvp;

pub use forward::ForwardJacobian;
pub use hessian::Hessian;
pub use hvp::HessianVectorProduct;

use nalgebra::{SMatrix, SVector};
use num_dual::{Dual64, DualSVec64};

use crate::graph::{Graph, Handle, Var};
use crate::kernels::Real;

/// The M×N Jacobian of f: Rᴺ → Rᴹ at `x` by forward mode: `(f(x), J)`, `J[(i, k)] = ∂fᵢ/∂xₖ`,
/// from a single forward pass over `DualSVec64<N>` scalars. See [`ForwardJacobian`] to replay
/// it at other points without rebuilding the graph.
///
/// ```
/// use nalgebra::{Matrix2x3, SMatrix, Vector3};
/// use shapegrad::{Real, Var, second_order::forward_jacobian};
///
/// fn f<'g, T: Real>(x: Var<'g, T, 3, 1>) -> Var<'g, T, 2, 1> {
///     let w = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
///     x.graph().constant(w.cast::<T>()) * x.tanh()
/// }
///
/// let (_, jac): (_, SMatrix<f64, 2, 3>) = forward_jacobian(f, Vector3::zeros());
/// assert_eq!(jac, Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)); // W·diag(1 − tanh² 0)
/// ```
pub fn forward_jacobian<const N: usize, const M: usize>(
    f: impl for<'g> FnOnce(Var<'g, DualSVec64<N>, N, 1>) -> Var<'g, DualSVec64<N>, M, 1>,
    x: SVector<f64, N>,
) -> (SVector<f64, M>, SMatrix<f64, M, N>) {
    ForwardJacobian::new(f, x).read()
}

/// The Hessian-vector product at `x` along `v`: `(f(x), ∇f(x), H(x)·v)`, exact, from one
/// forward and one backward pass over `Dual64` scalars (forward-over-reverse). `x`, `v`, the
/// gradient and H·v all have the input's shape, vector or matrix. See
/// [`HessianVectorProduct`] to replay it.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{Real, Var, second_order::hvp};
///
/// /// xᵀ·A·x: H = A + Aᵀ.
/// fn quadratic<'g, T: Real>(x: Var<'g, T, 2, 1>, a: &Matrix2<f64>) -> Var<'g, T, 1, 1> {
///     x.transpose() * (x.graph().constant(a.cast::<T>()) * x)
/// }
///
/// let a = Matrix2::new(1.0, 2.0, 0.0, 3.0);
/// let (x, v) = (Vector2::new(0.5, -1.0), Vector2::new(1.0, 1.0));
/// let (_, _, hv) = hvp(|x| quadratic(x, &a), x, v);
/// assert_eq!(hv, (a + a.transpose()) * v);
/// ```
pub fn hvp<const R: usize, const C: usize>(
    f: impl for<'g> FnOnce(Var<'g, Dual64, R, C>) -> Var<'g, Dual64, 1, 1>,
    x: SMatrix<f64, R, C>,
    v: SMatrix<f64, R, C>,
) -> (f64, SMatrix<f64, R, C>, SMatrix<f64, R, C>) {
    HessianVectorProduct::along(f, x, v).read()
}

/// The N×N Hessian at `x`: `(f(x), ∇f(x), H)`, exact, `H[(k, j)] = ∂²f/∂xₖ∂xⱼ`, from one
/// forward and one backward pass over `DualSVec64<N>` scalars. See [`Hessian`] to replay it;
/// [`jacobian::numerical_hessian`](crate::jacobian::numerical_hessian) is the
/// central-difference check.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{Graph, Real, Var, jacobian, second_order::hessian};
///
/// fn f<'g, T: Real>(x: Var<'g, T, 2, 1>) -> Var<'g, T, 1, 1> {
///     x.row(0).sin().component_mul(x.row(1).exp()) // sin x₀ · e^x₁
/// }
///
/// let x = Vector2::new(0.5, -0.25);
/// let (_, _, h) = hessian(f, x);
/// let (s, c, e) = (x[0].sin(), x[0].cos(), x[1].exp());
/// assert!((h - Matrix2::new(-s * e, c * e, c * e, s * e)).abs().max() < 1e-15);
///
/// let g = Graph::<f64>::new(); // the same f on plain f64, against central differences
/// let xv = g.var(x);
/// assert!((jacobian::numerical_hessian(f(xv), xv, 6e-6) - h).abs().max() < 1e-9);
/// ```
pub fn hessian<const N: usize>(
    f: impl for<'g> FnOnce(Var<'g, DualSVec64<N>, N, 1>) -> Var<'g, DualSVec64<N>, 1, 1>,
    x: SVector<f64, N>,
) -> (f64, SVector<f64, N>, SMatrix<f64, N, N>) {
    Hessian::new(f, x).read()
}

/// The Hessian of a function of an R×C matrix, flattened: `(f(X), ∇f(X), H)` with H the
/// (R·C)×(R·C) Hessian of vec(X) in nalgebra's column-major order, X\[r, c\] at index
/// `r + c·R`. `N = R·C` is declared by the result's type and checked by a const assertion
/// when the code is built (`cargo build`, not `cargo check`). The gradient keeps X's shape.
///
/// ```
/// use nalgebra::{Matrix2x3, SMatrix, Vector3};
/// use shapegrad::{Real, Var, second_order::hessian_flat};
///
/// /// ‖W·x‖² for a fixed x: H = 2·(x·xᵀ) ⊗ I₂ in the column-major order of vec(W).
/// fn f<'g, T: Real>(w: Var<'g, T, 2, 3>) -> Var<'g, T, 1, 1> {
///     (w * w.graph().constant(Vector3::new(1.0, 2.0, 3.0).cast::<T>())).norm_squared()
/// }
///
/// let (_, _, h): (_, _, SMatrix<f64, 6, 6>) = hessian_flat(f, Matrix2x3::zeros());
/// let x = Vector3::new(1.0, 2.0, 3.0);
/// assert_eq!(h, (x * x.transpose() * 2.0).kronecker(&nalgebra::Matrix2::identity()));
/// assert_eq!(h[(1, 5)], 2.0 * 1.0 * 3.0); // ∂²f/∂W[1,0]∂W[1,2] = 2·x₀·x₂
/// ```
pub fn hessian_flat<const N: usize, const R: usize, const C: usize>(
    f: impl for<'g> FnOnce(Var<'g, DualSVec64<N>, R, C>) -> Var<'g, DualSVec64<N>, 1, 1>,
    x: SMatrix<f64, R, C>,
) -> (f64, SMatrix<f64, R, C>, SMatrix<f64, N, N>) {
    let () = forward::Directions::<N, R, C>::ASSERT;
    Hessian::<N, R, C>::new_flat(f, x).read()
}

/// A new graph over `T` with the var `x` and `f(x)`, kept by their handles.
fn build<T: Real, const R: usize, const C: usize, const RO: usize, const CO: usize>(
    f: impl for<'g> FnOnce(Var<'g, T, R, C>) -> Var<'g, T, RO, CO>,
    x: SMatrix<T, R, C>,
) -> (Graph<T>, Handle<T, R, C>, Handle<T, RO, CO>) {
    let graph = Graph::new();
    let (x, y) = {
        let x = graph.var(x);
        (x.handle(), f(x).handle())
    };
    (graph, x, y)
}
