use nalgebra::{Const, SMatrix};

use crate::contract::shape::{Plus, SumIs};
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Vertical stacking: the rows of `a`, then the rows of `b`.
///
/// ```text
/// Shape:    (A×C), (B×C) → ((A+B)×C)
/// Gradient: dA = dOut[0..A, :] (A×C), dB = dOut[A..A+B, :] (B×C)
/// ```
///
/// The column rule is a typed equality (both inputs have the same `C`, or the call does not
/// compile: `ui-tests/vstack_column_mismatch.rs`). The output's row count `S = A + B`: the sugar
/// `a.vstack(b)` computes it through [`Plus`](crate::shape::Plus), so it is inferred and checked
/// by `cargo check`, while `A`, `B` and `A + B` are at most 127 (see [`shape`](crate::shape)
/// for why); past that, `a.vstack_to::<S, _>(b)` takes `S` declared and checks `A + B = S` with a
/// const assertion when the code is built, for any size. The op itself, `Vstack::<S>`, checks
/// the same assertion.
///
/// ```
/// use nalgebra::{Matrix1x2, Matrix2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(1.0, 2.0));
/// let b = g.var(Matrix2::new(3.0, 4.0, 5.0, 6.0));
/// let c: Var<'_, f64, 3, 2> = a.vstack(b);
/// assert_eq!(c.value().row(2).iter().copied().collect::<Vec<_>>(), [5.0, 6.0]);
///
/// // The gradients are the slices of dOut.
/// let d_out = nalgebra::Matrix3x2::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// let grads = c.backward_with(d_out);
/// assert_eq!(*grads.wrt(a), Matrix1x2::new(1.0, 2.0));
/// assert_eq!(*grads.wrt(b), Matrix2::new(3.0, 4.0, 5.0, 6.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Vstack<const S: usize>;

impl<T: Real, const A: usize, const B: usize, const C: usize, const S: usize>
    Op<T, (SMatrix<T, A, C>, SMatrix<T, B, C>)> for Vstack<S>
{
    type Output = SMatrix<T, S, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::path(format!("shapegrad::ops::Vstack::<{S}>")))
    }

    fn name(&self) -> &'static str {
        "vstack"
    }

    fn forward(&self, (a, b): (&SMatrix<T, A, C>, &SMatrix<T, B, C>)) -> SMatrix<T, S, C> {
        let () = SumIs::<A, B, S>::ASSERT;
        let mut out = SMatrix::<T, S, C>::zeros();
        out.fixed_view_mut::<A, C>(0, 0).copy_from(a);
        out.fixed_view_mut::<B, C>(A, 0).copy_from(b);
        out
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, A, C>, &SMatrix<T, B, C>),
        _out: &SMatrix<T, S, C>,
        d_out: &SMatrix<T, S, C>,
    ) -> (SMatrix<T, A, C>, SMatrix<T, B, C>) {
        let d_a = d_out.fixed_view::<A, C>(0, 0).into_owned();
        let d_b = d_out.fixed_view::<B, C>(A, 0).into_owned();
        (d_a, d_b)
    }

    /// Copies `a` and `b` into the top and bottom rows of `out` in place: no temporary.
    #[inline]
    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, A, C>, &SMatrix<T, B, C>),
        out: &mut SMatrix<T, S, C>,
    ) {
        let () = SumIs::<A, B, S>::ASSERT;
        out.fixed_view_mut::<A, C>(0, 0).copy_from(a);
        out.fixed_view_mut::<B, C>(A, 0).copy_from(b);
    }

    /// Writes (or adds) the top and bottom rows of `dOut`, read in place, into dA and dB
    /// (each slice covers its whole gradient, so nothing is left stale).
    #[inline]
    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, A, C>, &SMatrix<T, B, C>),
        _out: &SMatrix<T, S, C>,
        d_out: &SMatrix<T, S, C>,
        (d_a, d_b): (Option<GradSlot<'_, T, A, C>>, Option<GradSlot<'_, T, B, C>>),
    ) {
        let () = SumIs::<A, B, S>::ASSERT;
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            let top = d_out.fixed_view::<A, C>(0, 0);
            if add {
                *d_a += &top;
            } else {
                d_a.copy_from(&top);
            }
        }
        if let Some(d_b) = d_b {
            let (d_b, add) = d_b.into_parts();
            let bottom = d_out.fixed_view::<B, C>(A, 0);
            if add {
                *d_b += &bottom;
            } else {
                d_b.copy_from(&bottom);
            }
        }
    }
}

