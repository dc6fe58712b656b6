use nalgebra::{Const, SMatrix};

use crate::contract::shape::{Plus, SumIs};
use crate::contract::{GradSlot, Op, RustExpr, layout};
use crate::graph::Var;
use crate::kernels::Real;

/// Horizontal stacking: the columns of `a`, then the columns of `b`.
///
/// ```text
/// Shape:    (R×A), (R×B) → (R×(A+B))
/// Gradient: dA = dOut[:, 0..A] (R×A), dB = dOut[:, A..A+B] (R×B)
/// ```
///
/// The row rule is a typed equality (both inputs have the same `R`, or the call does not
/// compile: `ui-tests/hstack_row_mismatch.rs`). The output's column count `S = A + B`: the
/// sugar `a.hstack(b)` computes it through [`Plus`](crate::shape::Plus), so it is inferred and
/// checked by `cargo check`, while `A`, `B` and `A + B` are at most 127 (see
/// [`shape`](crate::shape) for why); past that, `a.hstack_to::<S, _>(b)` takes `S` declared and
/// checks `A + B = S` with a const assertion when the code is built, for any size. The op
/// itself, `Hstack::<S>`, checks the same assertion.
///
/// ```
/// use nalgebra::{Matrix2, Matrix2x3, Vector2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Vector2::new(1.0, 4.0));
/// let b = g.var(Matrix2::new(2.0, 3.0, 5.0, 6.0));
/// let c: Var<'_, f64, 2, 3> = a.hstack(b);
/// assert_eq!(c.value(), Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
///
/// // The gradients are the slices of dOut.
/// let d_out = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// let grads = c.backward_with(d_out);
/// assert_eq!(*grads.wrt(a), Vector2::new(1.0, 4.0));
/// assert_eq!(*grads.wrt(b), Matrix2::new(2.0, 3.0, 5.0, 6.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Hstack<const S: usize>;

impl<T: Real, const R: usize, const A: usize, const B: usize, const S: usize>
    Op<T, (SMatrix<T, R, A>, SMatrix<T, R, B>)> for Hstack<S>
{
    type Output = SMatrix<T, R, S>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::path(format!("shapegrad::ops::Hstack::<{S}>")))
    }

    fn name(&self) -> &'static str {
        "hstack"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, A>, &SMatrix<T, R, B>)) -> SMatrix<T, R, S> {
        let () = SumIs::<A, B, S>::ASSERT;
        let mut out = SMatrix::<T, R, S>::zeros();
        out.fixed_view_mut::<R, A>(0, 0).copy_from(a);
        out.fixed_view_mut::<R, B>(0, A).copy_from(b);
        out
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, A>, &SMatrix<T, R, B>),
        _out: &SMatrix<T, R, S>,
        d_out: &SMatrix<T, R, S>,
    ) -> (SMatrix<T, R, A>, SMatrix<T, R, B>) {
        let d_a = d_out.fixed_view::<R, A>(0, 0).into_owned();
        let d_b = d_out.fixed_view::<R, B>(0, A).into_owned();
        (d_a, d_b)
    }

    /// Copies `a` and `b` into `out` in place: column-major, they are its first R·A and its
    /// last R·B entries.
    #[inline]
    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, A>, &SMatrix<T, R, B>),
        out: &mut SMatrix<T, R, S>,
    ) {
        let () = SumIs::<A, B, S>::ASSERT;
        let (left, right) = out.as_mut_slice().split_at_mut(R * A);
        left.copy_from_slice(a.as_slice());
        right.copy_from_slice(b.as_slice());
    }

    /// Writes (or adds) `dOut`'s first R·A entries into dA and its last R·B into dB, each read
    /// in place as a matrix of its input's shape (each covers its whole gradient).
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, A>, &SMatrix<T, R, B>),
        _out: &SMatrix<T, R, S>,
        d_out: &SMatrix<T, R, S>,
        (d_a, d_b): (Option<GradSlot<'_, T, R, A>>, Option<GradSlot<'_, T, R, B>>),
    ) {
        let () = SumIs::<A, B, S>::ASSERT;
        let (left, right) = d_out.as_slice().split_at(R * A);
        if let Some(d_a) = d_a {
            d_a.add(layout::matrix::<T, R, A>(left));
        }
        if let Some(d_b) = d_b {
            d_b.add(layout::matrix::<T, R, B>(right));
        }
    }
}

