//! Jacobians with respect to several vars at once: `jacobian(y, (x, u))` gives the blocks
//! `(∂y/∂x, ∂y/∂u)` from one set of backward passes, and [`side_by_side`] joins blocks into
//! one matrix `[∂y/∂x ∂y/∂u]`.

use nalgebra::SMatrix;

use crate::contract::shape::{Message, fail};
use crate::diff::jacobian::{JacobianOf, gradient_of, output_after_input};
use crate::graph::Var;
use crate::kernels::Real;

/// The unit vector eᵢ, the seed of row `i`.
fn unit<T: Real, const M: usize>(i: usize) -> SMatrix<T, M, 1> {
    let mut seed = SMatrix::<T, M, 1>::zeros();
    seed[i] = T::one();
    seed
}

impl<'g, T: Real, const M: usize, const N1: usize, const N2: usize>
    JacobianOf<(Var<'g, T, N1, 1>, Var<'g, T, N2, 1>)> for Var<'g, T, M, 1>
{
    type Matrix = (SMatrix<T, M, N1>, SMatrix<T, M, N2>);

    #[track_caller]
    fn jacobian_wrt(self, (x1, x2): (Var<'g, T, N1, 1>, Var<'g, T, N2, 1>)) -> Self::Matrix {
        output_after_input("jacobian", self, x1);
        output_after_input("jacobian", self, x2);
        let mut j1 = SMatrix::<T, M, N1>::zeros();
        let mut j2 = SMatrix::<T, M, N2>::zeros();
        for i in 0..M {
            let grads = self.backward_with(unit::<T, M>(i));
            j1.set_row(i, &gradient_of("jacobian", &grads, x1).transpose());
            j2.set_row(i, &gradient_of("jacobian", &grads, x2).transpose());
        }
        (j1, j2)
    }
}

