//! Exact second derivatives and forward-mode Jacobians, through dual-number scalars, in `f64`
//! or `f32`. Feature `second-order` (on by default; it brings in the crate `num-dual`).
//!
//! Dual numbers (the crate [`num_dual`], re-exported as `shapegrad::num_dual`) are scalars
//! that carry derivatives along through ordinary arithmetic. Two kinds of function run on
//! them, and each kind has its family of entry points:
//!
//! * **a graph function** `fn f<'g, T: Real>(x: Var<'g, T, R, C>) -> Var<'g, T, RO, CO>`,
//!   built from ops: the graph's own forward and backward passes run on dual scalars;
//! * **a plain function** `fn f<T: Real>(x: &SMatrix<T, R, C>) -> SMatrix<T, RO, CO>`,
//!   nalgebra arithmetic with no graph — written by hand, or a function `codegen` generated
//!   from a graph: it runs on dual scalars as it is (the `…_of_fn` entry points).
//!
//! | what | graph function: one shot; built once, replayed | plain function | dual scalar | cost |
//! |---|---|---|---|---|
//! | M×N Jacobian of Rᴺ → Rᴹ | [`forward_jacobian`]; [`ForwardJacobian::new`] | [`jacobian_of_fn`] | `DualSVec<F, N>` | 1 forward pass |
//! | (RO·CO)×(R·C) Jacobian of R^(R×C) → R^(RO×CO) | [`forward_jacobian_flat`]; [`ForwardJacobian::new_flat`] | [`jacobian_of_fn_flat`] | `DualSVec<F, N>` | 1 forward pass |
//! | J·v, any shapes | — | [`jvp_of_fn`] | `Dual<F>` | 1 forward pass |
//! | H·v of R^(R×C) → R | [`hvp`]; [`HessianVectorProduct`] | [`hvp_of_fn`] | `Dual<F>`; plain: `HyperDual<F>` | 1 forward + 1 backward; plain: R·C forward |
//! | N×N Hessian of Rᴺ → R | [`hessian`]; [`Hessian::new`] | [`hessian_of_fn`] | `DualSVec<F, N>`; plain: `Dual2SVec<F, N>` | 1 forward + 1 backward; plain: 1 forward |
//! | (R·C)×(R·C) Hessian of R^(R×C) → R | [`hessian_flat`]; [`Hessian::new_flat`] | [`hessian_of_fn_flat`] | as above | as above |
//!
//! The results are `(value, derivatives)` — `(f(x), J)`, `(f(x), ∇f(x), H)`,
//! `(f(x), ∇f(x), H·v)` — exact (to rounding), with the dimensions in the types. A gradient
//! and H·v have the input's shape. The one-shot graph functions build a graph, evaluate once
//! and drop it; the structs build the graph once and replay it with `at(…)` (a Newton loop, a
//! controller) without rebuilding and without allocating; they are `Send`, so a control
//! thread can own one. A plain function has no graph to keep: each call evaluates it once
//! (`hvp_of_fn`: once per input entry).
//!
//! # Precision: `f64` or `f32`
//!
//! Every entry point computes in the precision `F` of its input ([`Precision`]: `f64` or
//! `f32`) — `DualSVec<f32, N>`, `Dual<f32>`, … — and returns results of that precision. The
//! structs take `F` as their last parameter, `f64` by default (`ForwardJacobian<3, 2>` is
//! the `f64` one).
//!
//! The precision is inferred from the input, so where nothing fixes the input's type the
//! compiler asks for it: an input made only with `zeros()`, or literals whose scalar is used
//! before anything else decides it (`let x = Vector2::new(0.5, 1.0); hessian(f, x);` then
//! `x[0].sin()` or `value.abs()` gives "can't call method `sin` on ambiguous numeric type
//! `{float}`"). Name it once: `Vector2::<f64>::new(0.5, 1.0)`, `Vector3::<f64>::zeros()`.
//!
//! # Matrix-shaped inputs and outputs: nalgebra's column-major order
//!
//! An input may be any R×C matrix: a control sequence of 20 steps of 2 inputs is a 20×2
//! `Var` (or `SMatrix`), with no reshaping inside the function. Gradients and H·v keep its
//! shape. The `…_flat` entry points flatten the rest in nalgebra's storage order,
//! column-major: X\[k, l\] of an R×C input is direction `k + l·R`, Y\[i, j\] of an RO×CO
//! value is Jacobian row `i + j·RO` — `J[(i + j·RO, k + l·R)] = ∂Y[i,j]/∂X[k,l]`,
//! `H[(k + l·R, k' + l'·R)] = ∂²f/∂X[k,l]∂X[k',l']` — the order of `as_slice()`,
//! `SMatrix::from_column_slice` and `Var::reshape`. `N = R·C` and `M = RO·CO` are declared
//! by the result's type (stable Rust cannot compute R·C in a type) and checked by const
//! assertions when the code is built (`cargo build`; `cargo check` does not evaluate them).
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
//! # Plain functions, generated code
//!
//! The `…_of_fn` entry points take a plain function generic over the scalar, with the
//! signature `codegen` gives its generated `value` (`fn value<T: Real>(q: &SMatrix<T, N, 1>)
//! -> SMatrix<T, M, 1>`), and need no graph. With only the value, [`jacobian_of_fn`] is
//! forward mode and [`hessian_of_fn`] forward over forward. With a gradient as well —
//! written by hand, or a generated module's `vjp` seeded with 1
//! (`|x| m::vjp(x, &Matrix1::identity()).1`) — the Hessian is the forward Jacobian of the
//! gradient and H·v its directional derivative (forward over reverse: N + 1 and 2 numbers
//! per scalar, against 1 + N + N² for forward over forward):
//!
//! ```
//! use nalgebra::{Matrix1, Vector2};
//! use shapegrad::Real;
//! use shapegrad::second_order::{hessian_of_fn, jacobian_of_fn, jvp_of_fn};
//!
//! /// The tip of the two-link arm again, as a plain function: no graph.
//! fn tip<T: Real>(q: &Vector2<T>) -> Vector2<T> {
//!     let (l0, l1): (T, T) = (nalgebra::convert(1.0), nalgebra::convert(0.8));
//!     let (a, b) = (q[0], q[0] + q[1]);
//!     Vector2::new(l0 * a.cos() + l1 * b.cos(), l0 * a.sin() + l1 * b.sin())
//! }
//!
//! /// ½‖tip(q) − target‖², a 1×1 value.
//! fn cost<T: Real>(q: &Vector2<T>, target: &Vector2<f64>) -> Matrix1<T> {
//!     let half: T = nalgebra::convert(0.5);
//!     Matrix1::new((tip(q) - target.cast::<T>()).norm_squared() * half)
//! }
//!
//! /// Its gradient Jᵀ·(tip − target), by hand: the role of a generated gradient.
//! fn gradient<T: Real>(q: &Vector2<T>, target: &Vector2<f64>) -> Vector2<T> {
//!     let (l0, l1): (T, T) = (nalgebra::convert(1.0), nalgebra::convert(0.8));
//!     let (a, b) = (q[0], q[0] + q[1]);
//!     let e = tip(q) - target.cast::<T>();
//!     let d_b = -l1 * b.sin() * e[0] + l1 * b.cos() * e[1];
//!     Vector2::new(-l0 * a.sin() * e[0] + l0 * a.cos() * e[1] + d_b, d_b)
//! }
//!
//! let (q, target) = (Vector2::new(0.3, 0.9), Vector2::new(1.0, 1.0));
//! let (position, jac) = jacobian_of_fn(tip, q); // one evaluation on DualSVec<f64, 2>
//! let (_, grad, h) = hessian_of_fn(|q| cost(q, &target), q); // forward over forward
//! assert!((grad - jac.transpose() * (position - target)).amax() < 1e-15);
//!
//! let (grad_too, h_too) = jacobian_of_fn(|q| gradient(q, &target), q); // forward over reverse
//! assert!((grad_too - grad).amax() < 1e-15 && (h_too - h).amax() < 1e-14);
//! let v = Vector2::new(1.0, -1.0);
//! let (_, hv) = jvp_of_fn(|q| gradient(q, &target), q, v); // H·v, one evaluation
//! assert!((hv - h * v).amax() < 1e-14);
//!
//! let (_, jac32) = jacobian_of_fn(tip, q.cast::<f32>()); // the same tip in f32
//! assert!((jac32.cast::<f64>() - jac).amax() < 1e-6);
//! ```
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
//! * `DualSVec<F, N>` stores N + 1 numbers per scalar: the full Hessian and the forward
//!   Jacobian are for small N (tens); for larger inputs use [`hvp`] (2 numbers per scalar),
//!   or reverse mode. `Dual2SVec<F, N>` ([`hessian_of_fn`]) stores 1 + N + N²: prefer the
//!   forward Jacobian of a gradient function when there is one.
//! * `f32` results carry `f32` rounding: about 1e-7 relative per operation, so a Jacobian or
//!   Hessian agrees with the `f64` one to some 1e-6 relative on well-conditioned functions
//!   (`tests/integration/second_order_f32.rs` states the bounds it checks, and why).
//! * `f64` and `f32` only: a dual number of dual numbers (third derivatives) is not a
//!   [`Precision`]; build such a graph by hand, as above.
//! * The piecewise ops (`relu`, `abs`, `maximum`, `minimum`, `clamp`) pass on the second
//!   derivative of the branch their first-derivative convention picks; across a kink the
//!   Hessian jumps, and the kink's own curvature is not represented.

