//! Central-difference Jacobians, Jacobian-vector products and Hessians, by replaying a graph
//! with a nudged leaf.

use nalgebra::SMatrix;

use super::{MatrixJacobian, output_after_input, vjp_named};
use crate::graph::Var;
use crate::kernels::Real;

/// The M×N Jacobian of `y` (M×1) with respect to the leaf `x` (N×1) by central differences:
/// column `k` is `(y(x + h·eₖ) − y(x − h·eₖ)) / 2h`. 2N forward replays of the graph, error
/// O(h²) (plus rounding, O(ε/h)); `x` is restored afterwards. The counterpart of
/// [`jacobian`](super::jacobian).
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{Graph, jacobian::numerical_jacobian};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Vector2::new(3.0, -1.0));
/// let y = x.component_mul(x);
/// let jac = numerical_jacobian(y, x, 1e-5);
/// assert!((jac - Matrix2::new(6.0, 0.0, 0.0, -2.0)).abs().max() < 1e-9);
/// assert_eq!(x.value(), Vector2::new(3.0, -1.0)); // restored
/// ```
///
/// # Panics
/// If `x` is not a leaf ([`Graph::var`](crate::Graph::var) or
/// [`Graph::constant`](crate::Graph::constant)), if `y` was recorded before `x` (it cannot
/// depend on it: the arguments are swapped), or if `x` and `y` belong to different graphs; at
/// the caller's line.
#[track_caller]
pub fn numerical_jacobian<'g, T: Real, const M: usize, const N: usize>(
    y: Var<'g, T, M, 1>,
    x: Var<'g, T, N, 1>,
    h: T,
) -> SMatrix<T, M, N> {
    output_after_input("numerical_jacobian", y, x);
    numerical_matrix_jacobian(y, x, h).flatten()
}

/// The Jacobian of a matrix function, `∂Y[i,j]/∂X[k,l]`, by central differences on the leaf `x`:
/// 2·Ri·Ci forward replays, error O(h²); `x` is restored afterwards. The counterpart of
/// [`matrix_jacobian`](super::matrix_jacobian).
///
/// ```
/// use nalgebra::{Matrix2, Matrix2x3};
/// use shapegrad::{Graph, jacobian::numerical_matrix_jacobian};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let y = x * x.transpose(); // X·Xᵀ: 2×3 → 2×2
/// let jac = numerical_matrix_jacobian(y, x, 1e-5);
/// // ∂(X·Xᵀ)[0,0]/∂X[0,k] = 2·X[0,k]
/// assert!((jac.get(0, 0, 0, 2) - 6.0).abs() < 1e-8);
/// ```
///
/// # Panics
/// As [`numerical_jacobian`].
#[track_caller]
pub fn numerical_matrix_jacobian<
    'g,
    T: Real,
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
>(
    y: Var<'g, T, RO, CO>,
    x: Var<'g, T, RI, CI>,
    h: T,
) -> MatrixJacobian<T, RO, CO, RI, CI> {
    output_after_input("numerical_matrix_jacobian", y, x);
    let x0 = x.value();
    let mut jac = MatrixJacobian::zeros();
    for l in 0..CI {
        for k in 0..RI {
            let mut nudged = x0;
            nudged[(k, l)] = x0[(k, l)] + h;
            x.set_value(nudged);
            let y_plus = y.value();
            nudged[(k, l)] = x0[(k, l)] - h;
            x.set_value(nudged);
            let y_minus = y.value();
            let column = (y_plus - y_minus) / (h + h);
            for j in 0..CO {
                for i in 0..RO {
                    jac.gradient_mut(i, j)[(k, l)] = column[(i, j)];
                }
            }
        }
    }
    x.set_value(x0);
    jac
}