impl<'g, T: Real, const M: usize, const N1: usize, const N2: usize, const N3: usize>
    JacobianOf<(Var<'g, T, N1, 1>, Var<'g, T, N2, 1>, Var<'g, T, N3, 1>)> for Var<'g, T, M, 1>
{
    type Matrix = (SMatrix<T, M, N1>, SMatrix<T, M, N2>, SMatrix<T, M, N3>);

    #[track_caller]
    fn jacobian_wrt(
        self,
        (x1, x2, x3): (Var<'g, T, N1, 1>, Var<'g, T, N2, 1>, Var<'g, T, N3, 1>),
    ) -> Self::Matrix {
        output_after_input("jacobian", self, x1);
        output_after_input("jacobian", self, x2);
        output_after_input("jacobian", self, x3);
        let mut j1 = SMatrix::<T, M, N1>::zeros();
        let mut j2 = SMatrix::<T, M, N2>::zeros();
        let mut j3 = SMatrix::<T, M, N3>::zeros();
        for i in 0..M {
            let grads = self.backward_with(unit::<T, M>(i));
            j1.set_row(i, &gradient_of("jacobian", &grads, x1).transpose());
            j2.set_row(i, &gradient_of("jacobian", &grads, x2).transpose());
            j3.set_row(i, &gradient_of("jacobian", &grads, x3).transpose());
        }
        (j1, j2, j3)
    }
}

/// Blocks with `M` rows each, as [`jacobian`](crate::jacobian::jacobian) returns them for a
/// tuple of vars: tuples of two or three `SMatrix<T, M, _>`. Sealed; see [`side_by_side`].
pub trait Blocks<T: Real, const M: usize>: sealed::Sealed {
    /// The total number of columns.
    const COLUMNS: usize;

    #[doc(hidden)]
    fn write_into<const S: usize>(&self, out: &mut SMatrix<T, M, S>);
}

mod sealed {
    pub trait Sealed {}
}

impl<T: Real, const M: usize, const N1: usize, const N2: usize> sealed::Sealed
    for (SMatrix<T, M, N1>, SMatrix<T, M, N2>)
{
}

impl<T: Real, const M: usize, const N1: usize, const N2: usize> Blocks<T, M>
    for (SMatrix<T, M, N1>, SMatrix<T, M, N2>)
{
    const COLUMNS: usize = N1 + N2;

    fn write_into<const S: usize>(&self, out: &mut SMatrix<T, M, S>) {
        out.fixed_view_mut::<M, N1>(0, 0).copy_from(&self.0);
        out.fixed_view_mut::<M, N2>(0, N1).copy_from(&self.1);
    }
}

impl<T: Real, const M: usize, const N1: usize, const N2: usize, const N3: usize> sealed::Sealed
    for (SMatrix<T, M, N1>, SMatrix<T, M, N2>, SMatrix<T, M, N3>)
{
}

impl<T: Real, const M: usize, const N1: usize, const N2: usize, const N3: usize> Blocks<T, M>
    for (SMatrix<T, M, N1>, SMatrix<T, M, N2>, SMatrix<T, M, N3>)
{
    const COLUMNS: usize = N1 + N2 + N3;

    fn write_into<const S: usize>(&self, out: &mut SMatrix<T, M, S>) {
        out.fixed_view_mut::<M, N1>(0, 0).copy_from(&self.0);
        out.fixed_view_mut::<M, N2>(0, N1).copy_from(&self.1);
        out.fixed_view_mut::<M, N3>(0, N1 + N2).copy_from(&self.2);
    }
}

/// Blocks of `M` rows joined left to right into one `M×S` matrix, `S` the sum of their
/// columns: the Jacobian with respect to several vars as one matrix, `[∂y/∂x ∂y/∂u]`.
///
/// `S` is declared (a type annotation) and checked when the code is built (a const
/// assertion, any size; `cargo check` does not report it): `side_by_side: the blocks have 6
/// columns, not the declared 7`.
///
/// ```
/// use nalgebra::{Matrix2, SMatrix, Vector1, Vector2};
/// use shapegrad::{Graph, jacobian::{jacobian, side_by_side}};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Vector2::new(1.0, 2.0));
/// let u = g.var(Vector1::new(3.0));
/// let a = g.constant(Matrix2::new(1.0, 0.5, 0.0, 1.0));
/// let b = g.constant(Vector2::new(0.0, 2.0));
/// let next = a * x + b * u; // x' = A·x + B·u
///
/// let (d_x, d_u) = jacobian(next, (x, u)); // the blocks: 2×2 and 2×1
/// assert_eq!(d_x, a.value());
/// assert_eq!(d_u, b.value());
/// let joined: SMatrix<f64, 2, 3> = side_by_side((d_x, d_u));
/// assert_eq!(joined, SMatrix::<f64, 2, 3>::new(1.0, 0.5, 0.0, 0.0, 1.0, 2.0));
/// ```
pub fn side_by_side<T: Real, const M: usize, const S: usize>(
    blocks: impl Blocks<T, M>,
) -> SMatrix<T, M, S> {
    side_by_side_checked::<T, M, S, _>(&blocks)
}

fn side_by_side_checked<T: Real, const M: usize, const S: usize, B: Blocks<T, M>>(
    blocks: &B,
) -> SMatrix<T, M, S> {
    const {
        if B::COLUMNS != S {
            fail(
                Message::new("side_by_side: the blocks have ")
                    .number(B::COLUMNS)
                    .text(" columns, not the declared ")
                    .number(S),
            )
        }
    }
    let mut out = SMatrix::<T, M, S>::zeros();
    blocks.write_into(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use nalgebra::{SMatrix, Vector2, Vector3, Vector4};

    use super::side_by_side;
    use crate::diff::jacobian::{jacobian, numerical_jacobian};
    use crate::diff::testing::{random, rng};
    use crate::graph::Graph;

    #[test]
    fn blocks_agree_with_one_jacobian_per_var() {
        let mut rng = rng(1000);
        let g = Graph::<f64>::new();
        let x = g.var(random::<3, 1>(&mut rng));
        let u = g.var(random::<2, 1>(&mut rng));
        let p = g.var(random::<1, 1>(&mut rng));
        let w = g.constant(random::<4, 3>(&mut rng));
        let v = g.constant(random::<4, 2>(&mut rng));
        let y = ((w * x).tanh() + v * u.sin())
            .component_mul(g.constant(SMatrix::<f64, 4, 1>::repeat(1.0)) * p);
        let (j_x, j_u) = jacobian(y, (x, u));
        assert_eq!(j_x, jacobian(y, x));
        assert_eq!(j_u, jacobian(y, u));
        let (j_x3, j_u3, j_p) = jacobian(y, (x, u, p));
        assert_eq!((j_x3, j_u3), (j_x, j_u));
        assert_eq!(j_p, jacobian(y, p));
        assert!((j_x - numerical_jacobian(y, x, 1e-6)).amax() < 1e-8);
        assert!((j_p - numerical_jacobian(y, p, 1e-6)).amax() < 1e-8);

        let joined: SMatrix<f64, 4, 6> = side_by_side((j_x, j_u, j_p));
        assert_eq!(joined.fixed_columns::<3>(0), j_x);
        assert_eq!(joined.fixed_columns::<2>(3), j_u);
        assert_eq!(joined.fixed_columns::<1>(5), j_p);
    }

    #[test]
    fn the_same_var_twice_and_a_var_the_output_ignores() {
        let g = Graph::<f64>::new();
        let x = g.var(Vector2::new(1.0, 2.0));
        let unused = g.var(Vector3::new(0.0, 0.0, 0.0));
        let y = x.component_mul(x); // recorded after both
        let (a, b, c) = jacobian(y, (x, unused, x));
        assert_eq!(a, SMatrix::<f64, 2, 2>::new(2.0, 0.0, 0.0, 4.0));
        assert_eq!(b, SMatrix::<f64, 2, 3>::zeros());
        assert_eq!(a, c);
    }

    #[test]
    #[should_panic(expected = "jacobian(y, x) was given the output y")]
    fn an_input_recorded_after_the_output_panics() {
        let g = Graph::<f64>::new();
        let x = g.var(Vector2::new(1.0, 2.0));
        let y = x.component_mul(x);
        let late = g.var(Vector4::repeat(1.0));
        let _ = jacobian(y, (x, late));
    }
}
