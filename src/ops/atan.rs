use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op};
use crate::graph::Var;
use crate::kernels::Real;

/// Arctangent, element-wise: `atan x`, in (−π/2, π/2).
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ 1/(1 + x²) (R×C)
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
/// Defined and smooth everywhere: at ±∞ the value is ±π/2 and the gradient 0 (the limits);
/// for |x| above ~1.3e154 (f64) x² overflows and the gradient is 0, which is also its value
/// rounded. NaN gives NaN. For the angle of a point (x, y) use
/// [`atan2`](crate::Var::atan2), which knows the quadrant. Sugar: `a.atan()`.
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x3::new(0.0, 1.0, f64::INFINITY));
/// let y: Var<'_, f64, 1, 3> = a.atan();
/// let pi = std::f64::consts::PI;
/// assert_eq!(y.value(), Matrix1x3::new(0.0, pi / 4.0, pi / 2.0));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x3::new(1.0, 0.5, 0.0)); // 1/(1 + x²)
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Atan;

#[inline]
fn atan_derivative_times<T: Real>(d: T, x: T) -> T {
    d / (T::one() + x * x)
}

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Atan {
    type Output = SMatrix<T, R, C>;

    fn name(&self) -> &'static str {
        "atan"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.atan())
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(a, atan_derivative_times),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.atan());
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, a, atan_derivative_times);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `atan x` element-wise, see [`Atan`](crate::ops::Atan).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.0, -1.0));
    /// assert_eq!(x.atan().value(), nalgebra::Vector2::new(0.0, -std::f64::consts::FRAC_PI_4));
    /// ```
    #[track_caller]
    pub fn atan(self) -> Var<'g, T, R, C> {
        self.graph().apply(Atan, (self,))
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use nalgebra::{Matrix1x4, Matrix1x5};

    use super::Atan;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, 3f64.sqrt(), -1.0, 1e-300));
        let y = x.atan().value();
        let expected = Matrix1x4::new(0.0, PI / 3.0, -PI / 4.0, 1e-300);
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(620);
        check_unary(Atan, Atan, random::<3, 4>(&mut rng).scale(5.0));
        check_unary(Atan, Atan, random::<1, 1>(&mut rng));
    }

    #[test]
    fn huge_infinite_and_nan_inputs() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x5::new(
            1e100,
            1e200,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ));
        let y = x.atan();
        let v = y.value();
        assert_eq!(
            (v[0], v[1], v[2], v[3]),
            (PI / 2.0, PI / 2.0, PI / 2.0, -PI / 2.0)
        );
        assert!(v[4].is_nan());
        let d = *y.backward_with(Matrix1x5::repeat(1.0)).wrt(x);
        assert!((d[0] / 1e-200 - 1.0).abs() < 1e-15, "{}", d[0]);
        assert_eq!((d[1], d[2], d[3]), (0.0, 0.0, 0.0));
        assert!(d[4].is_nan());
    }
}
