use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// A copy of `a` with the R2×C2 block whose top-left entry is at (row, column) replaced by
/// `b`.
///
/// ```text
/// Shape:    (R×C), (R2×C2) → (R×C), row + R2 ≤ R, column + C2 ≤ C
/// Gradient: dA = dOut with the block set to 0 (R×C), dB = dOut's block (R2×C2)
/// ```
///
/// The counterpart of [`FixedView`](crate::ops::FixedView), with the offset a runtime
/// `usize` (the sugar checks it when the op is applied, and panics at your line if the block
/// does not fit). It writes pieces into a matrix inside a loop, where the type must stay the
/// same on every iteration; [`Var::vstack_array`] and [`Var::hstack_array`] stack an array of
/// vars with it. Sugar: `a.with_block(row, column, b)`.
///
/// ```
/// use nalgebra::{Matrix2, Matrix3, Vector2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix3::repeat(1.0));
/// let b = g.var(Vector2::new(5.0, 6.0));
/// let c: Var<'_, f64, 3, 3> = a.with_block(1, 2, b); // rows 1..3 of column 2
/// assert_eq!(c.value(), Matrix3::new(1.0, 1.0, 1.0, 1.0, 1.0, 5.0, 1.0, 1.0, 6.0));
///
/// let grads = c.backward_with(Matrix3::from_fn(|r, c| (3 * c + r) as f64));
/// assert_eq!(*grads.wrt(b), Vector2::new(7.0, 8.0)); // dOut's block
/// assert_eq!(grads.wrt(a)[(2, 2)], 0.0); // overwritten: no gradient
/// assert_eq!(grads.wrt(a)[(2, 1)], 5.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WithBlock {
    row: usize,
    column: usize,
}

impl WithBlock {
    /// The op that writes its second input at (`row`, `column`) of its first. An offset where
    /// the block does not fit panics when the op runs; the sugar
    /// [`with_block`](Var::with_block) checks it when the op is applied, at your line.
    ///
    /// ```
    /// use nalgebra::{Matrix1, Matrix2};
    /// use shapegrad::{Graph, ops::WithBlock};
    ///
    /// let g = Graph::<f64>::new();
    /// let (a, b) = (g.var(Matrix2::zeros()), g.var(Matrix1::new(3.0)));
    /// let c = g.apply(WithBlock::at(0, 1), (a, b));
    /// assert_eq!(c.value(), Matrix2::new(0.0, 3.0, 0.0, 0.0));
    /// ```
    pub fn at(row: usize, column: usize) -> Self {
        WithBlock { row, column }
    }

    /// Panics unless an R2×C2 block at this offset fits in an R×C matrix.
    #[track_caller]
    fn check<const R: usize, const C: usize, const R2: usize, const C2: usize>(&self) {
        let fits = self.row.checked_add(R2).is_some_and(|end| end <= R)
            && self.column.checked_add(C2).is_some_and(|end| end <= C);
        assert!(
            fits,
            "shapegrad: with_block: a {R2}×{C2} block at ({}, {}) does not fit in a {R}×{C} \
             matrix: it needs row + {R2} ≤ {R} and column + {C2} ≤ {C}",
            self.row, self.column
        );
    }
}

