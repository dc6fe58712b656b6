//! The Hessian-vector product by forward-over-reverse: a graph over `Dual64`.

use nalgebra::SMatrix;
use num_dual::Dual64;

use crate::graph::{Graph, Handle, Var};

/// The Hessian-vector product H·v of a scalar function of an R×C matrix (or an N×1 vector),
/// exact, on a graph built once and replayed.
///
/// The graph's scalar is `Dual64`: input entry `k` holds `xₖ + vₖ·ε`. One forward and one
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
pub struct HessianVectorProduct<const R: usize, const C: usize> {
    graph: Graph<Dual64>,
    x: Handle<Dual64, R, C>,
    f: Handle<Dual64, 1, 1>,
}

impl<const R: usize, const C: usize> HessianVectorProduct<R, C> {
    /// Builds the graph of `f` over `Dual64`, with its input at `x` (direction 0).
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
        f: impl for<'g> FnOnce(Var<'g, Dual64, R, C>) -> Var<'g, Dual64, 1, 1>,
        x: SMatrix<f64, R, C>,
    ) -> Self {
        Self::along(f, x, SMatrix::zeros())
    }

    /// Builds the graph with its input at `x` along `v`.
    pub(super) fn along(
        f: impl for<'g> FnOnce(Var<'g, Dual64, R, C>) -> Var<'g, Dual64, 1, 1>,
        x: SMatrix<f64, R, C>,
        v: SMatrix<f64, R, C>,
    ) -> Self {
        let (graph, x, f) = super::build(f, x.zip_map(&v, Dual64::new));
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
        x: SMatrix<f64, R, C>,
        v: SMatrix<f64, R, C>,
    ) -> (f64, SMatrix<f64, R, C>, SMatrix<f64, R, C>) {
        self.graph.at(self.x).set_value(x.zip_map(&v, Dual64::new));
        self.read()
    }

    /// `(f(x), ∇f(x), H(x)·v)` at the input's current value and direction.
    pub(super) fn read(&self) -> (f64, SMatrix<f64, R, C>, SMatrix<f64, R, C>) {
        let (x_var, f) = (self.graph.at(self.x), self.graph.at(self.f));
        let grads = f.backward();
        let d_x = grads.wrt(x_var);
        (f.value()[0].re, d_x.map(|d| d.re), d_x.map(|d| d.eps))
    }
}
