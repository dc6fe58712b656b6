//! The forward-mode Jacobian: a graph over `DualSVec<F, N>`, run forward only.

use nalgebra::{Const, SMatrix, SVector, U1};
use num_dual::DualSVec;

use super::Precision;
use super::shape::FlatJacobian;
use crate::graph::{Graph, Handle, Var};
use crate::kernels::Real;

/// The M×N Jacobian of f: Rᴺ → Rᴹ at `x` by forward mode: `(f(x), J)`, `J[(i, k)] = ∂fᵢ/∂xₖ`,
/// from a single forward pass over `DualSVec<F, N>` scalars, in the input's precision `F`
/// (`f64` or `f32`). See [`ForwardJacobian`] to replay it at other points without rebuilding
/// the graph, and [`forward_jacobian_flat`] for matrix-shaped inputs and outputs.
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
///
/// let (_, jac) = forward_jacobian(f, Vector3::<f32>::zeros()); // the same f, in f32
/// assert_eq!(jac, Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// ```
pub fn forward_jacobian<F: Precision, const N: usize, const M: usize>(
    f: impl for<'g> FnOnce(Var<'g, DualSVec<F, N>, N, 1>) -> Var<'g, DualSVec<F, N>, M, 1>,
    x: SVector<F, N>,
) -> (SVector<F, M>, SMatrix<F, M, N>)
where
    DualSVec<F, N>: Real,
{
    ForwardJacobian::new(f, x).read()
}

/// The Jacobian of f: R^(R×C) → R^(RO×CO) by forward mode, flattened: `(f(X), J)` with J
/// the (RO·CO)×(R·C) Jacobian of vec(f(X)) with respect to vec(X), both in nalgebra's
/// column-major order: `J[(i + j·RO, k + l·R)] = ∂f(X)[i,j]/∂X[k,l]` (the order of
/// [`MatrixJacobian::flatten`](crate::jacobian::MatrixJacobian::flatten)). `M = RO·CO` and
/// `N = R·C` are declared by the result's type and checked by const assertions when the code
/// is built (`cargo build`, not `cargo check`). One forward pass over `DualSVec<F, N>`.
///
/// A control sequence of 20 steps of 2 inputs is a 20×2 matrix: its Jacobian needs no
/// reshaping inside the function.
///
/// ```
/// use nalgebra::{Matrix2, Matrix2x3, Matrix3x2, SMatrix};
/// use shapegrad::{Real, Var, second_order::forward_jacobian_flat};
///
/// /// Y = W·X: 3×2 → 2×2, so the flat Jacobian is I₂ ⊗ W (4×6).
/// fn f<'g, T: Real>(x: Var<'g, T, 3, 2>) -> Var<'g, T, 2, 2> {
///     let w = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
///     x.graph().constant(w.cast::<T>()) * x
/// }
///
/// let (y, jac): (_, SMatrix<f64, 4, 6>) = forward_jacobian_flat(f, Matrix3x2::repeat(1.0));
/// let w = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// assert_eq!(y, w * Matrix3x2::repeat(1.0));
/// assert_eq!(jac, Matrix2::identity().kronecker(&w));
/// assert_eq!(jac[(1, 2)], 6.0); // ∂Y[1,0]/∂X[2,0] = W[1,2]: row 1 + 0·2, column 2 + 0·3
/// ```
pub fn forward_jacobian_flat<
    F: Precision,
    const M: usize,
    const N: usize,
    const R: usize,
    const C: usize,
    const RO: usize,
    const CO: usize,
>(
    f: impl for<'g> FnOnce(Var<'g, DualSVec<F, N>, R, C>) -> Var<'g, DualSVec<F, N>, RO, CO>,
    x: SMatrix<F, R, C>,
) -> (SMatrix<F, RO, CO>, SMatrix<F, M, N>)
where
    DualSVec<F, N>: Real,
{
    let () = FlatJacobian::<M, N, R, C, RO, CO>::ASSERT;
    ForwardJacobian::<N, M, R, C, RO, CO, F>::new_flat(f, x).read()
}