impl<T: Real, const R: usize, const C: usize, const R2: usize, const C2: usize>
    Op<T, (SMatrix<T, R, C>, SMatrix<T, R2, C2>)> for WithBlock
{
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::call(
            "shapegrad::ops::WithBlock::at",
            [RustExpr::index(self.row), RustExpr::index(self.column)],
        ))
    }

    fn name(&self) -> &'static str {
        "with_block"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R2, C2>)) -> SMatrix<T, R, C> {
        let mut out = *a;
        self.forward_into((a, b), &mut out);
        out
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, R2, C2>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R2, C2>) {
        let mut d_a = *d_out;
        d_a.fixed_view_mut::<R2, C2>(self.row, self.column)
            .fill(T::zero());
        let d_b = d_out
            .fixed_view::<R2, C2>(self.row, self.column)
            .into_owned();
        (d_a, d_b)
    }

    /// Copies `a`, then `b` over its block: no temporary.
    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R2, C2>),
        out: &mut SMatrix<T, R, C>,
    ) {
        self.check::<R, C, R2, C2>();
        out.copy_from(a);
        out.fixed_view_mut::<R2, C2>(self.row, self.column)
            .copy_from(b);
    }

    /// dA: `dOut` outside the block, written (the block then zeroed) or added around the
    /// block, column by column. dB: `dOut`'s block, read in place. No temporary.
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>, &SMatrix<T, R2, C2>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a, d_b): (
            Option<GradSlot<'_, T, R, C>>,
            Option<GradSlot<'_, T, R2, C2>>,
        ),
    ) {
        self.check::<R, C, R2, C2>();
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            if add {
                let block_columns = self.column..self.column + C2;
                let d_a = d_a.as_mut_slice();
                let d_out = d_out.as_slice();
                for c in 0..C {
                    let (d, g) = (&mut d_a[c * R..(c + 1) * R], &d_out[c * R..(c + 1) * R]);
                    // In the block's columns, skip its rows.
                    let (skip_from, skip_to) = if block_columns.contains(&c) {
                        (self.row, self.row + R2)
                    } else {
                        (R, R)
                    };
                    for (d, &g) in d[..skip_from].iter_mut().zip(&g[..skip_from]) {
                        *d += g;
                    }
                    for (d, &g) in d[skip_to..].iter_mut().zip(&g[skip_to..]) {
                        *d += g;
                    }
                }
            } else {
                d_a.copy_from(d_out);
                d_a.fixed_view_mut::<R2, C2>(self.row, self.column)
                    .fill(T::zero());
            }
        }
        if let Some(d_b) = d_b {
            let (d_b, add) = d_b.into_parts();
            let block = d_out.fixed_view::<R2, C2>(self.row, self.column);
            if add {
                *d_b += &block;
            } else {
                d_b.copy_from(&block);
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// A copy of `self` with the block at (`row`, `column`) replaced by `b`, see
    /// [`WithBlock`](crate::ops::WithBlock).
    ///
    /// # Panics
    /// If `b` does not fit at that offset (row + R2 > R or column + C2 > C); the message gives
    /// the shapes and the offset and points at your line.
    ///
    /// ```
    /// use nalgebra::{Matrix1, Matrix2};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let theta = g.var(Matrix1::new(0.5));
    /// // A 2×2 matrix with a variable entry, as a mass matrix M(q) has.
    /// let m = g.constant(Matrix2::new(2.0, 0.0, 0.0, 1.0));
    /// let c = theta.cos();
    /// let m = m.with_block(0, 1, c).with_block(1, 0, c);
    /// assert_eq!(m.value()[(1, 0)], 0.5f64.cos());
    /// ```
    #[track_caller]
    pub fn with_block<const R2: usize, const C2: usize>(
        self,
        row: usize,
        column: usize,
        b: Var<'g, T, R2, C2>,
    ) -> Var<'g, T, R, C> {
        let op = WithBlock::at(row, column);
        op.check::<R, C, R2, C2>();
        self.graph().apply(op, (self, b))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix2, Matrix3x4, SMatrix};

    use super::WithBlock;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3x4::from_fn(|r, c| (10 * r + c) as f64));
        let b = g.var(Matrix2::new(-1.0, -2.0, -3.0, -4.0));
        let c = a.with_block(1, 2, b).value();
        let expected = Matrix3x4::new(
            0.0, 1.0, 2.0, 3.0, 10.0, 11.0, -1.0, -2.0, 20.0, 21.0, -3.0, -4.0,
        );
        assert_eq!(c, expected);
        // The whole matrix, and an empty block.
        let whole = g.var(Matrix3x4::repeat(7.0));
        assert_eq!(a.with_block(0, 0, whole).value(), Matrix3x4::repeat(7.0));
        let empty = g.var(SMatrix::<f64, 0, 2>::zeros());
        assert_eq!(a.with_block(3, 2, empty).value(), a.value());
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(980);
        for (row, column) in [(0, 0), (1, 2), (2, 0), (1, 1)] {
            check_binary(
                WithBlock::at(row, column),
                WithBlock::at(row, column),
                random::<4, 5>(&mut rng),
                random::<2, 3>(&mut rng),
            );
        }
        check_binary(
            WithBlock::at(5, 0),
            WithBlock::at(5, 0),
            random::<6, 1>(&mut rng),
            random::<1, 1>(&mut rng),
        );
    }

    #[test]
    fn writing_a_var_into_itself_adds_both_paths() {
        // c = a with a's top-left 1×1 block written at (1, 1): dA gets dOut outside (1, 1)
        // and dOut[1, 1] at (0, 0) through the block.
        let g = Graph::<f64>::new();
        let a = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
        let top_left = a.fixed_view::<1, 1, 0, 0>();
        let c = a.with_block(1, 1, top_left);
        assert_eq!(c.value(), Matrix2::new(1.0, 2.0, 3.0, 1.0));
        let grads = c.backward_with(Matrix2::new(10.0, 20.0, 30.0, 40.0));
        assert_eq!(*grads.wrt(a), Matrix2::new(50.0, 20.0, 30.0, 0.0));
    }

    #[test]
    #[should_panic(expected = "with_block: a 2×2 block at (2, 0) does not fit in a 3×4 matrix")]
    fn a_block_that_does_not_fit_panics_when_applied() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3x4::zeros());
        let _ = a.with_block(2, 0, g.var(Matrix2::zeros()));
    }
}
