use nalgebra::SMatrix;

use crate::contract::shape::{Message, fail};
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// The R2×C2 block whose top-left entry is at the compile-time offset (I, J).
///
/// ```text
/// Shape:    (R×C) → (R2×C2), I + R2 ≤ R, J + C2 ≤ C
/// Gradient: dA = zeros (R×C) with dOut at rows I..I+R2, columns J..J+C2
/// ```
///
/// Like nalgebra's `fixed_view::<R2, C2>(i, j)`, with the offset in the type as well. The
/// output shape is declared by the turbofish, and a const assertion checks that the block lies
/// inside the matrix, for any size; it fires when the code is built (`cargo build`,
/// `cargo test`), not in `cargo check`: see `ui-tests/fixed_view_out_of_bounds.rs` and
/// [`shape`](crate::shape). Sugar: `a.fixed_view::<R2, C2, I, J>()`.
///
/// ```
/// use nalgebra::{Matrix2, Matrix3};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0));
/// let b: Var<'_, f64, 2, 2> = a.fixed_view::<2, 2, 1, 0>(); // rows 1..3, columns 0..2
/// assert_eq!(b.value(), Matrix2::new(4.0, 5.0, 7.0, 8.0));
///
/// // The gradient is dOut scattered into zeros of a's shape.
/// let grads = b.backward_with(Matrix2::new(1.0, 2.0, 3.0, 4.0));
/// assert_eq!(*grads.wrt(a), Matrix3::new(0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0, 4.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedView<const R2: usize, const C2: usize, const I: usize, const J: usize>;

impl<
    T: Real,
    const R: usize,
    const C: usize,
    const R2: usize,
    const C2: usize,
    const I: usize,
    const J: usize,
> Op<T, (SMatrix<T, R, C>,)> for FixedView<R2, C2, I, J>
{
    type Output = SMatrix<T, R2, C2>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::path(format!(
            "shapegrad::ops::FixedView::<{R2}, {C2}, {I}, {J}>"
        )))
    }

    fn name(&self) -> &'static str {
        "fixed_view"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R2, C2> {
        let () = BlockInside::<R, C, R2, C2, I, J>::ASSERT;
        a.fixed_view::<R2, C2>(I, J).into_owned()
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R2, C2>,
        d_out: &SMatrix<T, R2, C2>,
    ) -> (SMatrix<T, R, C>,) {
        let mut d_a = SMatrix::<T, R, C>::zeros();
        d_a.fixed_view_mut::<R2, C2>(I, J).copy_from(d_out);
        (d_a,)
    }

    /// Copies the block into `out` in place: no temporary.
    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R2, C2>) {
        let () = BlockInside::<R, C, R2, C2, I, J>::ASSERT;
        out.copy_from(&a.fixed_view::<R2, C2>(I, J));
    }

    /// Adds `d_out` into the block of the input's gradient, without an R×C temporary
    /// (on the pass's first contribution, the rest of dA is zeroed in place).
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R2, C2>,
        d_out: &SMatrix<T, R2, C2>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            if !add {
                d_a.fill(T::zero()); // the pass's first contribution: the rest of dA is zero
            }
            let mut block = d_a.fixed_view_mut::<R2, C2>(I, J);
            block += d_out;
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// The R2×C2 block at rows `I..I+R2`, columns `J..J+C2`, see
    /// [`FixedView`](crate::ops::FixedView). A block past the matrix fails to build.
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Vector2};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// assert_eq!(a.fixed_view::<2, 1, 0, 2>().value(), Vector2::new(3.0, 6.0));
    /// ```
    #[track_caller]
    pub fn fixed_view<const R2: usize, const C2: usize, const I: usize, const J: usize>(
        self,
    ) -> Var<'g, T, R2, C2> {
        let () = BlockInside::<R, C, R2, C2, I, J>::ASSERT;
        self.graph().apply(FixedView::<R2, C2, I, J>, (self,))
    }
}

/// The bounds rule of [`FixedView`], evaluated when the code is built. The message leads with
/// the numbers (`fixed_view: the block needs rows 2..4, past the 3 rows of the 3×4 matrix`),
/// and the note below it points at the caller's line, so the sugar method evaluates it too.
struct BlockInside<
    const R: usize,
    const C: usize,
    const R2: usize,
    const C2: usize,
    const I: usize,
    const J: usize,
>;

impl<
    const R: usize,
    const C: usize,
    const R2: usize,
    const C2: usize,
    const I: usize,
    const J: usize,
> BlockInside<R, C, R2, C2, I, J>
{
    // Written so that no subtraction underflows: `I <= R - R2` only once `R2 <= R`.
    const ASSERT: () = if !(R2 <= R && I <= R - R2) {
        fail(Self::message("rows", I, R2, R))
    } else if !(C2 <= C && J <= C - C2) {
        fail(Self::message("columns", J, C2, C))
    };

    /// `fixed_view: a 2×2 block at (2, 1) of a 3×4 matrix needs rows 2..4, past its 3 rows`.
    const fn message(what: &str, offset: usize, size: usize, length: usize) -> Message {
        Self::block()
            .text(what)
            .text(" ")
            .number(offset)
            .text("..")
            .number(offset + size)
            .text(", past its ")
            .number(length)
            .text(" ")
            .text(what)
    }

    /// `fixed_view: a 2×2 block at (2, 1) of a 3×4 matrix needs `.
    const fn block() -> Message {
        Message::new("fixed_view: a ")
            .shape(R2, C2)
            .text(" block at (")
            .number(I)
            .text(", ")
            .number(J)
            .text(") of a ")
            .shape(R, C)
            .text(" matrix needs ")
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x2, SMatrix};

    use super::FixedView;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 3, 4>::from_fn(|r, c| (10 * r + c) as f64));
        assert_eq!(
            a.fixed_view::<1, 2, 2, 1>().value(),
            Matrix1x2::new(21.0, 22.0)
        );
        assert_eq!(a.fixed_view::<3, 4, 0, 0>().value(), a.value());
        assert_eq!(a.fixed_view::<1, 1, 2, 3>().value()[0], 23.0); // the last entry
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(230);
        let op = FixedView::<2, 3, 1, 2>;
        check_unary(op, op, random::<4, 5>(&mut rng));
        let corner = FixedView::<1, 1, 0, 0>;
        check_unary(corner, corner, random::<1, 1>(&mut rng));
        let row = FixedView::<1, 2, 0, 1>;
        check_unary(row, row, random::<1, 3>(&mut rng));
    }

    #[test]
    fn gradient_is_scattered_into_zeros() {
        let mut rng = rng(231);
        let g = Graph::<f64>::new();
        let a = g.var(random::<4, 5>(&mut rng));
        let d_out = random::<2, 3>(&mut rng);
        let grads = a.fixed_view::<2, 3, 1, 2>().backward_with(d_out);
        let d_a = grads.wrt(a);
        for r in 0..4 {
            for c in 0..5 {
                let inside = (1..3).contains(&r) && (2..5).contains(&c);
                let expected = if inside { d_out[(r - 1, c - 2)] } else { 0.0 };
                assert_eq!(d_a[(r, c)], expected, "entry ({r}, {c})");
            }
        }
    }

    #[test]
    fn overlapping_views_add_their_gradients() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 1, 3>::zeros());
        let left = a.fixed_view::<1, 2, 0, 0>();
        let right = a.fixed_view::<1, 2, 0, 1>();
        let grads = (left + right).sum().backward();
        assert_eq!(*grads.wrt(a), SMatrix::<f64, 1, 3>::new(1.0, 2.0, 1.0));
    }
}
