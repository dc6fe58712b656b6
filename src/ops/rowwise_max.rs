use nalgebra::SMatrix;

use crate::contract::shape::RowsHaveEntries;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::{Real, columns};

/// The maximum of each row — the max gate, once per row.
///
/// ```text
/// Shape:    (R×C) → (R×1)
/// Gradient: dA[r, c] = dOut[r, 0] if c = argmaxᵣ, else 0 (R×C)
/// ```
///
/// The whole upstream gradient of row `r` goes to that row's maximum entry. Ties: the first
/// maximum (lowest column index) gets all of it, the others none, so nothing is counted twice
/// (as [`Maximum`](super::Maximum) gives a tie to its first input). A NaN counts as the maximum
/// of its row, so it propagates instead of being skipped. The output's dimensions are the
/// input's own parameters (typed); a matrix with 0 columns has no row maximum, which a const
/// assertion rejects when the op is built (`cargo build`, not `cargo check`). Sugar:
/// `a.rowwise_max()`.
///
/// ```
/// use nalgebra::{Matrix2x3, Vector2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::new(1.0, 5.0, 2.0, 4.0, -1.0, 4.0));
/// let m: Var<'_, f64, 2, 1> = a.rowwise_max();
/// assert_eq!(m.value(), Vector2::new(5.0, 4.0));
/// let grads = m.backward_with(Vector2::new(10.0, 20.0));
/// // Row 1 ties at 4.0: the first one (column 0) gets the gradient.
/// assert_eq!(*grads.wrt(a), Matrix2x3::new(0.0, 10.0, 0.0, 20.0, 0.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RowwiseMax;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for RowwiseMax {
    type Output = SMatrix<T, R, 1>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("RowwiseMax"))
    }

    fn name(&self) -> &'static str {
        "rowwise_max"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, 1> {
        SMatrix::from_fn(|r, _| a[(r, row_argmax(a, r))])
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, 1>,
        d_out: &SMatrix<T, R, 1>,
    ) -> (SMatrix<T, R, C>,) {
        let mut d_a = SMatrix::zeros();
        for r in 0..R {
            d_a[(r, row_argmax(a, r))] = d_out[r];
        }
        (d_a,)
    }

    /// The same values, written into `out`: the first column, then each later one compared
    /// with the running maxima by `row_argmax`'s rule (a later entry wins only if it is
    /// greater, or a NaN over a number), walking the storage column by column.
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, 1>) {
        let () = RowsHaveEntries::<R, C>::ASSERT;
        let is_nan = |x: T| x.partial_cmp(&x).is_none();
        let mut a_columns = columns(a);
        if let Some(first) = a_columns.next() {
            out.as_mut_slice().copy_from_slice(first);
        }
        for a_col in a_columns {
            for (m, &x) in out.iter_mut().zip(a_col) {
                if x > *m || (is_nan(x) && !is_nan(*m)) {
                    *m = x;
                }
            }
        }
    }

    /// The same, written into the slot in place: `dOut[r]` at row `r`'s `row_argmax` (the
    /// first maximum on ties), added there, or written there over a zeroed buffer.
    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, 1>,
        d_out: &SMatrix<T, R, 1>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        let Some(d_a) = d_a else { return };
        let (buf, add) = d_a.into_parts();
        if !add {
            buf.as_mut_slice().fill(T::zero());
        }
        for r in 0..R {
            buf[(r, row_argmax(a, r))] += d_out[r];
        }
    }
}

