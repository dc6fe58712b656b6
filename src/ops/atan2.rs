use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Two-argument arctangent, element-wise: `atan2(y, x)`, the angle of the point (x, y) in
/// (−π, π], as `f64::atan2` (`y.atan2(x)`).
///
/// ```text
/// Shape:    atan2((R×C), (R×C)) → (R×C)
/// Gradient: dY = dOut ∘ x/(x² + y²) (R×C), dX = −dOut ∘ y/(x² + y²) (R×C); both 0 at x = y = 0
/// ```
///
/// The first input is `y`, the second `x`, as in `f64::atan2` and `y.atan2(x)`. The shapes
/// must be equal (typed equality).
///
/// At the origin the angle has no limit. The value is `f64::atan2`'s, which follows the signs
/// of the zeros (`atan2(0, 0) = 0`, `atan2(0, −0) = π`, `atan2(−0, −0) = −π`), and **both
/// gradients are 0** there (no NaN), the same convention as [`Norm`](crate::ops::Norm)'s at
/// 0. On the negative x-axis the value jumps by 2π (from π at `y = +0` to −π at `y = −0`);
/// the gradient there is that of either side, `dY = dOut/x`, `dX = 0`. `x² + y²` is computed
/// scaled by `max(|x|, |y|)`, so the gradient neither underflows to 0 for tiny inputs nor
/// overflows for huge ones. Sugar: `y.atan2(x)`.
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let y = g.var(Matrix1x3::new(1.0, 1.0, 0.0));
/// let x = g.var(Matrix1x3::new(1.0, -1.0, 0.0));
/// let angle: Var<'_, f64, 1, 3> = y.atan2(x);
/// let pi = std::f64::consts::PI;
/// assert_eq!(angle.value(), Matrix1x3::new(pi / 4.0, 3.0 * pi / 4.0, 0.0));
/// let grads = angle.sum().backward();
/// assert_eq!(*grads.wrt(y), Matrix1x3::new(0.5, -0.5, 0.0)); // x/(x² + y²); 0 at the origin
/// assert_eq!(*grads.wrt(x), Matrix1x3::new(-0.5, -0.5, 0.0)); // −y/(x² + y²)
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Atan2;

