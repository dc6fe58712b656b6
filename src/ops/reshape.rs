use nalgebra::SMatrix;

use crate::contract::shape::{Message, fail};
use crate::contract::{GradSlot, Op, RustExpr, layout};
use crate::graph::Var;
use crate::kernels::Real;

/// The same entries in a new shape, in column-major order (nalgebra's storage order).
///
/// ```text
/// Shape:    (R×C) → (R2×C2), R·C = R2·C2
/// Gradient: dA = dOut reshaped back to (R×C), column-major
/// ```
///
/// The output keeps the column-major sequence of entries: entry `(r, c)` of the input is entry
/// `k = r + c·R` of the sequence, and lands at `(k mod R2, k div R2)`. Sugar:
/// `a.reshape::<R2, C2>()`, and `a.flatten()` for the (R·C)×1 column.
///
/// The output shape is declared (turbofish or type annotation) and checked by a const
/// assertion, `R·C == R2·C2`, so it works for any size (a 28×28 image flattens to 784×1).
/// The assertion fires when the code is built (`cargo build`, `cargo test`), not in
/// `cargo check`: see `ui-tests/reshape_element_count.rs` and [`shape`](crate::shape).
///
/// ```
/// use nalgebra::{Matrix2x3, Matrix3x2, Vector6};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// // Rows (1 2 3), (4 5 6); stored column by column: 1 4 2 5 3 6.
/// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let b: Var<'_, f64, 3, 2> = a.reshape();
/// assert_eq!(b.value(), Matrix3x2::new(1.0, 5.0, 4.0, 3.0, 2.0, 6.0));
/// let f: Var<'_, f64, 6, 1> = a.flatten();
/// assert_eq!(f.value(), Vector6::new(1.0, 4.0, 2.0, 5.0, 3.0, 6.0));
///
/// // The gradient is dOut put back in the input's shape, in the same order.
/// let grads = f.backward_with(Vector6::new(1.0, 4.0, 2.0, 5.0, 3.0, 6.0));
/// assert_eq!(*grads.wrt(a), Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Reshape<const R2: usize, const C2: usize>;

impl<T: Real, const R: usize, const C: usize, const R2: usize, const C2: usize>
    Op<T, (SMatrix<T, R, C>,)> for Reshape<R2, C2>
{
    type Output = SMatrix<T, R2, C2>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::path(format!(
            "shapegrad::ops::Reshape::<{R2}, {C2}>"
        )))
    }

    fn name(&self) -> &'static str {
        "reshape"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R2, C2> {
        let () = SameElementCount::<R, C, R2, C2>::ASSERT;
        SMatrix::from_column_slice(a.as_slice())
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R2, C2>,
        d_out: &SMatrix<T, R2, C2>,
    ) -> (SMatrix<T, R, C>,) {
        (SMatrix::from_column_slice(d_out.as_slice()),)
    }

    /// Copies the entries into `out` in place: no temporary.
    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R2, C2>) {
        let () = SameElementCount::<R, C, R2, C2>::ASSERT;
        out.as_mut_slice().copy_from_slice(a.as_slice());
    }

    /// Writes (or adds) `dOut`'s entries, read in place as an R×C matrix, into dA.
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R2, C2>,
        d_out: &SMatrix<T, R2, C2>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        let () = SameElementCount::<R, C, R2, C2>::ASSERT;
        if let Some(d_a) = d_a {
            d_a.add(layout::matrix::<T, R, C>(d_out.as_slice()));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The same entries as an R2×C2 matrix, in column-major order; see
    /// [`Reshape`](crate::ops::Reshape). `R2·C2` must equal `R·C` (checked when built).
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector4};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let v = g.var(Vector4::new(1.0, 2.0, 3.0, 4.0));
    /// // Filled column by column: first column (1, 2), second (3, 4).
    /// assert_eq!(v.reshape::<2, 2>().value(), Matrix2::new(1.0, 3.0, 2.0, 4.0));
    /// ```
    #[track_caller]
    pub fn reshape<const R2: usize, const C2: usize>(self) -> Var<'g, T, R2, C2> {
        let () = SameElementCount::<R, C, R2, C2>::ASSERT;
        self.graph().apply(Reshape::<R2, C2>, (self,))
    }

    /// The entries as one (R·C)×1 column, in column-major order: a [`Reshape`](crate::ops::Reshape)
    /// to `N`×1, where `N` (= R·C, checked when built) comes from a type annotation or turbofish.
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector4};
    /// use shapegrad::Var;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let m = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// let v: Var<'_, f64, 4, 1> = m.flatten();
    /// assert_eq!(v.value(), Vector4::new(1.0, 3.0, 2.0, 4.0)); // column by column
    /// ```
    #[track_caller]
    pub fn flatten<const N: usize>(self) -> Var<'g, T, N, 1> {
        let () = SameElementCount::<R, C, N, 1>::ASSERT;
        self.reshape::<N, 1>()
    }
}

