use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Column `j` of a matrix, with `j` chosen at run time (like nalgebra's `column(j)`).
///
/// ```text
/// Shape:    (R×C) → (R×1)
/// Gradient: dA = zeros (R×C) with dOut in column j
/// ```
///
/// The output shape is a typed rule (the input's `R` rows, one column); the index is a runtime
/// `usize`, so a loop over columns (say, the samples of a batch) works. Sugar: `a.column(j)`.
///
/// # Panics
/// When the op is applied (by `a.column(j)` or [`Graph::apply`](crate::Graph::apply)) with
/// `j ≥ C`; the message names the index and the shape, e.g.
/// `column: index 2 is out of range for a 3×2 matrix (columns 0..2)`.
///
/// ```
/// use nalgebra::{Matrix2x3, Vector2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let c: Var<'_, f64, 2, 1> = a.column(2);
/// assert_eq!(c.value(), Vector2::new(3.0, 6.0));
///
/// // The gradient is dOut scattered into column 2 of zeros.
/// let grads = c.backward_with(Vector2::new(7.0, 8.0));
/// assert_eq!(*grads.wrt(a), Matrix2x3::new(0.0, 0.0, 7.0, 0.0, 0.0, 8.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column(pub usize);

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Column {
    type Output = SMatrix<T, R, 1>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::call(
            "shapegrad::ops::Column",
            [RustExpr::index(self.0)],
        ))
    }

    fn name(&self) -> &'static str {
        "column"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, 1> {
        let j = self.0;
        assert!(
            j < C,
            "column: index {j} is out of range for a {R}×{C} matrix (columns 0..{C})"
        );
        a.column(j).into_owned()
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, 1>,
        d_out: &SMatrix<T, R, 1>,
    ) -> (SMatrix<T, R, C>,) {
        let mut d_a = SMatrix::<T, R, C>::zeros();
        d_a.set_column(self.0, d_out);
        (d_a,)
    }

    /// Adds `d_out` into column `j` of the input's gradient, without an R×C temporary
    /// (on the pass's first contribution, the rest of dA is zeroed in place).
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, 1>,
        d_out: &SMatrix<T, R, 1>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            if !add {
                d_a.fill(T::zero()); // the pass's first contribution: the rest of dA is zero
            }
            let mut column = d_a.column_mut(self.0);
            column += d_out;
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Column `j` as an R×1 matrix, see [`Column`](crate::ops::Column).
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// assert_eq!(a.column(0).value(), Vector2::new(1.0, 3.0));
    /// ```
    ///
    /// # Panics
    /// If `j ≥ C`, with a message naming the index and the shape.
    #[track_caller]
    pub fn column(self, j: usize) -> Var<'g, T, R, 1> {
        assert!(
            j < C,
            "column: index {j} is out of range for a {R}×{C} matrix (columns 0..{C})"
        );
        self.graph().apply(Column(j), (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, SMatrix, Vector3};

    use super::Column;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 3, 3>::from_fn(|r, c| (10 * r + c) as f64));
        assert_eq!(a.column(0).value(), Vector3::new(0.0, 10.0, 20.0));
        assert_eq!(a.column(2).value(), Vector3::new(2.0, 12.0, 22.0));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(250);
        check_unary(Column(1), Column(1), random::<4, 3>(&mut rng));
        check_unary(Column(0), Column(0), random::<1, 1>(&mut rng));
        check_unary(Column(4), Column(4), random::<1, 5>(&mut rng));
    }

    #[test]
    fn every_column_once_gives_ones() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 2, 3>::zeros());
        let total = (0..3).map(|j| a.column(j)).reduce(|x, y| x + y).unwrap();
        let grads = total.sum().backward();
        assert_eq!(*grads.wrt(a), SMatrix::<f64, 2, 3>::repeat(1.0));
    }

    #[test]
    fn a_column_used_twice_doubles_its_gradient() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 1, 2>::new(3.0, 5.0));
        let y = a.column(1).component_mul(a.column(1)); // a₁²
        assert_eq!(y.value(), Matrix1::new(25.0));
        assert_eq!(*y.backward().wrt(a), SMatrix::<f64, 1, 2>::new(0.0, 10.0));
    }

    #[test]
    #[should_panic(expected = "column: index 2 is out of range for a 3×2 matrix (columns 0..2)")]
    fn out_of_range_index_panics_with_the_shape() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 3, 2>::zeros());
        let _ = a.column(2);
    }
}