/// The Jacobian-vector product J·v by central differences along `v`:
/// `(y(x + h·v) − y(x − h·v)) / 2h`, two forward replays whatever the sizes, error O(h²);
/// the leaf `x` is restored afterwards. The cheap counterpart of
/// [`jvp_reverse_mode`](super::jvp_reverse_mode).
///
/// ```
/// use nalgebra::Vector3;
/// use shapegrad::{Graph, jacobian::jvp_central_difference};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Vector3::new(1.0, 2.0, 3.0));
/// let y = x.component_mul(x); // J = diag(2x)
/// let v = Vector3::new(1.0, 0.5, -1.0);
/// let jv = jvp_central_difference(y, x, v, 1e-5);
/// assert!((jv - Vector3::new(2.0, 2.0, -6.0)).abs().max() < 1e-9);
/// ```
///
/// # Panics
/// As [`numerical_jacobian`].
#[track_caller]
pub fn jvp_central_difference<
    'g,
    T: Real,
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
>(
    y: Var<'g, T, RO, CO>,
    x: Var<'g, T, RI, CI>,
    v: SMatrix<T, RI, CI>,
    h: T,
) -> SMatrix<T, RO, CO> {
    output_after_input("jvp_central_difference", y, x);
    let x0 = x.value();
    x.set_value(x0 + v * h);
    let y_plus = y.value();
    x.set_value(x0 - v * h);
    let y_minus = y.value();
    x.set_value(x0);
    (y_plus - y_minus) / (h + h)
}

/// The N×N Hessian ∂²f/∂x∂x of a scalar `f` (1×1) with respect to the leaf `x` (N×1), by central
/// differences of the analytic gradient: column `k` is `(∇f(x + h·eₖ) − ∇f(x − h·eₖ)) / 2h`.
///
/// Cost: 2N forward replays and 2N backward passes on the same graph (the gradient itself is
/// exact, so only one finite difference is taken: error O(h²) plus rounding O(ε·|∇f|/h);
/// `h = ε^(1/3)`, about 6e-6 for `f64`, balances the two). The result is returned as computed,
/// not symmetrised: it is symmetric to within that error, and its asymmetry is a measure of it.
/// For the exact Hessian (one backward pass over dual scalars) see
/// [`second_order::hessian`]; this one is its check.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use shapegrad::{Graph, jacobian::numerical_hessian};
///
/// let g = Graph::<f64>::new();
/// let a = Matrix2::new(1.0, 2.0, 0.0, 3.0);
/// let x = g.var(Vector2::new(0.5, -1.0));
/// let f = x.transpose() * (g.constant(a) * x); // xᵀ·A·x: the Hessian is A + Aᵀ
/// let hess = numerical_hessian(f, x, 6e-6);
/// assert!((hess - (a + a.transpose())).abs().max() < 1e-8);
/// ```
///
/// # Panics
/// As [`numerical_jacobian`], and if a [`Gradients`](crate::Gradients) of this graph is still
/// alive.
#[track_caller]
#[cfg_attr(
    feature = "second-order",
    doc = "",
    doc = "[`second_order::hessian`]: crate::second_order::hessian"
)]
#[cfg_attr(
    not(feature = "second-order"),
    doc = "",
    doc = "[`second_order::hessian`]: crate#features"
)]
pub fn numerical_hessian<'g, T: Real, const N: usize>(
    f: Var<'g, T, 1, 1>,
    x: Var<'g, T, N, 1>,
    h: T,
) -> SMatrix<T, N, N> {
    numerical_hessian_named("numerical_hessian", f, x, h)
}

/// [`numerical_hessian`], with `what` naming the public function in messages.
#[track_caller]
fn numerical_hessian_named<'g, T: Real, const N: usize>(
    what: &str,
    f: Var<'g, T, 1, 1>,
    x: Var<'g, T, N, 1>,
    h: T,
) -> SMatrix<T, N, N> {
    output_after_input(what, f, x);
    let x0 = x.value();
    let seed = SMatrix::<T, 1, 1>::identity();
    let mut hess = SMatrix::<T, N, N>::zeros();
    for k in 0..N {
        let mut nudged = x0;
        nudged[k] = x0[k] + h;
        x.set_value(nudged);
        let d_plus = vjp_named(what, f, x, seed);
        nudged[k] = x0[k] - h;
        x.set_value(nudged);
        let d_minus = vjp_named(what, f, x, seed);
        hess.set_column(k, &((d_plus - d_minus) / (h + h)));
    }
    x.set_value(x0);
    hess
}

/// The central-difference Hessian, under its old name: use [`numerical_hessian`] (the same
/// function). The exact Hessian is `second_order::hessian` (feature `second-order`).
#[deprecated(
    since = "0.3.0",
    note = "renamed `numerical_hessian` (central differences of the gradient), not to be confused with the exact `second_order::hessian`"
)]
#[track_caller]
pub fn hessian<'g, T: Real, const N: usize>(
    f: Var<'g, T, 1, 1>,
    x: Var<'g, T, N, 1>,
    h: T,
) -> SMatrix<T, N, N> {
    numerical_hessian_named("hessian", f, x, h)
}
