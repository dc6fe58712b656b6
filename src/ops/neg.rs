use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Negation.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = −dOut (R×C)
/// ```
///
/// Sugar: `-a`.
///
/// ```
/// use nalgebra::Matrix2x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::repeat(1.5));
/// let n: Var<'_, f64, 2, 3> = -a;
/// assert_eq!(n.value(), Matrix2x3::repeat(-1.5));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Neg;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Neg {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Neg"))
    }

    fn name(&self) -> &'static str {
        "neg"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        -a
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (-d_out,)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = -x);
    }

    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_map(d_out, |d| -d);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> std::ops::Neg for Var<'g, T, R, C> {
    type Output = Var<'g, T, R, C>;

    /// Negation, see [`Neg`].
    #[track_caller]
    fn neg(self) -> Self {
        self.graph().apply(Neg, (self,))
    }
}

#[cfg(test)]
mod tests {
    use super::Neg;
    use crate::diff::testing::{check_unary, random, rng};

    #[test]
    fn gradcheck_random() {
        check_unary(Neg, Neg, random::<3, 2>(&mut rng(40)));
    }
}