mod forward;
mod hessian;
mod hvp;
mod plain;
mod shape;

pub use forward::{ForwardJacobian, forward_jacobian, forward_jacobian_flat};
pub use hessian::{Hessian, hessian, hessian_flat};
pub use hvp::{HessianVectorProduct, hvp};
pub use plain::{
    hessian_of_fn, hessian_of_fn_flat, hvp_of_fn, jacobian_of_fn, jacobian_of_fn_flat, jvp_of_fn,
};

use nalgebra::SMatrix;

use crate::graph::{Graph, Handle, Var};
use crate::kernels::Real;

/// The precision the entry points compute in: `f64` or `f32` (the real parts and the
/// derivative parts of their dual numbers, and their results). Taken from the input's type;
/// implemented for both, and you never implement it.
///
/// Generic code over the precision repeats the bound the entry point states on the dual
/// type (for example `DualSVec<F, N>: Real`): it holds for `f64` and `f32`.
///
/// ```
/// use nalgebra::{SMatrix, Vector3};
/// use shapegrad::num_dual::DualSVec;
/// use shapegrad::second_order::{Precision, forward_jacobian};
/// use shapegrad::{Real, Var};
///
/// fn f<'g, T: Real>(x: Var<'g, T, 3, 1>) -> Var<'g, T, 1, 1> {
///     x.norm_squared()
/// }
///
/// /// The gradient of ‖x‖² by forward mode, in either precision.
/// fn gradient<F: Precision>(x: Vector3<F>) -> SMatrix<F, 1, 3>
/// where
///     DualSVec<F, 3>: Real,
/// {
///     forward_jacobian(f, x).1
/// }
///
/// assert_eq!(gradient(Vector3::new(1.0, 2.0, 3.0)).transpose(), Vector3::new(2.0, 4.0, 6.0));
/// assert_eq!(gradient(Vector3::new(1.0f32, 2.0, 3.0))[2], 6.0f32);
/// ```
pub trait Precision: Real + num_dual::DualNumFloat {}

impl<F: Real + num_dual::DualNumFloat> Precision for F {}

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
