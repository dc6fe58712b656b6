use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Element-wise division of two matrices of equal shape: `a ⊘ b`, entry by entry `a / b`.
///
/// ```text
/// Shape:    (R×C) ⊘ (R×C) → (R×C)
/// Gradient: dA = dOut ⊘ B (R×C), dB = −dOut ∘ y ⊘ B (R×C), where y = a ⊘ b is the cached output
/// ```
///
/// The shapes must be equal (typed equality): `(2×3) ⊘ (2×4)` does not compile. `dB` is
/// `−dOut ∘ a ⊘ b²`, computed as `−dOut ∘ (y ⊘ b)` from the cached output.
///
/// Division by zero follows IEEE 754, as `f64` division does, with the gradients it implies:
/// * `a ≠ 0, b = ±0`: value `±inf` (the sign of `a` times the sign of the zero); `dA = dOut/b`
///   and `dB = −dOut·y/b` are infinite too (NaN where `dOut = 0`);
/// * `a = 0, b = ±0`: value NaN, `dA = dOut/b = ±inf` (∂y/∂a = 1/b whatever `a` is), `dB` NaN;
/// * `a` finite, `b = ±∞`: value `±0`, `dA = dOut/b = ±0` and `dB = −dOut·y/b = ∓0`;
///   `a = ±∞` gives an infinite value and `dB`, and `a = b = ±∞` NaN.
///
/// Sugar: `a.component_div(b)`, nalgebra's name (`/` is not defined between matrices).
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(6.0, 1.0));
/// let b = g.var(Matrix1x2::new(2.0, -4.0));
/// let y: Var<'_, f64, 1, 2> = a.component_div(b);
/// assert_eq!(y.value(), Matrix1x2::new(3.0, -0.25));
/// let grads = y.sum().backward();
/// assert_eq!(*grads.wrt(a), Matrix1x2::new(0.5, -0.25)); // 1/b
/// assert_eq!(*grads.wrt(b), Matrix1x2::new(-1.5, -0.0625)); // −a/b²
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ComponentDiv;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>)>
    for ComponentDiv
{
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("ComponentDiv"))
    }

    fn name(&self) -> &'static str {
        "component_div"
    }

    fn forward(&self, (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>)) -> SMatrix<T, R, C> {
        a.component_div(b)
    }

    fn backward(
        &self,
        (_a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
        let d_a = d_out.component_div(b);
        let y_over_b = out.component_div(b);
        let d_b = -d_out.component_mul(&y_over_b);
        (d_a, d_b)
    }

    fn forward_into(
        &self,
        (a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        out: &mut SMatrix<T, R, C>,
    ) {
        out.copy_from(a);
        out.component_div_assign(b);
    }

    fn backward_into(
        &self,
        (_a, b): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a, d_b): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, b, |d, b| d / b);
        }
        if let Some(d_b) = d_b {
            // −dOut ∘ y ⊘ b, in backward's order of operations (so both give the same bits).
            let (matrix, add) = d_b.into_parts();
            for ((g, &d), (&y, &b)) in matrix
                .iter_mut()
                .zip(d_out.iter())
                .zip(out.iter().zip(b.iter()))
            {
                let contribution = -(d * (y / b));
                *g = if add { *g + contribution } else { contribution };
            }
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Element-wise division `self ⊘ rhs`, see [`ComponentDiv`](crate::ops::ComponentDiv).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(nalgebra::Vector2::new(1.0, 9.0));
    /// let b = g.var(nalgebra::Vector2::new(4.0, 3.0));
    /// assert_eq!(a.component_div(b).value(), nalgebra::Vector2::new(0.25, 3.0));
    /// ```
    #[track_caller]
    pub fn component_div(self, rhs: Var<'g, T, R, C>) -> Var<'g, T, R, C> {
        self.graph().apply(ComponentDiv, (self, rhs))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix1x3, Matrix3x4};

    use super::ComponentDiv;
    use crate::diff::testing::{away_from_zero, check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix1x3::new(1.0, -6.0, 0.0));
        let b = g.var(Matrix1x3::new(8.0, 1.5, -2.0));
        assert_eq!(
            a.component_div(b).value(),
            Matrix1x3::new(0.125, -4.0, -0.0)
        );
    }

    #[test]
    fn gradcheck_random_away_from_zero_divisors() {
        let mut rng = rng(310);
        let a: Matrix3x4<f64> = random(&mut rng);
        let b = away_from_zero(random::<3, 4>(&mut rng), 0.25);
        check_binary(ComponentDiv, ComponentDiv, a, b);
        let b1 = random::<1, 1>(&mut rng).add_scalar(2.0);
        check_binary(ComponentDiv, ComponentDiv, random::<1, 1>(&mut rng), b1);
    }

    #[test]
    fn gradients_are_one_over_b_and_minus_a_over_b_squared() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix1::new(3.0));
        let b = g.var(Matrix1::new(-0.5));
        let grads = a.component_div(b).backward_with(Matrix1::new(2.0));
        assert_eq!(grads.wrt(a)[0], 2.0 / -0.5);
        assert_eq!(grads.wrt(b)[0], -2.0 * 3.0 / 0.25);
    }

    #[test]
    fn a_var_divided_by_itself_has_zero_gradient() {
        // y = x/x = 1: the two paths, 1/x and −x/x², cancel at the fork.
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(0.7, -3.0, 12.0));
        let y = x.component_div(x);
        assert_eq!(y.value(), Matrix1x3::repeat(1.0));
        let grads = y.backward_with(Matrix1x3::new(1.0, 2.0, 3.0));
        assert!(grads.wrt(x).abs().max() < 1e-15, "{}", grads.wrt(x));
    }

    #[test]
    fn division_by_zero() {
        let inf = f64::INFINITY;
        let g = Graph::<f64>::new();
        let a = g.var(Matrix1x3::new(1.0, 1.0, 0.0));
        let b = g.var(Matrix1x3::new(0.0, -0.0, 0.0));
        let y = a.component_div(b);
        let v = y.value();
        assert_eq!((v[0], v[1]), (inf, -inf));
        assert!(v[2].is_nan());
        let grads = y.backward_with(Matrix1x3::repeat(1.0));
        assert_eq!(*grads.wrt(a), Matrix1x3::new(inf, -inf, inf));
        // ∂(a/b)/∂b = −a/b² → −inf from either zero when a = 1.
        let d_b = grads.wrt(b);
        assert_eq!((d_b[0], d_b[1]), (-inf, -inf));
        assert!(d_b[2].is_nan());
    }
}