/// The M×N Jacobian of f: Rᴺ → Rᴹ by forward mode, on a graph built once and replayed; or,
/// as `ForwardJacobian<N, M, R, C, RO, CO>`, the flat (RO·CO)×(R·C) Jacobian of a function of
/// an R×C matrix with an RO×CO value ([`new_flat`](Self::new_flat)).
///
/// The graph's scalar is `DualSVec<F, N>`: input entry `k` (column-major) carries the unit
/// direction eₖ in its N dual parts, so after one forward pass the dual parts of output entry
/// `i` are row `i` of the Jacobian (JAX's `jacfwd`). No backward pass; the cost is one forward
/// pass on scalars N + 1 times as wide. Prefer it to reverse mode
/// ([`jacobian`](crate::jacobian::jacobian), M backward passes) when N is small (a robot's
/// joints). [`forward_jacobian`](super::forward_jacobian) and
/// [`forward_jacobian_flat`](super::forward_jacobian_flat) are the one-shot forms.
///
/// `F` is the precision, `f64` (the default) or `f32`, taken from the input's type. `f` is
/// written once, generic over the scalar (see [the module](super)); it is called once, in
/// [`ForwardJacobian::new`].
///
/// ```
/// use nalgebra::{Matrix2x3, SMatrix, Vector2, Vector3};
/// use shapegrad::{Real, Var, second_order::ForwardJacobian};
///
/// /// (x₀·x₁, sin x₂): R³ → R².
/// fn f<'g, T: Real>(x: Var<'g, T, 3, 1>) -> Var<'g, T, 2, 1> {
///     let product = x.row(0).component_mul(x.row(1));
///     product.vstack(x.row(2).sin())
/// }
///
/// let jac = ForwardJacobian::new(f, Vector3::zeros()); // built once
/// for x in [Vector3::new(2.0, 3.0, 0.0), Vector3::new(1.0, -1.0, 0.5)] {
///     let (y, j): (Vector2<f64>, SMatrix<f64, 2, 3>) = jac.at(x); // replayed
///     assert_eq!(y, Vector2::new(x[0] * x[1], x[2].sin()));
///     assert_eq!(j, Matrix2x3::new(x[1], x[0], 0.0, 0.0, 0.0, x[2].cos()));
/// }
/// ```
pub struct ForwardJacobian<
    const N: usize,
    const M: usize,
    const R: usize = N,
    const C: usize = 1,
    const RO: usize = M,
    const CO: usize = 1,
    F: Precision = f64,
> where
    DualSVec<F, N>: Real,
{
    graph: Graph<DualSVec<F, N>>,
    x: Handle<DualSVec<F, N>, R, C>,
    y: Handle<DualSVec<F, N>, RO, CO>,
}

impl<F: Precision, const N: usize, const M: usize> ForwardJacobian<N, M, N, 1, M, 1, F>
where
    DualSVec<F, N>: Real,
{
    /// Builds the graph of `f` (of an N×1 input) over dual scalars, with its input at `x`.
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// let jac = shapegrad::second_order::ForwardJacobian::new(|x| x.sin(), Vector2::zeros());
    /// assert_eq!(jac.at(Vector2::zeros()).1, nalgebra::Matrix2::<f64>::identity()); // diag(cos 0)
    /// ```
    pub fn new(
        f: impl for<'g> FnOnce(Var<'g, DualSVec<F, N>, N, 1>) -> Var<'g, DualSVec<F, N>, M, 1>,
        x: SVector<F, N>,
    ) -> Self {
        Self::new_flat(f, x)
    }
}

impl<
    F: Precision,
    const N: usize,
    const M: usize,
    const R: usize,
    const C: usize,
    const RO: usize,
    const CO: usize,