/// `(x/(x² + y²), −y/(x² + y²))`, scaled by `max(|x|, |y|)`; `(0, 0)` at the origin.
fn local_gradient<T: Real>(y: T, x: T) -> (T, T) {
    let s = x.abs().max(y.abs());
    if s == T::zero() {
        return (T::zero(), T::zero());
    }
    let (xs, ys) = (x / s, y / s);
    let denominator = s * (xs * xs + ys * ys);
    (xs / denominator, -ys / denominator)
}

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, SMatrix<T, R, C>)>
    for Atan2
{
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Atan2"))
    }

    fn name(&self) -> &'static str {
        "atan2"
    }

    fn forward(&self, (y, x): (&SMatrix<T, R, C>, &SMatrix<T, R, C>)) -> SMatrix<T, R, C> {
        y.zip_map(x, |y, x| y.atan2(x))
    }

    fn backward(
        &self,
        (y, x): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, SMatrix<T, R, C>) {
        let d_y = y.zip_zip_map(x, d_out, |y, x, d| d * local_gradient(y, x).0);
        let d_x = y.zip_zip_map(x, d_out, |y, x, d| d * local_gradient(y, x).1);
        (d_y, d_x)
    }

    fn forward_into(
        &self,
        (y, x): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        out: &mut SMatrix<T, R, C>,
    ) {
        out.zip_zip_apply(y, x, |angle, y, x| *angle = y.atan2(x));
    }

    fn backward_into(
        &self,
        (y, x): (&SMatrix<T, R, C>, &SMatrix<T, R, C>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_y, d_x): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, R, C>>),
    ) {
        // Each slot is written entry by entry from (y, x, dOut): no temporary matrix.
        let write = |slot: Option<GradSlot<'_, T, R, C>>, pick: fn((T, T)) -> T| {
            if let Some(slot) = slot {
                let (grad, add) = slot.into_parts();
                for (k, g) in grad.iter_mut().enumerate() {
                    let term = d_out[k] * pick(local_gradient(y[k], x[k]));
                    *g = if add { *g + term } else { term };
                }
            }
        };
        write(d_y, |(dy, _)| dy);
        write(d_x, |(_, dx)| dx);
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `atan2(self, x)` element-wise: the angle of (x, self), see
    /// [`Atan2`](crate::ops::Atan2).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let y = g.var(nalgebra::Vector2::new(1.0, -1.0));
    /// let x = g.var(nalgebra::Vector2::new(0.0, 0.0));
    /// let half_pi = std::f64::consts::FRAC_PI_2;
    /// assert_eq!(y.atan2(x).value(), nalgebra::Vector2::new(half_pi, -half_pi));
    /// ```
    #[track_caller]
    pub fn atan2(self, x: Var<'g, T, R, C>) -> Var<'g, T, R, C> {
        self.graph().apply(Atan2, (self, x))
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use nalgebra::{Matrix1x4, Matrix3x4};

    use super::Atan2;
    use crate::diff::testing::{away_from_zero, check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values_in_the_four_quadrants() {
        let g = Graph::<f64>::new();
        let y = g.var(Matrix1x4::new(1.0, 1.0, -1.0, -1.0));
        let x = g.var(Matrix1x4::new(1.0, -1.0, -1.0, 1.0));
        let expected = Matrix1x4::new(PI / 4.0, 3.0 * PI / 4.0, -3.0 * PI / 4.0, -PI / 4.0);
        assert!((y.atan2(x).value() - expected).abs().max() < 1e-15);
    }

    #[test]
    fn gradcheck_random_away_from_the_origin_and_the_branch_cut() {
        // |y| ≥ 0.05 keeps the central differences off the jump on the negative x-axis.
        let mut rng = rng(520);
        let y: Matrix3x4<f64> = away_from_zero(random(&mut rng), 0.05);
        let x: Matrix3x4<f64> = random(&mut rng);
        check_binary(Atan2, Atan2, y.scale(3.0), x.scale(3.0));
    }

    #[test]
    fn the_origin_gives_the_signed_zero_values_and_zero_gradients() {
        let g = Graph::<f64>::new();
        let y = g.var(Matrix1x4::new(0.0, 0.0, -0.0, -0.0));
        let x = g.var(Matrix1x4::new(0.0, -0.0, 0.0, -0.0));
        let angle = y.atan2(x);
        let v = angle.value();
        assert_eq!(v, Matrix1x4::new(0.0, PI, -0.0, -PI));
        let grads = angle.backward_with(Matrix1x4::repeat(1.0));
        assert_eq!(*grads.wrt(y), Matrix1x4::zeros());
        assert_eq!(*grads.wrt(x), Matrix1x4::zeros());
    }

    #[test]
    fn tiny_and_huge_points_keep_their_gradient() {
        // At (x, y) = (s, s): dY = 1/(2s), dX = −1/(2s), whatever the scale s.
        let g = Graph::<f64>::new();
        let s = Matrix1x4::new(1e-200, 1e-160, 1e160, 1e200);
        let (y, x) = (g.var(s), g.var(s));
        let grads = y.atan2(x).backward_with(Matrix1x4::repeat(1.0));
        let expected = s.map(|s| 0.5 / s);
        let rel = (grads.wrt(y) - expected)
            .component_div(&expected)
            .abs()
            .max();
        assert!(rel < 1e-15, "{}", grads.wrt(y));
        let rel = (grads.wrt(x) + expected)
            .component_div(&expected)
            .abs()
            .max();
        assert!(rel < 1e-15, "{}", grads.wrt(x));
    }

    #[test]
    fn on_the_negative_x_axis_the_gradient_is_either_sides() {
        let g = Graph::<f64>::new();
        let y = g.var(Matrix1x4::new(0.0, -0.0, 0.0, -0.0));
        let x = g.var(Matrix1x4::new(-2.0, -2.0, -0.5, -0.5));
        let angle = y.atan2(x);
        assert_eq!(angle.value(), Matrix1x4::new(PI, -PI, PI, -PI));
        let grads = angle.backward_with(Matrix1x4::repeat(1.0));
        assert_eq!(*grads.wrt(y), Matrix1x4::new(-0.5, -0.5, -2.0, -2.0));
        assert_eq!(grads.wrt(x).abs(), Matrix1x4::zeros());
    }
}
