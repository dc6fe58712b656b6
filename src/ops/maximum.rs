use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Element-wise maximum of two matrices — the max gate.
///
/// ```text
/// Shape:    max((R×C), (R×C)) → (R×C)
/// Gradient: dA = dOut ∘ [a ≥ b] (R×C), dB = dOut ∘ [a < b] (R×C)
/// ```
///
/// The max gate routes the upstream gradient to the larger input only (its local gradient is
/// 1 for the max and 0 for the other). On a tie (`a == b`) the whole gradient goes to the
/// first input, `a`, so exactly one input receives it and nothing is counted twice. The shapes
/// must be equal (typed equality). Sugar: `a.maximum(b)` (nalgebra calls it `sup`).
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x3::new(1.0, 5.0, 2.0));
/// let b = g.var(Matrix1x3::new(3.0, 4.0, 2.0));
/// let m: Var<'_, f64, 1, 3> = a.maximum(b);
/// assert_eq!(m.value(), Matrix1x3::new(3.0, 5.0, 2.0));
/// let grads = m.sum().backward();
/// assert_eq!(*grads.wrt(a), Matrix1x3::new(0.0, 1.0, 1.0)); // the tie goes to `a`
/// assert_eq!(*grads.wrt(b), Matrix1x3::new(1.0, 0.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Maximum;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>)>
    for Maximum
{
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Maximum"))
    }

    fn name(&self) -> &'static str {
        "maximum"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>)) -> SMatrix<T, R, C> {
        a.zip_map(b, |x, y| if x >= y { x } else { y })
    }

    fn backward(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
        route(d_out, &a.zip_map(b, |x, y| x >= y))
    }

    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        out: &mut SMatrix<T, R, C>,
    ) {
        for ((y, &x), &z) in out.iter_mut().zip(a.iter()).zip(b.iter()) {
            *y = if x >= z { x } else { z };
        }
    }

    fn backward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        slots: (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
    ) {
        route_into(d_out, a, b, |x, y| x >= y, slots);
    }
}

/// [`route`] written into the gradient slots: `d_out` goes to `a` where `a_wins(a, b)`, else
/// to `b`.
pub(super) fn route_into<T: Real, const R: usize, const C: usize>(
    d_out: &SMatrix<T, R, C>,
    a: &SMatrix<T, R, C>,
    b: &SMatrix<T, R, C>,
    a_wins: impl Fn(T, T) -> bool,
    (d_a, d_b): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
) {
    let entries = || d_out.iter().zip(a.iter().zip(b.iter()));
    if let Some(d_a) = d_a {
        let (d_a, add) = d_a.into_parts();
        for (g, (&d, (&x, &y))) in d_a.iter_mut().zip(entries()) {
            let d = if a_wins(x, y) { d } else { T::zero() };
            *g = if add { *g + d } else { d };
        }
    }
    if let Some(d_b) = d_b {
        let (d_b, add) = d_b.into_parts();
        for (g, (&d, (&x, &y))) in d_b.iter_mut().zip(entries()) {
            let d = if a_wins(x, y) { T::zero() } else { d };
            *g = if add { *g + d } else { d };
        }
    }
}

/// A gate's input gradients: `d_out` goes to `a` where `a_wins`, to `b` elsewhere (the max
/// gate's and [`Minimum`](super::Minimum)'s backward).
pub(super) fn route<T: Real, const R: usize, const C: usize>(
    d_out: &SMatrix<T, R, C>,
    a_wins: &SMatrix<bool, R, C>,
) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
    let d_a = d_out.zip_map(a_wins, |d, w| if w { d } else { T::zero() });
    let d_b = d_out.zip_map(a_wins, |d, w| if w { T::zero() } else { d });
    (d_a, d_b)
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise maximum of `self` and `rhs`, see [`Maximum`](crate::ops::Maximum).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(nalgebra::Vector2::new(1.0, 4.0));
    /// let b = g.var(nalgebra::Vector2::new(2.0, 3.0));
    /// assert_eq!(a.maximum(b).value(), nalgebra::Vector2::new(2.0, 4.0));
    /// ```
    #[track_caller]
    pub fn maximum(self, rhs: Var<'g, T, R, C>) -> Var<'g, T, R, C> {
        self.graph().apply(Maximum, (self, rhs))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix2x3, Matrix3x4};

    use super::Maximum;
    use crate::diff::testing::{away_from_zero, check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn gradcheck_random_away_from_ties() {
        let mut rng = rng(100);
        let a: Matrix3x4<f64> = random(&mut rng);
        let gap: Matrix3x4<f64> = away_from_zero(random(&mut rng), 0.05);
        check_binary(Maximum, Maximum, a, a + gap);
    }

    #[test]
    fn max_gate_routes_the_gradient_to_the_larger_input_only() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1::new(2.0));
        let y = g.var(Matrix1::new(-1.0));
        let grads = x.maximum(y).backward_with(Matrix1::new(5.0));
        assert_eq!((grads.wrt(x)[0], grads.wrt(y)[0]), (5.0, 0.0));
    }

    #[test]
    fn ties_route_the_whole_gradient_to_the_first_input() {
        let mut rng = rng(101);
        let g = Graph::<f64>::new();
        let same = random::<2, 3>(&mut rng);
        let a = g.var(same);
        let b = g.var(same);
        let d_out = random::<2, 3>(&mut rng);
        let grads = a.maximum(b).backward_with(d_out);
        assert_eq!(*grads.wrt(a), d_out);
        assert_eq!(*grads.wrt(b), Matrix2x3::zeros());
    }

    #[test]
    fn maximum_of_a_var_with_itself_passes_the_gradient_once() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix1::new(3.0));
        let grads = a.maximum(a).backward();
        assert_eq!(grads.wrt(a)[0], 1.0);
    }
}
