//! The forward-mode Jacobian: a graph over `DualSVec64<N>`, run forward only.

use nalgebra::{Const, SMatrix, SVector, U1};
use num_dual::DualSVec64;

use crate::contract::shape::{Message, fail};
use crate::graph::{Graph, Handle, Var};

/// The M×N Jacobian of f: Rᴺ → Rᴹ by forward mode, on a graph built once and replayed.
///
/// The graph's scalar is `DualSVec64<N>`: input entry `k` carries the unit direction eₖ in
/// its N dual parts, so after one forward pass the dual parts of output entry `i` are row `i`
/// of the Jacobian (JAX's `jacfwd`). No backward pass; the cost is one forward pass on
/// scalars N + 1 times as wide. Prefer it to reverse mode
/// ([`jacobian`](crate::jacobian::jacobian), M backward passes) when N is small (a robot's
/// joints). [`forward_jacobian`](super::forward_jacobian) is the one-shot form.
///
/// `f` is written once, generic over the scalar (see [the module](super)); it is called once,
/// in [`ForwardJacobian::new`].
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
pub struct ForwardJacobian<const N: usize, const M: usize> {
    graph: Graph<DualSVec64<N>>,
    x: Handle<DualSVec64<N>, N, 1>,
    y: Handle<DualSVec64<N>, M, 1>,
}

impl<const N: usize, const M: usize> ForwardJacobian<N, M> {
    /// Builds the graph of `f` over dual scalars, with its input at `x`.
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// let jac = shapegrad::second_order::ForwardJacobian::new(|x| x.sin(), Vector2::zeros());
    /// assert_eq!(jac.at(Vector2::zeros()).1, nalgebra::Matrix2::identity()); // diag(cos 0)
    /// ```
    pub fn new(
        f: impl for<'g> FnOnce(Var<'g, DualSVec64<N>, N, 1>) -> Var<'g, DualSVec64<N>, M, 1>,
        x: SVector<f64, N>,
    ) -> Self {
        let (graph, x, y) = super::build(f, seeded(&x));
        ForwardJacobian { graph, x, y }
    }

    /// `(f(x), J(x))`: the value (M×1) and the M×N Jacobian, `J[(i, k)] = ∂fᵢ/∂xₖ`, from one
    /// forward replay.
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
    pub fn at(&self, x: SVector<f64, N>) -> (SVector<f64, M>, SMatrix<f64, M, N>) {
        self.graph.at(self.x).set_value(seeded(&x));
        self.read()
    }

    /// `(f(x), J(x))` at the input's current value.
    pub(super) fn read(&self) -> (SVector<f64, M>, SMatrix<f64, M, N>) {
        let y = self.graph.at(self.y).value();
        let mut jac = SMatrix::<f64, M, N>::zeros();
        for (i, y_i) in y.iter().enumerate() {
            jac.set_row(i, &y_i.eps.unwrap_generic(Const::<N>, U1).transpose());
        }
        (y.map(|y_i| y_i.re), jac)
    }
}

/// `x` with entry `k` (column-major) carrying the unit direction eₖ in its dual parts.
pub(super) fn seeded<const N: usize, const R: usize, const C: usize>(
    x: &SMatrix<f64, R, C>,
) -> SMatrix<DualSVec64<N>, R, C> {
    let () = Directions::<N, R, C>::ASSERT;
    SMatrix::from_fn(|r, c| DualSVec64::from_re(x[(r, c)]).derivative(r + c * R))
}

/// The rule of a flat Hessian: N directions, one per entry of the R×C input, N = R·C.
/// Evaluated when the code is built, by the public entry points too (so the note points at the
/// caller's line); the message leads with the numbers.
pub(super) struct Directions<const N: usize, const R: usize, const C: usize>;

impl<const N: usize, const R: usize, const C: usize> Directions<N, R, C> {
    pub(super) const ASSERT: () = if N != R * C {
        fail(Self::message())
    };

    const fn message() -> Message {
        Message::new("second_order: a ")
            .shape(R, C)
            .text(" input has ")
            .number(R * C)
            .text(" entries, so its flat Hessian is ")
            .shape(R * C, R * C)
            .text(", not ")
            .shape(N, N)
            .text(" (N = R·C)")
    }
}
