//! The full Hessian in one backward pass: a graph over `DualSVec64<N>`.

use nalgebra::{Const, SMatrix, SVector, U1};
use num_dual::DualSVec64;

use super::forward::{Directions, seeded};
use crate::graph::{Graph, Handle, Var};

/// The N×N Hessian of a scalar function of an N×1 vector (or of an R×C matrix, N = R·C),
/// exact, in one forward and one backward pass, on a graph built once and replayed.
///
/// The graph's scalar is `DualSVec64<N>`: input entry `k` carries the unit direction eₖ in
/// its N dual parts, so the backward pass differentiates the gradient along all N directions
/// at once: the dual parts of gradient entry `k` are row `k` of the Hessian,
/// `H[(k, j)] = ∂(∂f/∂xₖ)/∂xⱼ`. The cost is one gradient step on scalars N + 1 times as wide
/// (against 2N gradients for central differences,
/// [`jacobian::numerical_hessian`](crate::jacobian::numerical_hessian)); for large inputs use
/// [`HessianVectorProduct`](super::HessianVectorProduct) instead.
/// [`hessian`](super::hessian) and [`hessian_flat`](super::hessian_flat) are the one-shot
/// forms.
///
/// `Hessian<N>` is for an N×1 input. For an R×C matrix input, `Hessian<N, R, C>` with
/// `N = R·C` (checked by a const assertion when the code is built) is the Hessian of vec(X),
/// in nalgebra's column-major order: X\[r, c\] is index `r + c·R`. The result is returned as
/// computed, not symmetrised (it is symmetric to rounding).
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{Real, Var, second_order::Hessian};
///
/// /// Rosenbrock: (1 − x₀)² + 100·(x₁ − x₀²)².
/// fn rosenbrock<'g, T: Real>(x: Var<'g, T, 2, 1>) -> Var<'g, T, 1, 1> {
///     let (a, b) = (x.row(0), x.row(1));
///     let hundred: T = nalgebra::convert(100.0);
///     (-a).add_scalar(T::one()).square() + (b - a.square()).square().scale(hundred)
/// }
///
/// let hessian = Hessian::new(rosenbrock, Vector2::zeros()); // built once
/// let (value, gradient, h) = hessian.at(Vector2::new(1.0, 1.0)); // the minimum
/// assert_eq!((value, gradient), (0.0, Vector2::zeros()));
/// assert_eq!(h, Matrix2::new(802.0, -400.0, -400.0, 200.0));
/// ```
pub struct Hessian<const N: usize, const R: usize = N, const C: usize = 1> {
    graph: Graph<DualSVec64<N>>,
    x: Handle<DualSVec64<N>, R, C>,
    f: Handle<DualSVec64<N>, 1, 1>,
}

impl<const N: usize> Hessian<N> {
    /// Builds the graph of `f` (of an N×1 input) over dual scalars, with its input at `x`.
    ///
    /// ```
    /// use nalgebra::{Matrix3, Vector3};
    /// use shapegrad::second_order::Hessian;
    ///
    /// let hessian = Hessian::new(|x| x.norm_squared(), Vector3::zeros());
    /// assert_eq!(hessian.at(Vector3::new(1.0, 2.0, 3.0)).2, Matrix3::identity() * 2.0);
    /// ```
    pub fn new(
        f: impl for<'g> FnOnce(Var<'g, DualSVec64<N>, N, 1>) -> Var<'g, DualSVec64<N>, 1, 1>,
        x: SVector<f64, N>,
    ) -> Self {
        Self::new_flat(f, x)
    }
}

impl<const N: usize, const R: usize, const C: usize> Hessian<N, R, C> {
    /// Builds the graph of `f` of an R×C matrix; `N = R·C` is declared with the type
    /// (`Hessian<N, R, C>`) and checked by a const assertion when the code is built.
    ///
    /// ```
    /// use nalgebra::{Matrix2, SMatrix};
    /// use shapegrad::second_order::Hessian;
    ///
    /// // f(X) = Σ X[r,c]³: the flat Hessian is diag(6·vec(X)), column-major.
    /// let hessian: Hessian<4, 2, 2> = Hessian::new_flat(|x| x.powi(3).sum(), Matrix2::zeros());
    /// let (_, _, h) = hessian.at(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// assert_eq!(h.diagonal().as_slice(), &[6.0, 18.0, 12.0, 24.0]); // X[0,0], X[1,0], X[0,1], X[1,1]
    /// // let bad: Hessian<3, 2, 2> = Hessian::new_flat(…); // fails `cargo build`: 3 ≠ 2·2
    /// ```
    pub fn new_flat(
        f: impl for<'g> FnOnce(Var<'g, DualSVec64<N>, R, C>) -> Var<'g, DualSVec64<N>, 1, 1>,
        x: SMatrix<f64, R, C>,
    ) -> Self {
        let () = Directions::<N, R, C>::ASSERT;
        let (graph, x, f) = super::build(f, seeded(&x));
        Hessian { graph, x, f }
    }

    /// `(f(x), ∇f(x), H(x))`: the value, the gradient in the input's shape and the N×N
    /// Hessian (of vec(X) for a matrix input), from one forward and one backward replay.
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    /// use shapegrad::second_order::Hessian;
    ///
    /// let hessian = Hessian::new(|x| x.component_mul(x).sum().exp(), Vector2::zeros());
    /// let (value, gradient, h) = hessian.at(Vector2::zeros()); // e^(x·x) at 0: H = 2I
    /// assert_eq!((value, gradient, h), (1.0, Vector2::zeros(), Matrix2::identity() * 2.0));
    /// ```
    pub fn at(&self, x: SMatrix<f64, R, C>) -> (f64, SMatrix<f64, R, C>, SMatrix<f64, N, N>) {
        self.graph.at(self.x).set_value(seeded(&x));
        self.read()
    }

    /// `(f(x), ∇f(x), H(x))` at the input's current value.
    pub(super) fn read(&self) -> (f64, SMatrix<f64, R, C>, SMatrix<f64, N, N>) {
        let (x_var, f) = (self.graph.at(self.x), self.graph.at(self.f));
        let grads = f.backward();
        let d_x = grads.wrt(x_var);
        let mut hessian = SMatrix::<f64, N, N>::zeros();
        for (k, d) in d_x.iter().enumerate() {
            hessian.set_row(k, &d.eps.unwrap_generic(Const::<N>, U1).transpose());
        }
        (f.value()[0].re, d_x.map(|d| d.re), hessian)
    }
}
