//! The Hessian-vector product by forward-over-reverse: a graph over `Dual<F>`.

use nalgebra::SMatrix;
use num_dual::Dual;

use super::Precision;
use crate::graph::{Graph, Handle, Var};
use crate::kernels::Real;

/// The Hessian-vector product at `x` along `v`: `(f(x), ∇f(x), H(x)·v)`, exact, from one
/// forward and one backward pass over `Dual<F>` scalars (forward-over-reverse), in the
/// input's precision `F` (`f64` or `f32`). `x`, `v`, the gradient and H·v all have the
/// input's shape, vector or matrix. See [`HessianVectorProduct`] to replay it.
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
pub fn hvp<F: Precision, const R: usize, const C: usize>(
    f: impl for<'g> FnOnce(Var<'g, Dual<F>, R, C>) -> Var<'g, Dual<F>, 1, 1>,
    x: SMatrix<F, R, C>,
    v: SMatrix<F, R, C>,
) -> (F, SMatrix<F, R, C>, SMatrix<F, R, C>)
where
    Dual<F>: Real,
{
    HessianVectorProduct::along(f, x, v).read()
}

/// The Hessian-vector product H·v of a scalar function of an R×C matrix (or an N×1 vector),
/// exact, on a graph built once and replayed.
///
/// The graph's scalar is `Dual<F>` (`F` = `f64`, the default, or `f32`, taken from the
/// input's type): input entry `k` holds `xₖ + vₖ·ε`. One forward and one
/// backward pass then give the gradient in the real parts of the input's gradient and, in
/// its dual parts, the derivative of the gradient along `v`: H·v (forward-over-reverse, as
/// JAX's `jvp(grad(f))`). The cost is one gradient step on scalars twice as wide; H itself
/// is never formed, so this works for inputs of any size. [`hvp`](super::hvp) is the
/// one-shot form.
///
/// `v` and H·v have the input's shape: for a matrix input, `(H·v)[(r, c)]` is
/// `Σ ∂²f/∂X[r,c]∂X[k,l] · v[(k, l)]`, the flat Hessian of vec(X) (column-major, as
/// [`hessian_flat`](super::hessian_flat)) applied to vec(v) and reshaped back.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{Real, Var, second_order::HessianVectorProduct};
///
/// /// f(x) = x₀²·x₁: H = [[2x₁, 2x₀], [2x₀, 0]].
/// fn f<'g, T: Real>(x: Var<'g, T, 2, 1>) -> Var<'g, T, 1, 1> {
///     x.row(0).square().component_mul(x.row(1))
/// }
///
/// let x = Vector2::new(3.0, 2.0);
/// let hvp = HessianVectorProduct::new(f, x); // built once
/// let hessian = Matrix2::new(4.0, 6.0, 6.0, 0.0);
/// for v in [Vector2::x(), Vector2::y(), Vector2::new(1.0, -1.0)] {
///     let (value, gradient, hv) = hvp.at(x, v); // replayed
///     assert_eq!((value, gradient), (18.0, Vector2::new(12.0, 9.0)));
///     assert_eq!(hv, hessian * v);
/// }
/// ```
pub struct HessianVectorProduct<const R: usize, const C: usize, F: Precision = f64>
where
    Dual<F>: Real,
{
    graph: Graph<Dual<F>>,
    x: Handle<Dual<F>, R, C>,
    f: Handle<Dual<F>, 1, 1>,
}

impl<F: Precision, const R: usize, const C: usize> HessianVectorProduct<R, C, F>
where
    Dual<F>: Real,
{
    /// Builds the graph of `f` over `Dual<F>`, with its input at `x` (direction 0).
    ///
    /// ```
    /// use nalgebra::Vector3;
    /// use shapegrad::second_order::HessianVectorProduct;
    ///
    /// let hvp = HessianVectorProduct::new(|x| x.norm_squared(), Vector3::zeros()); // H = 2I
    /// let v = Vector3::new(1.0, 2.0, 3.0);
    /// assert_eq!(hvp.at(Vector3::zeros(), v).2, v * 2.0);
    /// ```
    pub fn new(
        f: impl for<'g> FnOnce(Var<'g, Dual<F>, R, C>) -> Var<'g, Dual<F>, 1, 1>,
        x: SMatrix<F, R, C>,
    ) -> Self {
        Self::along(f, x, SMatrix::zeros())
    }

    /// Builds the graph with its input at `x` along `v`.
    pub(super) fn along(
        f: impl for<'g> FnOnce(Var<'g, Dual<F>, R, C>) -> Var<'g, Dual<F>, 1, 1>,
        x: SMatrix<F, R, C>,
        v: SMatrix<F, R, C>,
    ) -> Self {
        let (graph, x, f) = super::build(f, x.zip_map(&v, Dual::new));
        HessianVectorProduct { graph, x, f }
    }

    /// `(f(x), ∇f(x), H(x)·v)`, from one forward and one backward replay; the gradient and
    /// H·v have the input's shape.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// use shapegrad::second_order::HessianVectorProduct;
    ///
    /// let hvp = HessianVectorProduct::new(|x| x.sin(), Matrix1::new(0.0));
    /// let (value, gradient, hv) = hvp.at(Matrix1::new(0.5), Matrix1::new(2.0));
    /// assert_eq!((value, gradient[0], hv[0]), (0.5_f64.sin(), 0.5_f64.cos(), -2.0 * 0.5_f64.sin()));
    /// ```
    pub fn at(
        &self,
        x: SMatrix<F, R, C>,
        v: SMatrix<F, R, C>,
    ) -> (F, SMatrix<F, R, C>, SMatrix<F, R, C>) {
        self.graph.at(self.x).set_value(x.zip_map(&v, Dual::new));
        self.read()
    }

    /// `(f(x), ∇f(x), H(x)·v)` at the input's current value and direction.
    pub(super) fn read(&self) -> (F, SMatrix<F, R, C>, SMatrix<F, R, C>) {
        let (x_var, f) = (self.graph.at(self.x), self.graph.at(self.f));
        let grads = f.backward();
        let d_x = grads.wrt(x_var);
        (f.value()[0].re, d_x.map(|d| d.re), d_x.map(|d| d.eps))
    }
}