impl<'g, T: Real, const R: usize, const A: usize> Var<'g, T, R, A> {
    /// Puts `other` to the right of `self`, see [`Hstack`](crate::ops::Hstack). The column
    /// count of the result is inferred.
    ///
    /// ```
    /// use nalgebra::{Matrix3x2, Vector3};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let left = g.var(Vector3::new(1.0, 2.0, 3.0));
    /// let right = g.var(Vector3::new(4.0, 5.0, 6.0));
    /// assert_eq!(left.hstack(right).value(), Matrix3x2::new(1.0, 4.0, 2.0, 5.0, 3.0, 6.0));
    /// ```
    #[track_caller]
    pub fn hstack<const B: usize, const S: usize>(self, other: Var<'g, T, R, B>) -> Var<'g, T, R, S>
    where
        Const<A>: Plus<B, Output = Const<S>>,
    {
        self.graph().apply(Hstack::<S>, (self, other))
    }

    /// [`hstack`](Var::hstack) with the column count `S = A + B` declared, for results past 127
    /// columns; `A + B = S` is checked when the code is built (a const assertion).
    ///
    /// ```
    /// use nalgebra::SMatrix;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(SMatrix::<f64, 2, 100>::repeat(1.0));
    /// let b = g.var(SMatrix::<f64, 2, 50>::repeat(2.0));
    /// let c = a.hstack_to::<150, _>(b);
    /// assert_eq!(c.value().column(120)[0], 2.0);
    /// ```
    #[track_caller]
    pub fn hstack_to<const S: usize, const B: usize>(
        self,
        other: Var<'g, T, R, B>,
    ) -> Var<'g, T, R, S> {
        let () = SumIs::<A, B, S>::ASSERT;
        self.graph().apply(Hstack::<S>, (self, other))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3x2, SMatrix};

    use super::Hstack;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3x2::new(1.0, 2.0, 6.0, 7.0, 11.0, 12.0));
        let b = g.var(SMatrix::<f64, 3, 3>::new(
            3.0, 4.0, 5.0, 8.0, 9.0, 10.0, 13.0, 14.0, 15.0,
        ));
        let expected = SMatrix::<f64, 3, 5>::from_row_slice(&[
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
        ]);
        assert_eq!(a.hstack(b).value(), expected);
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(210);
        check_binary(
            Hstack::<6>,
            Hstack::<6>,
            random::<3, 2>(&mut rng),
            random::<3, 4>(&mut rng),
        );
        check_binary(
            Hstack::<2>,
            Hstack::<2>,
            random::<1, 1>(&mut rng),
            random::<1, 1>(&mut rng),
        );
        check_binary(
            Hstack::<5>,
            Hstack::<5>,
            random::<1, 3>(&mut rng),
            random::<1, 2>(&mut rng),
        );
    }

    #[test]
    fn gradients_are_the_slices_of_d_out() {
        let mut rng = rng(211);
        let g = Graph::<f64>::new();
        let a = g.var(random::<4, 2>(&mut rng));
        let b = g.var(random::<4, 3>(&mut rng));
        let d_out = random::<4, 5>(&mut rng);
        let grads = a.hstack(b).backward_with(d_out);
        for r in 0..4 {
            for c in 0..2 {
                assert_eq!(grads.wrt(a)[(r, c)], d_out[(r, c)]);
            }
            for c in 0..3 {
                assert_eq!(grads.wrt(b)[(r, c)], d_out[(r, c + 2)]);
            }
        }
    }

    #[test]
    fn hstack_is_vstack_of_the_transposes_transposed() {
        let mut rng = rng(212);
        let g = Graph::<f64>::new();
        let a = g.var(random::<2, 3>(&mut rng));
        let b = g.var(random::<2, 1>(&mut rng));
        let lhs = a.hstack(b).value();
        let rhs = a.transpose().vstack(b.transpose()).transpose().value();
        assert_eq!(lhs, rhs);
    }

    #[test]
    fn a_declared_size_stacks_past_127_columns() {
        let mut rng = rng(212);
        let a = random::<2, 100>(&mut rng);
        let b = random::<2, 50>(&mut rng);
        check_binary(Hstack::<150>, Hstack::<150>, a, b);
        let g = Graph::<f64>::new();
        let c = g.var(a).hstack_to::<150, 50>(g.var(b));
        assert_eq!(c.value().fixed_view::<2, 50>(0, 100), b);
    }
}
