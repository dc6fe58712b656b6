use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Stop-gradient: the value passes through unchanged, no gradient flows back.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = 0 (R×C)
/// ```
///
/// The output has the input's type (typed equality). Use it for a target that must not be
/// pulled towards the prediction, a normalisation treated as constant, or a value fed back
/// from a previous step. Unlike `g.constant(a.value())`, which copies today's value, a
/// detached node stays in the graph and follows replays ([`Var::set_value`] on a leaf it
/// depends on updates it). Paths to `a` that do not pass through `detach` keep their
/// gradients. Sugar: `a.detach()`.
///
/// ```
/// use nalgebra::Matrix1;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix1::new(3.0));
/// let frozen: Var<'_, f64, 1, 1> = x.detach();
/// let y = x.component_mul(frozen); // x·stop(x): dy/dx = stop(x) = 3, not 2x = 6
/// assert_eq!(y.value()[0], 9.0);
/// assert_eq!(y.backward().wrt(x)[0], 3.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Detach;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Detach {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Detach"))
    }

    fn name(&self) -> &'static str {
        "detach"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        *a
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        _d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (SMatrix::zeros(),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.copy_from(a);
    }

    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        _d_out: &SMatrix<T, R, C>,
        _d_inputs: (Option<GradSlot<'_, T, R, C>>,),
    ) {
        // An untouched slot is a zero contribution.
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The same value with no gradient flowing back, see [`Detach`](crate::ops::Detach).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(1.0, 2.0));
    /// let loss = x.detach().sum();
    /// assert_eq!(loss.value()[0], 3.0);
    /// assert_eq!(*loss.backward().wrt(x), nalgebra::Vector2::zeros());
    /// ```
    #[track_caller]
    pub fn detach(self) -> Var<'g, T, R, C> {
        self.graph().apply(Detach, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix2x3, Vector2};

    use super::Detach;
    use crate::contract::Op;
    use crate::diff::testing::{random, rng};
    use crate::graph::Graph;

    #[test]
    fn value_passes_and_gradient_is_zero() {
        let mut rng = rng(570);
        let g = Graph::<f64>::new();
        let v = random::<2, 3>(&mut rng);
        let x = g.var(v);
        let y = x.detach();
        assert_eq!(y.value(), v);
        let d_out = random::<2, 3>(&mut rng);
        assert_eq!(*y.backward_with(d_out).wrt(x), Matrix2x3::zeros());
        assert_eq!(Detach.backward((&v,), &v, &d_out).0, Matrix2x3::zeros());
        assert_eq!(<Detach as Op<f64, _>>::forward(&Detach, (&v,)), v);
    }

    #[test]
    fn other_paths_keep_their_gradients() {
        // f = x∘x + stop(x)∘x: df/dx = 2x + x = 3x.
        let mut rng = rng(571);
        let g = Graph::<f64>::new();
        let x = g.var(random::<2, 3>(&mut rng));
        let f = (x.component_mul(x) + x.detach().component_mul(x)).sum();
        let d = *f.backward().wrt(x);
        assert!((d - x.value() * 3.0).abs().max() < 1e-15);
    }

    #[test]
    fn follows_replays_unlike_a_constant_copy() {
        let g = Graph::<f64>::new();
        let x = g.var(Vector2::new(1.0, 2.0));
        let (detached, copied) = (x.detach(), g.constant(x.value()));
        x.set_value(Vector2::new(5.0, 6.0));
        assert_eq!(detached.value(), Vector2::new(5.0, 6.0));
        assert_eq!(copied.value(), Vector2::new(1.0, 2.0));
    }

    #[test]
    fn a_stale_buffer_is_not_read_as_a_gradient() {
        // x's buffer holds a gradient from an earlier pass; a pass that reaches x only through
        // detach must report zeros, not the stale values.
        let g = Graph::<f64>::new();
        let x = g.var(Vector2::new(1.0, 2.0));
        assert_eq!(*x.sum().backward().wrt(x), Vector2::repeat(1.0));
        let loss = x.detach().norm_squared();
        assert_eq!(*loss.backward().wrt(x), Vector2::zeros());
    }
}