/// The element-count rule of [`Reshape`], evaluated when the code is built. The message leads
/// with the numbers (`reshape 2×3 → 4×2: 6 entries in, 8 out`), and the note below it points
/// at the caller's line, so the sugar methods evaluate it too.
struct SameElementCount<const R: usize, const C: usize, const R2: usize, const C2: usize>;

impl<const R: usize, const C: usize, const R2: usize, const C2: usize>
    SameElementCount<R, C, R2, C2>
{
    const ASSERT: () = if R * C != R2 * C2 {
        fail(Self::message())
    };

    const fn message() -> Message {
        Message::new("reshape ")
            .shape(R, C)
            .text(" → ")
            .shape(R2, C2)
            .text(": ")
            .number(R * C)
            .text(" entries in, ")
            .number(R2 * C2)
            .text(" out (reshape and flatten keep the number of entries, R·C = R2·C2)")
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix2x3, Matrix3x2, SMatrix};

    use super::Reshape;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values_follow_column_major_order() {
        let g = Graph::<f64>::new();
        // Entry (r, c) holds 10·r + c; column-major sequence 0, 10, 1, 11, 2, 12.
        let a = g.var(Matrix2x3::from_fn(|r, c| (10 * r + c) as f64));
        let b = a.reshape::<3, 2>();
        assert_eq!(b.value(), Matrix3x2::new(0.0, 11.0, 10.0, 2.0, 1.0, 12.0));
        let row = a.reshape::<1, 6>();
        let expected = [0.0, 10.0, 1.0, 11.0, 2.0, 12.0];
        assert_eq!(row.value().iter().copied().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn flatten_stacks_the_columns() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3x2::new(1.0, 4.0, 2.0, 5.0, 3.0, 6.0));
        let f = a.flatten::<6>();
        let expected = SMatrix::<f64, 6, 1>::from_column_slice(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(f.value(), expected);
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(220);
        check_unary(Reshape::<3, 4>, Reshape::<3, 4>, random::<2, 6>(&mut rng));
        check_unary(Reshape::<12, 1>, Reshape::<12, 1>, random::<4, 3>(&mut rng));
        check_unary(Reshape::<1, 1>, Reshape::<1, 1>, random::<1, 1>(&mut rng));
        check_unary(Reshape::<2, 3>, Reshape::<2, 3>, random::<2, 3>(&mut rng));
    }

    #[test]
    fn reshape_and_back_is_the_identity_with_identity_gradient() {
        let mut rng = rng(221);
        let g = Graph::<f64>::new();
        let x0 = random::<4, 6>(&mut rng);
        let x = g.var(x0);
        let y = x.reshape::<8, 3>().reshape::<4, 6>();
        assert_eq!(y.value(), x0);
        let d_out = random::<4, 6>(&mut rng);
        assert_eq!(*y.backward_with(d_out).wrt(x), d_out);
    }

    #[test]
    fn extreme_values_pass_unchanged() {
        let g = Graph::<f64>::new();
        let big = SMatrix::<f64, 2, 2>::new(f64::MAX, -f64::MIN_POSITIVE, 1e-300, -1e300);
        let a = g.var(big);
        let f = a.flatten::<4>();
        assert_eq!(f.value().as_slice(), big.as_slice());
        assert_eq!(*f.backward_with(f.value()).wrt(a), big);
    }

    #[test]
    fn flatten_past_127_rows() {
        // 12×12 = 144 > 127: past what `shape::Plus` computes, fine for a declared output.
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 12, 12>::from_fn(|r, c| (r + 12 * c) as f64));
        let f = a.flatten::<144>();
        assert!(f.value().iter().enumerate().all(|(k, &x)| x == k as f64));
        let d_out = SMatrix::<f64, 144, 1>::from_fn(|k, _| k as f64);
        assert_eq!(*f.backward_with(d_out).wrt(a), a.value());
    }
}
