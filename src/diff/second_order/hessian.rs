//! The full Hessian in one backward pass: a graph over `DualSVec<F, N>`.

use nalgebra::{SMatrix, SVector};
use num_dual::DualSVec;

use super::Precision;
use super::forward::{jacobian_rows, seeded};
use super::shape::Directions;
use crate::graph::{Graph, Handle, Var};
use crate::kernels::Real;

/// The N×N Hessian at `x`: `(f(x), ∇f(x), H)`, exact, `H[(k, j)] = ∂²f/∂xₖ∂xⱼ`, from one
/// forward and one backward pass over `DualSVec<F, N>` scalars, in the input's precision `F`
/// (`f64` or `f32`). See [`Hessian`] to replay it;
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
/// let x = Vector2::<f64>::new(0.5, -0.25); // the precision: x[0].sin() below needs it
/// let (_, _, h) = hessian(f, x);
/// let (s, c, e) = (x[0].sin(), x[0].cos(), x[1].exp());
/// assert!((h - Matrix2::new(-s * e, c * e, c * e, s * e)).abs().max() < 1e-15);
///
/// let g = Graph::<f64>::new(); // the same f on plain f64, against central differences
/// let xv = g.var(x);
/// assert!((jacobian::numerical_hessian(f(xv), xv, 6e-6) - h).abs().max() < 1e-9);
///
/// let (_, _, h32) = hessian(f, x.cast::<f32>()); // and in f32
/// assert!((h32.cast::<f64>() - h).abs().max() < 1e-6);
/// ```
pub fn hessian<F: Precision, const N: usize>(
    f: impl for<'g> FnOnce(Var<'g, DualSVec<F, N>, N, 1>) -> Var<'g, DualSVec<F, N>, 1, 1>,
    x: SVector<F, N>,
) -> (F, SVector<F, N>, SMatrix<F, N, N>)
where
    DualSVec<F, N>: Real,
{
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
pub fn hessian_flat<F: Precision, const N: usize, const R: usize, const C: usize>(
    f: impl for<'g> FnOnce(Var<'g, DualSVec<F, N>, R, C>) -> Var<'g, DualSVec<F, N>, 1, 1>,
    x: SMatrix<F, R, C>,
) -> (F, SMatrix<F, R, C>, SMatrix<F, N, N>)
where
    DualSVec<F, N>: Real,
{
    let () = Directions::<N, R, C>::ASSERT;
    Hessian::<N, R, C, F>::new_flat(f, x).read()
}

/// The N×N Hessian of a scalar function of an N×1 vector (or of an R×C matrix, N = R·C),
/// exact, in one forward and one backward pass, on a graph built once and replayed.
///
/// The graph's scalar is `DualSVec<F, N>` (`F` = `f64`, the default, or `f32`, taken from
/// the input's type): input entry `k` carries the unit direction eₖ in
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
pub struct Hessian<const N: usize, const R: usize = N, const C: usize = 1, F: Precision = f64>
where
    DualSVec<F, N>: Real,
{
    graph: Graph<DualSVec<F, N>>,
    x: Handle<DualSVec<F, N>, R, C>,
    f: Handle<DualSVec<F, N>, 1, 1>,
}

impl<F: Precision, const N: usize> Hessian<N, N, 1, F>
where
    DualSVec<F, N>: Real,
{
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
        f: impl for<'g> FnOnce(Var<'g, DualSVec<F, N>, N, 1>) -> Var<'g, DualSVec<F, N>, 1, 1>,
        x: SVector<F, N>,
    ) -> Self {
        Self::new_flat(f, x)
    }
}

impl<F: Precision, const N: usize, const R: usize, const C: usize> Hessian<N, R, C, F>
where
    DualSVec<F, N>: Real,
{
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
        f: impl for<'g> FnOnce(Var<'g, DualSVec<F, N>, R, C>) -> Var<'g, DualSVec<F, N>, 1, 1>,
        x: SMatrix<F, R, C>,
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
    pub fn at(&self, x: SMatrix<F, R, C>) -> (F, SMatrix<F, R, C>, SMatrix<F, N, N>) {
        self.graph.at(self.x).set_value(seeded(&x));
        self.read()
    }

    /// `(f(x), ∇f(x), H(x))` at the input's current value.
    pub(super) fn read(&self) -> (F, SMatrix<F, R, C>, SMatrix<F, N, N>) {
        let (x_var, f) = (self.graph.at(self.x), self.graph.at(self.f));
        let grads = f.backward();
        let d_x = grads.wrt(x_var);
        (f.value()[0].re, d_x.map(|d| d.re), jacobian_rows(d_x))
    }
}
