use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Element-wise (Hadamard) product — the multiply gate.
///
/// ```text
/// Shape:    (R×C) ∘ (R×C) → (R×C)
/// Gradient: dA = dOut ∘ B (R×C), dB = dOut ∘ A (R×C)
/// ```
///
/// The multiply gate swaps its inputs: each input's gradient is the upstream gradient times the
/// *other* input. The shapes must be equal (typed equality). Sugar: `a.component_mul(b)`, as in
/// nalgebra (`*` is the matrix product).
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(2.0, 3.0));
/// let b = g.var(Matrix1x2::new(5.0, 7.0));
/// let c: Var<'_, f64, 1, 2> = a.component_mul(b);
/// assert_eq!(c.value(), Matrix1x2::new(10.0, 21.0));
/// let grads = c.sum().backward();
/// assert_eq!(*grads.wrt(a), b.value()); // swapped
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ComponentMul;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>)>
    for ComponentMul
{
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("ComponentMul"))
    }

    fn name(&self) -> &'static str {
        "component_mul"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>)) -> SMatrix<T, R, C> {
        a.component_mul(b)
    }

    fn backward(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
        (d_out.component_mul(b), d_out.component_mul(a))
    }

    #[inline]
    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        out: &mut SMatrix<T, R, C>,
    ) {
        out.zip_zip_apply(a, b, |y, a, b| *y = a * b);
    }

    #[inline]
    fn backward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a, d_b): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, b, |d, b| d * b);
        }
        if let Some(d_b) = d_b {
            d_b.add_zip_map(d_out, a, |d, a| d * a);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise product, see [`ComponentMul`](crate::ops::ComponentMul).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(3.0, -1.0));
    /// assert_eq!(x.component_mul(x).value(), nalgebra::Vector2::new(9.0, 1.0));
    /// ```
    #[track_caller]
    pub fn component_mul(self, rhs: Var<'g, T, R, C>) -> Var<'g, T, R, C> {
        self.graph().apply(ComponentMul, (self, rhs))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::Matrix1;

    use super::ComponentMul;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(50);
        check_binary(
            ComponentMul,
            ComponentMul,
            random::<3, 4>(&mut rng),
            random::<3, 4>(&mut rng),
        );
    }

    #[test]
    fn multiply_gate_swaps_its_inputs() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix1::new(3.0));
        let b = g.var(Matrix1::new(-4.0));
        let grads = a.component_mul(b).backward_with(Matrix1::new(2.0));
        assert_eq!(grads.wrt(a)[0], 2.0 * -4.0);
        assert_eq!(grads.wrt(b)[0], 2.0 * 3.0);
    }

    #[test]
    fn square_through_a_fork() {
        // x ∘ x: both inputs are the same node; d/dx = 2x.
        let mut rng = rng(51);
        let g = Graph::<f64>::new();
        let x = g.var(random::<2, 3>(&mut rng));
        let d_out = random::<2, 3>(&mut rng);
        let grads = x.component_mul(x).backward_with(d_out);
        assert_eq!(*grads.wrt(x), d_out.component_mul(&x.value()) * 2.0);
    }
}
