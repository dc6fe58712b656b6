use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Row `i` of a matrix, with `i` chosen at run time (like nalgebra's `row(i)`).
///
/// ```text
/// Shape:    (R×C) → (1×C)
/// Gradient: dA = zeros (R×C) with dOut in row i
/// ```
///
/// The output shape is a typed rule (one row, the input's `C` columns); the index is a runtime
/// `usize`, so a loop over rows works. Sugar: `a.row(i)`.
///
/// # Panics
/// When the op is applied (by `a.row(i)` or [`Graph::apply`](crate::Graph::apply)) with
/// `i ≥ R`; the message names the index and the shape, e.g.
/// `row: index 3 is out of range for a 3×2 matrix (rows 0..3)`.
///
/// ```
/// use nalgebra::{Matrix3x2, RowVector2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix3x2::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let r: Var<'_, f64, 1, 2> = a.row(1);
/// assert_eq!(r.value(), RowVector2::new(3.0, 4.0));
///
/// // The gradient is dOut scattered into row 1 of zeros.
/// let grads = r.backward_with(RowVector2::new(7.0, 8.0));
/// assert_eq!(*grads.wrt(a), Matrix3x2::new(0.0, 0.0, 7.0, 8.0, 0.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row(pub usize);

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Row {
    type Output = SMatrix<T, 1, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::call(
            "shapegrad::ops::Row",
            [RustExpr::index(self.0)],
        ))
    }

    fn name(&self) -> &'static str {
        "row"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, 1, C> {
        let i = self.0;
        assert!(
            i < R,
            "row: index {i} is out of range for a {R}×{C} matrix (rows 0..{R})"
        );
        a.row(i).into_owned()
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, 1, C>,
        d_out: &SMatrix<T, 1, C>,
    ) -> (SMatrix<T, R, C>,) {
        let mut d_a = SMatrix::<T, R, C>::zeros();
        d_a.set_row(self.0, d_out);
        (d_a,)
    }

    /// Adds `d_out` into row `i` of the input's gradient, without an R×C temporary
    /// (on the pass's first contribution, the rest of dA is zeroed in place).
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, 1, C>,
        d_out: &SMatrix<T, 1, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            if !add {
                d_a.fill(T::zero()); // the pass's first contribution: the rest of dA is zero
            }
            let mut row = d_a.row_mut(self.0);
            row += d_out;
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Row `i` as a 1×C matrix, see [`Row`](crate::ops::Row).
    ///
    /// ```
    /// use nalgebra::{Matrix2, RowVector2};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// assert_eq!(a.row(0).value(), RowVector2::new(1.0, 2.0));
    /// ```
    ///
    /// # Panics
    /// If `i ≥ R`, with a message naming the index and the shape.
    #[track_caller]
    pub fn row(self, i: usize) -> Var<'g, T, 1, C> {
        assert!(
            i < R,
            "row: index {i} is out of range for a {R}×{C} matrix (rows 0..{R})"
        );
        self.graph().apply(Row(i), (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, RowVector3, SMatrix};

    use super::Row;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 3, 3>::from_fn(|r, c| (10 * r + c) as f64));
        assert_eq!(a.row(0).value(), RowVector3::new(0.0, 1.0, 2.0));
        assert_eq!(a.row(2).value(), RowVector3::new(20.0, 21.0, 22.0));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(240);
        check_unary(Row(2), Row(2), random::<4, 3>(&mut rng));
        check_unary(Row(0), Row(0), random::<1, 1>(&mut rng));
        check_unary(Row(0), Row(0), random::<1, 5>(&mut rng));
    }

    #[test]
    fn every_row_once_gives_ones() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 3, 2>::zeros());
        let total = (0..3).map(|i| a.row(i)).reduce(|x, y| x + y).unwrap();
        let grads = total.sum().backward();
        assert_eq!(*grads.wrt(a), SMatrix::<f64, 3, 2>::repeat(1.0));
    }

    #[test]
    fn a_row_used_twice_doubles_its_gradient() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 2, 1>::new(3.0, 5.0));
        let y = a.row(1).component_mul(a.row(1)); // a₁²
        assert_eq!(y.value(), Matrix1::new(25.0));
        assert_eq!(*y.backward().wrt(a), SMatrix::<f64, 2, 1>::new(0.0, 10.0));
    }

    #[test]
    fn replays_after_a_new_leaf_value_and_repeats_backward() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 2, 2>::new(1.0, 2.0, 3.0, 4.0));
        let y = a.row(1).scale(2.0).sum();
        assert_eq!(y.value()[0], 14.0);
        a.set_value(SMatrix::<f64, 2, 2>::new(1.0, 2.0, -3.0, 5.0));
        assert_eq!(y.value()[0], 4.0);
        let expected = SMatrix::<f64, 2, 2>::new(0.0, 0.0, 2.0, 2.0);
        assert_eq!(*y.backward().wrt(a), expected);
        assert_eq!(*y.backward().wrt(a), expected); // no leftovers from the first pass
    }

    #[test]
    #[should_panic(expected = "row: index 3 is out of range for a 3×2 matrix (rows 0..3)")]
    fn out_of_range_index_panics_with_the_shape() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 3, 2>::zeros());
        let _ = a.row(3);
    }
}