> ForwardJacobian<N, M, R, C, RO, CO, F>
where
    DualSVec<F, N>: Real,
{
    /// Builds the graph of `f` of an R×C matrix with an RO×CO value; `N = R·C` and
    /// `M = RO·CO` are declared with the type (`ForwardJacobian<N, M, R, C, RO, CO>`) and
    /// checked by const assertions when the code is built.
    ///
    /// ```
    /// use nalgebra::{Matrix2, SMatrix};
    /// use shapegrad::second_order::ForwardJacobian;
    ///
    /// // Y = X ∘ X (2×2): the flat Jacobian is diag(2·vec(X)), column-major.
    /// let jac: ForwardJacobian<4, 4, 2, 2, 2, 2> =
    ///     ForwardJacobian::new_flat(|x| x.component_mul(x), Matrix2::zeros());
    /// let (_, j) = jac.at(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// assert_eq!(j, SMatrix::<f64, 4, 4>::from_diagonal(&[2.0, 6.0, 4.0, 8.0].into()));
    /// // let bad: ForwardJacobian<3, 4, 2, 2, 2, 2> = …; // fails `cargo build`: 3 ≠ 2·2
    /// ```
    pub fn new_flat(
        f: impl for<'g> FnOnce(Var<'g, DualSVec<F, N>, R, C>) -> Var<'g, DualSVec<F, N>, RO, CO>,
        x: SMatrix<F, R, C>,
    ) -> Self {
        let () = FlatJacobian::<M, N, R, C, RO, CO>::ASSERT;
        let (graph, x, y) = super::build(f, seeded(&x));
        ForwardJacobian { graph, x, y }
    }

    /// `(f(x), J(x))`: the value (RO×CO: M×1 for a vector function) and the M×N Jacobian,
    /// `J[(i, k)] = ∂fᵢ/∂xₖ` (of vec(f(X)) and vec(X) for matrices), from one forward replay.
    ///
    /// ```
    /// use nalgebra::{Matrix1x2, Vector2};
    /// use shapegrad::second_order::ForwardJacobian;
    ///
    /// let jac = ForwardJacobian::new(|x| x.norm(), Vector2::zeros());
    /// let (norm, gradient) = jac.at(Vector2::new(3.0, 4.0));
    /// assert_eq!(norm[0], 5.0);
    /// assert!((gradient - Matrix1x2::new(0.6, 0.8)).abs().max() < 1e-15); // xᵀ/‖x‖
    /// ```
    pub fn at(&self, x: SMatrix<F, R, C>) -> (SMatrix<F, RO, CO>, SMatrix<F, M, N>) {
        self.graph.at(self.x).set_value(seeded(&x));
        self.read()
    }

    /// `(f(x), J(x))` at the input's current value.
    pub(super) fn read(&self) -> (SMatrix<F, RO, CO>, SMatrix<F, M, N>) {
        let y = self.graph.at(self.y).value();
        (y.map(|y_i| y_i.re), jacobian_rows(&y))
    }
}

/// The M×N matrix whose row `i` holds the N dual parts of `y`'s entry `i` (column-major).
pub(super) fn jacobian_rows<
    F: Precision,
    const N: usize,
    const M: usize,
    const R: usize,
    const C: usize,
>(
    y: &SMatrix<DualSVec<F, N>, R, C>,
) -> SMatrix<F, M, N>
where
    DualSVec<F, N>: Real,
{
    let mut jac = SMatrix::<F, M, N>::zeros();
    for (i, y_i) in y.iter().enumerate() {
        jac.set_row(i, &y_i.eps.unwrap_generic(Const::<N>, U1).transpose());
    }
    jac
}

/// `x` with entry `k` (column-major) carrying the unit direction eₖ in its dual parts. The
/// callers check `N = R·C` by their own const assertion (which names their rule).
pub(super) fn seeded<F: Precision, const N: usize, const R: usize, const C: usize>(
    x: &SMatrix<F, R, C>,
) -> SMatrix<DualSVec<F, N>, R, C>
where
    DualSVec<F, N>: Real,
{
    SMatrix::from_fn(|r, c| DualSVec::from_re(x[(r, c)]).derivative(r + c * R))
}
