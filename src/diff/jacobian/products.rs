//! Jacobian products by reverse mode: uᵀ·J from one backward pass, J·v from one per entry of
//! the output.

use nalgebra::SMatrix;

use super::{each_output_gradient, gradient_of, output_after_input};
use crate::graph::Var;
use crate::kernels::Real;

/// The vector-Jacobian product uᵀ·J, the reverse-mode primitive: one backward pass of `y`
/// seeded with `u` (of `y`'s shape), giving ∑ᵢⱼ `u[i,j]·∂Y[i,j]/∂X` in `x`'s shape. For column
/// vectors that is Jᵀ·u.
///
/// ```
/// use nalgebra::{Matrix2x3, Vector2, Vector3};
/// use shapegrad::{Graph, jacobian::vjp};
///
/// let g = Graph::<f64>::new();
/// let w = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// let x = g.var(Vector3::new(1.0, 1.0, 1.0));
/// let y = g.constant(w) * x;
/// let u = Vector2::new(1.0, -1.0);
/// assert_eq!(vjp(y, x, u), w.transpose() * u);
/// ```
///
/// # Panics
/// As [`jacobian`](super::jacobian).
#[track_caller]
pub fn vjp<'g, T: Real, const RO: usize, const CO: usize, const RI: usize, const CI: usize>(
    y: Var<'g, T, RO, CO>,
    x: Var<'g, T, RI, CI>,
    u: SMatrix<T, RO, CO>,
) -> SMatrix<T, RI, CI> {
    vjp_named("vjp", y, x, u)
}

/// [`vjp`], with `what` naming the public function in messages.
#[track_caller]
pub(crate) fn vjp_named<
    'g,
    T: Real,
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
>(
    what: &str,
    y: Var<'g, T, RO, CO>,
    x: Var<'g, T, RI, CI>,
    u: SMatrix<T, RO, CO>,
) -> SMatrix<T, RI, CI> {
    output_after_input(what, y, x);
    let grads = y.backward_with(u);
    *gradient_of(what, &grads, x)
}

/// The Jacobian-vector product J·v (the forward direction): how `y` moves when `x` moves along
/// `v`, ∑ₖₗ `∂Y[i,j]/∂X[k,l]·v[k,l]`, in `y`'s shape, computed by **reverse mode**.
///
/// Exact, but the graph here only runs in reverse, so it costs one backward pass per entry of
/// `y`, Ro·Co in all: as much as the whole Jacobian
/// ([`matrix_jacobian`](super::matrix_jacobian)), not the one forward pass that "JVP" means in
/// forward-mode libraries. The name says so. For one forward pass, run the function on dual
/// numbers: a `Graph<Dual64>` whose `x` holds `x + v·ε` gives J·v in the dual parts of `y`
/// (see `shapegrad::second_order`, feature `second-order`); when `y` is large and an O(h²)
/// error is acceptable, [`jvp_central_difference`](super::jvp_central_difference) costs two
/// forward passes.
///
/// ```
/// use nalgebra::{Matrix2x3, Vector3};
/// use shapegrad::{Graph, jacobian::jvp_reverse_mode};
///
/// let g = Graph::<f64>::new();
/// let w = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// let x = g.var(Vector3::new(1.0, 1.0, 1.0));
/// let y = g.constant(w) * x;
/// let v = Vector3::new(1.0, 0.0, -1.0);
/// assert_eq!(jvp_reverse_mode(y, x, v), w * v); // 2 backward passes, one per entry of y
///
/// // The same product in one forward pass, on dual numbers (feature `second-order`):
/// # #[cfg(feature = "second-order")] {
/// use shapegrad::num_dual::Dual64;
/// let gd = Graph::<Dual64>::new();
/// let xd = gd.var(Vector3::repeat(1.0).zip_map(&v, Dual64::new)); // x + v·ε
/// let yd = gd.constant(w.map(Dual64::from_re)) * xd;
/// assert_eq!(yd.value().map(|d| d.eps), w * v);
/// # }
/// ```
///
/// # Panics
/// As [`jacobian`](super::jacobian).
#[track_caller]
pub fn jvp_reverse_mode<
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
) -> SMatrix<T, RO, CO> {
    jvp_named("jvp_reverse_mode", y, x, v)
}

/// J·v by reverse mode, under its old name: use [`jvp_reverse_mode`] (the same function),
/// whose name says what it costs, Ro·Co backward passes.
#[deprecated(
    since = "0.3.0",
    note = "renamed `jvp_reverse_mode`: it costs one backward pass per entry of y; for one forward pass run the graph on `num_dual::Dual64` (see `second_order`), or use `jvp_central_difference`"
)]
#[track_caller]
pub fn jvp<'g, T: Real, const RO: usize, const CO: usize, const RI: usize, const CI: usize>(
    y: Var<'g, T, RO, CO>,
    x: Var<'g, T, RI, CI>,
    v: SMatrix<T, RI, CI>,
) -> SMatrix<T, RO, CO> {
    jvp_named("jvp", y, x, v)
}

/// [`jvp_reverse_mode`], with `what` naming the public function in messages.
#[track_caller]
fn jvp_named<'g, T: Real, const RO: usize, const CO: usize, const RI: usize, const CI: usize>(
    what: &str,
    y: Var<'g, T, RO, CO>,
    x: Var<'g, T, RI, CI>,
    v: SMatrix<T, RI, CI>,
) -> SMatrix<T, RO, CO> {
    let mut out = SMatrix::zeros();
    each_output_gradient(what, y, x, |i, j, d_x| out[(i, j)] = d_x.dot(&v));
    out
}