impl<'g, T: Real, const A: usize, const C: usize> Var<'g, T, A, C> {
    /// Stacks `self` on top of `other`, see [`Vstack`](crate::ops::Vstack). The row count of
    /// the result is inferred.
    ///
    /// ```
    /// use nalgebra::{RowVector3, Matrix2x3};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let top = g.var(RowVector3::new(1.0, 2.0, 3.0));
    /// let bottom = g.var(RowVector3::new(4.0, 5.0, 6.0));
    /// assert_eq!(top.vstack(bottom).value(), Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// ```
    #[track_caller]
    pub fn vstack<const B: usize, const S: usize>(self, other: Var<'g, T, B, C>) -> Var<'g, T, S, C>
    where
        Const<A>: Plus<B, Output = Const<S>>,
    {
        self.graph().apply(Vstack::<S>, (self, other))
    }

    /// [`vstack`](Var::vstack) with the row count `S = A + B` declared, for results past 127
    /// rows; `A + B = S` is checked when the code is built (a const assertion).
    ///
    /// ```
    /// use nalgebra::SMatrix;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(SMatrix::<f64, 100, 2>::repeat(1.0));
    /// let b = g.var(SMatrix::<f64, 50, 2>::repeat(2.0));
    /// let c = a.vstack_to::<150, _>(b); // a.vstack(b) would pass the 127 of computed sizes
    /// assert_eq!(c.value().row(120)[0], 2.0);
    /// ```
    #[track_caller]
    pub fn vstack_to<const S: usize, const B: usize>(
        self,
        other: Var<'g, T, B, C>,
    ) -> Var<'g, T, S, C> {
        let () = SumIs::<A, B, S>::ASSERT;
        self.graph().apply(Vstack::<S>, (self, other))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix2x3, Matrix3, SMatrix};

    use super::Vstack;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
        let b = g.var(Matrix3::new(
            7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
        ));
        let expected = SMatrix::<f64, 5, 3>::from_row_slice(&[
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
        ]);
        assert_eq!(a.vstack(b).value(), expected);
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(200);
        check_binary(
            Vstack::<6>,
            Vstack::<6>,
            random::<2, 3>(&mut rng),
            random::<4, 3>(&mut rng),
        );
        check_binary(
            Vstack::<2>,
            Vstack::<2>,
            random::<1, 1>(&mut rng),
            random::<1, 1>(&mut rng),
        );
        check_binary(
            Vstack::<4>,
            Vstack::<4>,
            random::<1, 5>(&mut rng),
            random::<3, 5>(&mut rng),
        );
    }

    #[test]
    fn gradients_are_the_slices_of_d_out() {
        let mut rng = rng(201);
        let g = Graph::<f64>::new();
        let a = g.var(random::<2, 4>(&mut rng));
        let b = g.var(random::<3, 4>(&mut rng));
        let d_out = random::<5, 4>(&mut rng);
        let grads = a.vstack(b).backward_with(d_out);
        for c in 0..4 {
            for r in 0..2 {
                assert_eq!(grads.wrt(a)[(r, c)], d_out[(r, c)]);
            }
            for r in 0..3 {
                assert_eq!(grads.wrt(b)[(r, c)], d_out[(r + 2, c)]);
            }
        }
    }

    #[test]
    fn stacking_a_var_on_itself_adds_both_halves() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix2x3::repeat(1.0));
        let d_out = SMatrix::<f64, 4, 3>::from_fn(|r, c| (10 * r + c) as f64);
        let grads = x.vstack(x).backward_with(d_out);
        let expected = Matrix2x3::from_fn(|r, c| (10 * r + c) as f64 + (10 * (r + 2) + c) as f64);
        assert_eq!(*grads.wrt(x), expected);
    }

    #[test]
    fn largest_computed_sum_is_127() {
        let g = Graph::<f64>::new();
        let a = g.var(SMatrix::<f64, 100, 1>::repeat(1.0));
        let b = g.var(SMatrix::<f64, 27, 1>::repeat(2.0));
        let c = a.vstack(b);
        assert_eq!(c.value().sum(), 100.0 + 54.0);
        assert_eq!(c.value()[(100, 0)], 2.0);
    }

    #[test]
    fn a_declared_size_stacks_past_127_rows() {
        let mut rng = rng(202);
        let a = random::<100, 2>(&mut rng);
        let b = random::<50, 2>(&mut rng);
        check_binary(Vstack::<150>, Vstack::<150>, a, b);
        let g = Graph::<f64>::new();
        let c = g.var(a).vstack_to::<150, 50>(g.var(b));
        assert_eq!(c.value().fixed_view::<50, 2>(100, 0), b);
    }
}
