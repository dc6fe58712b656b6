use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Element-wise minimum of two matrices — the min gate.
///
/// ```text
/// Shape:    min((R×C), (R×C)) → (R×C)
/// Gradient: dA = dOut ∘ [a ≤ b] (R×C), dB = dOut ∘ [a > b] (R×C)
/// ```
///
/// The min gate routes the upstream gradient to the smaller input only. On a tie (`a == b`)
/// the whole gradient goes to the first input, `a`, as in [`Maximum`](crate::ops::Maximum),
/// so exactly one input receives it and nothing is counted twice. If either entry is NaN the
/// value is `b`'s and the gradient goes to `b`. The shapes must be equal (typed equality).
/// Sugar: `a.minimum(b)` (nalgebra calls it `inf`).
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x3::new(1.0, 5.0, 2.0));
/// let b = g.var(Matrix1x3::new(3.0, 4.0, 2.0));
/// let m: Var<'_, f64, 1, 3> = a.minimum(b);
/// assert_eq!(m.value(), Matrix1x3::new(1.0, 4.0, 2.0));
/// let grads = m.sum().backward();
/// assert_eq!(*grads.wrt(a), Matrix1x3::new(1.0, 0.0, 1.0)); // the tie goes to `a`
/// assert_eq!(*grads.wrt(b), Matrix1x3::new(0.0, 1.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Minimum;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>)>
    for Minimum
{
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Minimum"))
    }

    fn name(&self) -> &'static str {
        "minimum"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>)) -> SMatrix<T, R, C> {
        a.zip_map(b, |x, y| if x <= y { x } else { y })
    }

    fn backward(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
        super::maximum::route(d_out, &a.zip_map(b, |x, y| x <= y))
    }

    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        out: &mut SMatrix<T, R, C>,
    ) {
        for ((y, &x), &z) in out.iter_mut().zip(a.iter()).zip(b.iter()) {
            *y = if x <= z { x } else { z };
        }
    }

    fn backward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        slots: (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
    ) {
        super::maximum::route_into(d_out, a, b, |x, y| x <= y, slots);
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise minimum of `self` and `rhs`, see [`Minimum`](crate::ops::Minimum).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(nalgebra::Vector2::new(1.0, 4.0));
    /// let b = g.var(nalgebra::Vector2::new(2.0, 3.0));
    /// assert_eq!(a.minimum(b).value(), nalgebra::Vector2::new(1.0, 3.0));
    /// ```
    #[track_caller]
    pub fn minimum(self, rhs: Var<'g, T, R, C>) -> Var<'g, T, R, C> {
        self.graph().apply(Minimum, (self, rhs))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix1x2, Matrix2x3, Matrix3x4};

    use super::Minimum;
    use crate::diff::testing::{away_from_zero, check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn gradcheck_random_away_from_ties() {
        let mut rng = rng(530);
        let a: Matrix3x4<f64> = random(&mut rng);
        let gap: Matrix3x4<f64> = away_from_zero(random(&mut rng), 0.05);
        check_binary(Minimum, Minimum, a, a + gap);
    }

    #[test]
    fn min_gate_routes_the_gradient_to_the_smaller_input_only() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1::new(2.0));
        let y = g.var(Matrix1::new(-1.0));
        let grads = x.minimum(y).backward_with(Matrix1::new(5.0));
        assert_eq!((grads.wrt(x)[0], grads.wrt(y)[0]), (0.0, 5.0));
    }

    #[test]
    fn ties_route_the_whole_gradient_to_the_first_input() {
        let mut rng = rng(531);
        let g = Graph::<f64>::new();
        let same = random::<2, 3>(&mut rng);
        let (a, b) = (g.var(same), g.var(same));
        let d_out = random::<2, 3>(&mut rng);
        let grads = a.minimum(b).backward_with(d_out);
        assert_eq!(*grads.wrt(a), d_out);
        assert_eq!(*grads.wrt(b), Matrix2x3::zeros());
    }

    #[test]
    fn minimum_is_minus_the_maximum_of_the_negatives() {
        let mut rng = rng(532);
        let g = Graph::<f64>::new();
        let (a, b) = (
            g.var(random::<2, 3>(&mut rng)),
            g.var(random::<2, 3>(&mut rng)),
        );
        let d_out = random::<2, 3>(&mut rng);
        let via_max = -((-a).maximum(-b));
        assert_eq!(a.minimum(b).value(), via_max.value());
        let (d_a, d_b) = {
            let grads = a.minimum(b).backward_with(d_out);
            (*grads.wrt(a), *grads.wrt(b))
        };
        let grads = via_max.backward_with(d_out);
        assert_eq!((d_a, d_b), (*grads.wrt(a), *grads.wrt(b)));
    }

    #[test]
    fn nan_entries_pass_to_the_second_input() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix1x2::new(f64::NAN, 1.0));
        let b = g.var(Matrix1x2::new(1.0, f64::NAN));
        let m = a.minimum(b);
        assert_eq!(m.value()[0], 1.0);
        assert!(m.value()[1].is_nan());
        let grads = m.backward_with(Matrix1x2::repeat(1.0));
        assert_eq!(*grads.wrt(a), Matrix1x2::zeros());
        assert_eq!(*grads.wrt(b), Matrix1x2::repeat(1.0));
    }
}
