use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op};
use crate::graph::Var;
use crate::kernels::Real;

/// Tangent, element-wise: `tan x` (x in radians).
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ (1 + y²) (R×C), where y = tan x is the cached output
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// The poles x = π/2 + kπ are not floating-point numbers: at the float nearest π/2 the value
/// is 1.633e16 and the gradient 1 + y² = 2.67e32, both finite and both what `f64::tan` and
/// its derivative give there (no clamp). Where y² overflows (|y| above ~1.3e154, which f64
/// inputs do not reach) the gradient is `±inf`. ±∞ and NaN give a NaN value and gradient, as
/// `f64::tan` does. Sugar: `a.tan()`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(0.0, std::f64::consts::FRAC_PI_4));
/// let y: Var<'_, f64, 1, 2> = a.tan();
/// assert!((y.value() - Matrix1x2::new(0.0, 1.0)).abs().max() < 1e-15);
/// let d_a = *y.sum().backward().wrt(a); // 1 + tan² x
/// assert!((d_a - Matrix1x2::new(1.0, 2.0)).abs().max() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Tan;

#[inline]
fn tan_derivative_times<T: Real>(d: T, y: T) -> T {
    d * (T::one() + y * y)
}

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Tan {
    type Output = SMatrix<T, R, C>;

    fn name(&self) -> &'static str {
        "tan"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.tan())
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(out, tan_derivative_times),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.tan());
    }

    fn backward_into(
        &self,
        _inputs: (&SMatrix<T, R, C>,),
        out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, out, tan_derivative_times);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `tan x` element-wise, see [`Tan`](crate::ops::Tan).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.0, 0.0));
    /// assert_eq!(x.tan().value(), nalgebra::Vector2::zeros());
    /// ```
    #[track_caller]
    pub fn tan(self) -> Var<'g, T, R, C> {
        self.graph().apply(Tan, (self,))
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::{FRAC_PI_2, PI};

    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Tan;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, PI / 3.0, -PI / 4.0, PI));
        let y = x.tan().value();
        let expected = Matrix1x4::new(0.0, 3f64.sqrt(), -1.0, 0.0);
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random_between_the_poles() {
        let mut rng = rng(630);
        check_unary(Tan, Tan, random::<3, 4>(&mut rng).scale(1.2));
        check_unary(Tan, Tan, random::<1, 1>(&mut rng).add_scalar(PI));
    }

    #[test]
    fn at_the_float_nearest_the_pole_value_and_gradient_are_large_and_finite() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(FRAC_PI_2, -FRAC_PI_2, 1.5));
        let y = x.tan();
        let v = y.value();
        assert!(v[0] > 1.6e16 && v[0].is_finite() && v[1] < -1.6e16, "{v}");
        let d = *y.backward_with(Matrix1x3::repeat(1.0)).wrt(x);
        // 1 + tan² = 1/cos²: the same number both ways, to rounding.
        let sec2 = |x: f64| 1.0 / (x.cos() * x.cos());
        assert!((d[0] / sec2(FRAC_PI_2) - 1.0).abs() < 1e-9, "{}", d[0]);
        assert!((d[1] / sec2(-FRAC_PI_2) - 1.0).abs() < 1e-9, "{}", d[1]);
        assert!((d[2] / sec2(1.5) - 1.0).abs() < 1e-14, "{}", d[2]);
    }

    #[test]
    fn non_finite_inputs_give_nan() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(f64::INFINITY, f64::NEG_INFINITY, f64::NAN));
        let y = x.tan();
        assert!(y.value().iter().all(|v| v.is_nan()));
        let d = *y.backward_with(Matrix1x3::repeat(1.0)).wrt(x);
        assert!(d.iter().all(|v| v.is_nan()));
    }
}