/// The column of row `r`'s maximum: the first one on ties, the first NaN if there is one.
pub(crate) fn row_argmax<T: Real, const R: usize, const C: usize>(
    a: &SMatrix<T, R, C>,
    r: usize,
) -> usize {
    let () = RowsHaveEntries::<R, C>::ASSERT;
    let is_nan = |x: T| x.partial_cmp(&x).is_none();
    let mut best = 0;
    for c in 1..C {
        let (x, m) = (a[(r, c)], a[(r, best)]);
        if x > m || (is_nan(x) && !is_nan(m)) {
            best = c;
        }
    }
    best
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The maximum of each row, R×1; see [`RowwiseMax`](crate::ops::RowwiseMax).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Matrix2::new(1.0, -2.0, 3.0, 4.0));
    /// assert_eq!(x.rowwise_max().value(), nalgebra::Vector2::new(1.0, 4.0));
    /// ```
    #[track_caller]
    pub fn rowwise_max(self) -> Var<'g, T, R, 1> {
        let () = RowsHaveEntries::<R, C>::ASSERT;
        self.graph().apply(RowwiseMax, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix1x4, Matrix3x4, Vector3};

    use super::RowwiseMax;
    use crate::diff::testing::{check_unary, check_unary_with, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3x4::new(
            1.0, 2.0, 3.0, 4.0, //
            -1.0, -2.0, -3.0, -4.0, //
            0.0, 9.0, -9.0, 8.5,
        ));
        assert_eq!(a.rowwise_max().value(), Vector3::new(4.0, -1.0, 9.0));
    }

    #[test]
    fn gradcheck_random_without_ties() {
        let mut rng = rng(320);
        let a: Matrix3x4<f64> = random(&mut rng);
        // The max of each row must lead the runner-up by more than the step h.
        for row in a.row_iter() {
            let mut v: Vec<f64> = row.iter().copied().collect();
            v.sort_by(|x, y| y.total_cmp(x));
            assert!(v[0] - v[1] > 1e-3, "regenerate: a near-tie in {v:?}");
        }
        check_unary(RowwiseMax, RowwiseMax, a);
        check_unary(RowwiseMax, RowwiseMax, random::<1, 1>(&mut rng));
        check_unary(RowwiseMax, RowwiseMax, random::<5, 1>(&mut rng)); // one column: identity
    }

    #[test]
    fn ties_route_the_gradient_to_the_first_maximum_only() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3x4::new(
            3.0, 1.0, 3.0, 3.0, // three-way tie: column 0
            0.0, 2.0, -5.0, 2.0, // tie between columns 1 and 3: column 1
            7.0, 7.0, 7.0, 7.0, // all equal: column 0
        ));
        let grads = a.rowwise_max().backward_with(Vector3::new(1.0, 2.0, 3.0));
        let expected = Matrix3x4::new(
            1.0, 0.0, 0.0, 0.0, //
            0.0, 2.0, 0.0, 0.0, //
            3.0, 0.0, 0.0, 0.0,
        );
        assert_eq!(*grads.wrt(a), expected);
    }

    #[test]
    fn ties_through_the_graph_match_backward_in_passes_and_forks() {
        // No finite differences at ties (the max has a kink there): the graph's
        // `forward_into`/`backward_into` against `forward`/`backward`, forks and f32 included.
        let tied = Matrix3x4::new(
            3.0, 1.0, 3.0, 3.0, //
            0.0, 2.0, -5.0, 2.0, //
            7.0, 7.0, 7.0, 7.0,
        );
        check_unary_with(RowwiseMax, RowwiseMax, tied, None, 1e-5);
        let tied_late = Matrix1x4::new(-1.0, 4.0, 0.5, 4.0);
        check_unary_with(RowwiseMax, RowwiseMax, tied_late, None, 1e-5);
    }

    #[test]
    fn the_row_max_of_a_var_is_reached_through_a_fork() {
        // max(x) + sum(x) for one row: d/dx = e_argmax + 1.
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.5, -2.0, 6.0, 1.0));
        let y = x.rowwise_max() + x.sum();
        assert_eq!(y.value(), Matrix1::new(11.5));
        assert_eq!(*y.backward().wrt(x), Matrix1x4::new(1.0, 1.0, 2.0, 1.0));
    }

    #[test]
    fn large_and_tiny_values_and_nan() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3x4::new(
            -1e300,
            -f64::MAX,
            1e-300,
            -1e-300, //
            f64::MAX,
            1e308,
            -1e308,
            0.0, //
            1.0,
            f64::NAN,
            5.0,
            f64::NAN,
        ));
        let m = a.rowwise_max();
        let v = m.value();
        assert_eq!((v[0], v[1]), (1e-300, f64::MAX));
        assert!(v[2].is_nan(), "a NaN propagates: {v}");
        let grads = m.backward_with(Vector3::new(1.0, 1.0, 1.0));
        assert_eq!(grads.wrt(a).row(0), Matrix1x4::new(0.0, 0.0, 1.0, 0.0));
        assert_eq!(grads.wrt(a).row(2), Matrix1x4::new(0.0, 1.0, 0.0, 0.0));
    }
}
