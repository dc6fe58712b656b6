use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Adds an R×1 column to every column of an R×C matrix.
///
/// ```text
/// Shape:    (R×C) + (R×1) → (R×C)
/// Gradient: dA = dOut (R×C), dB = column_sum(dOut) = Σ꜀ dOut[·, c] (R×1)
/// ```
///
/// The column is broadcast across the C columns: it is used C times, so its gradient is the sum
/// of the C upstream columns. The shape rule is a typed equality: the column's `R` is the
/// matrix's `R`, so adding a 4×1 column to a 2×3 matrix does not compile. Sugar:
/// `a.add_column(b)`; [`AddRow`](super::AddRow) broadcasts along the other axis.
///
/// ```
/// use nalgebra::{Matrix2x3, Vector2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let b = g.var(Vector2::new(10.0, 20.0));
/// let y: Var<'_, f64, 2, 3> = x.add_column(b);
/// assert_eq!(y.value(), Matrix2x3::new(11.0, 12.0, 13.0, 24.0, 25.0, 26.0));
/// let grads = y.sum().backward();
/// assert_eq!(*grads.wrt(b), Vector2::repeat(3.0)); // one per column
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AddColumn;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, 1>)>
    for AddColumn
{
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("AddColumn"))
    }

    fn name(&self) -> &'static str {
        "add_column"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, 1>)) -> SMatrix<T, R, C> {
        SMatrix::from_fn(|r, c| a[(r, c)] + b[r])
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, R, 1>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, 1>) {
        (*d_out, d_out.column_sum())
    }

    /// Writes `a`'s column plus `b` into each column of `out`: no temporary.
    #[inline]
    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, 1>),
        out: &mut SMatrix<T, R, C>,
    ) {
        for (mut o, a) in out.column_iter_mut().zip(a.column_iter()) {
            o.zip_zip_apply(&a, b, |o, a, b| *o = a + b);
        }
    }

    /// dA: `dOut` written (or added) in place. dB: the columns of `dOut` added into it one by
    /// one (onto zeros on the pass's first contribution), as `column_sum` adds them.
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, R, 1>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a, d_b): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, 1>>),
    ) {
        if let Some(d_a) = d_a {
            d_a.add(d_out);
        }
        if let Some(d_b) = d_b {
            let (d_b, add) = d_b.into_parts();
            if !add {
                d_b.fill(T::zero());
            }
            for column in d_out.column_iter() {
                *d_b += column;
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Adds the R×1 `column` to every column, see [`AddColumn`](crate::ops::AddColumn).
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Vector2};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.constant(Matrix2x3::zeros());
    /// let shift = g.var(Vector2::new(1.0, -1.0));
    /// assert_eq!(x.add_column(shift).value(), Matrix2x3::new(1.0, 1.0, 1.0, -1.0, -1.0, -1.0));
    /// ```
    #[track_caller]
    pub fn add_column(self, column: Var<'g, T, R, 1>) -> Var<'g, T, R, C> {
        self.graph().apply(AddColumn, (self, column))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3x4, SMatrix, Vector3};

    use super::AddColumn;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_adds_the_column_to_every_column() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 3, 2>::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
        let b = g.var(Vector3::new(0.5, -2.0, 10.0));
        let y = a.add_column(b).value();
        assert_eq!(y, SMatrix::<f64, 3, 2>::new(1.5, 2.5, 1.0, 2.0, 15.0, 16.0));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(210);
        let a: Matrix3x4<f64> = random(&mut rng);
        check_binary(AddColumn, AddColumn, a, random::<3, 1>(&mut rng));
        // 1×1 and a single column: broadcasting over one column is a plain add.
        check_binary(
            AddColumn,
            AddColumn,
            random::<1, 1>(&mut rng),
            random(&mut rng),
        );
        check_binary(
            AddColumn,
            AddColumn,
            random::<5, 1>(&mut rng),
            random(&mut rng),
        );
        // A single row: the 1×1 column is added to every entry.
        check_binary(
            AddColumn,
            AddColumn,
            random::<1, 4>(&mut rng),
            random(&mut rng),
        );
    }

    #[test]
    fn the_column_gets_the_row_sums_of_the_upstream_gradient() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 2, 3>::zeros());
        let b = g.var(nalgebra::Vector2::zeros());
        let d_out = SMatrix::<f64, 2, 3>::new(1.0, 2.0, 3.0, 10.0, 20.0, 30.0);
        let grads = a.add_column(b).backward_with(d_out);
        assert_eq!(*grads.wrt(b), nalgebra::Vector2::new(6.0, 60.0));
        assert_eq!(*grads.wrt(a), d_out);
    }
}
