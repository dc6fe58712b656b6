use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Element-wise sum — the add gate.
///
/// ```text
/// Shape:    (R×C) + (R×C) → (R×C)
/// Gradient: dA = dOut (R×C), dB = dOut (R×C)
/// ```
///
/// The add gate's local gradient is 1 for both inputs, so it relays the upstream gradient
/// unchanged to each. The shapes must be equal (typed equality), so `(2×3) + (3×2)` does not
/// compile. To add a 1×C row (a bias) to every row of an R×C matrix, use
/// [`add_row`](crate::Var::add_row): `x * w + b` with a 1×C `b` is rejected with "expected
/// `64`, found `1`" (the batch size against the bias's one row) and no hint, since rustc
/// unifies the two operands of `+` before any custom diagnostic can fire; a column, use
/// [`add_column`](crate::Var::add_column). Sugar: `a + b`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::repeat(1.0));
/// let b = g.var(Matrix2x3::repeat(2.0));
/// let c: Var<'_, f64, 2, 3> = a + b;
/// assert_eq!(c.value(), Matrix2x3::repeat(3.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Add;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>)> for Add {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Add"))
    }

    fn name(&self) -> &'static str {
        "add"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>)) -> SMatrix<T, R, C> {
        a + b
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
        (*d_out, *d_out)
    }

    #[inline]
    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        out: &mut SMatrix<T, R, C>,
    ) {
        a.add_to(b, out);
    }

    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a, d_b): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
    ) {
        if let Some(d_a) = d_a {
            d_a.add(d_out);
        }
        if let Some(d_b) = d_b {
            d_b.add(d_out);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> std::ops::Add for Var<'g, T, R, C> {
    type Output = Var<'g, T, R, C>;

    /// Element-wise sum of two R×C matrices, see [`Add`]; to add a 1×C row to every row, use
    /// [`add_row`](Var::add_row).
    #[track_caller]
    fn add(self, rhs: Self) -> Self {
        self.graph().apply(Add, (self, rhs))
    }
}

#[cfg(test)]
mod tests {
    use super::Add;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(20);
        check_binary(Add, Add, random::<4, 3>(&mut rng), random::<4, 3>(&mut rng));
    }

    #[test]
    fn add_gate_relays_the_upstream_gradient_unchanged() {
        let mut rng = rng(21);
        let g = Graph::<f64>::new();
        let a = g.var(random::<2, 3>(&mut rng));
        let b = g.var(random::<2, 3>(&mut rng));
        let d_out = random::<2, 3>(&mut rng);
        let grads = (a + b).backward_with(d_out);
        assert_eq!(*grads.wrt(a), d_out);
        assert_eq!(*grads.wrt(b), d_out);
    }

    #[test]
    fn gradients_add_at_a_fork() {
        // y = a + a: a is used twice, its gradient is the sum of both uses.
        let mut rng = rng(22);
        let g = Graph::<f64>::new();
        let a = g.var(random::<2, 2>(&mut rng));
        let d_out = random::<2, 2>(&mut rng);
        let grads = (a + a).backward_with(d_out);
        assert_eq!(*grads.wrt(a), d_out * 2.0);
    }
}
