use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Cosine, element-wise: `cos x` (x in radians).
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = −dOut ∘ sin x (R×C)
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
/// Defined and smooth everywhere; an infinite or NaN input gives a NaN value and gradient, as
/// `f64::cos` does. Sugar: `a.cos()`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(0.0, std::f64::consts::FRAC_PI_2));
/// let y: Var<'_, f64, 1, 2> = a.cos();
/// assert!((y.value() - Matrix1x2::new(1.0, 0.0)).abs().max() < 1e-16);
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x2::new(0.0, -1.0)); // −sin x
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Cos;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Cos {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Cos"))
    }

    fn name(&self) -> &'static str {
        "cos"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.cos())
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(a, |d, x| -(d * x.sin())),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.cos());
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, a, |d, x| -(d * x.sin()));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `cos x` element-wise, see [`Cos`](crate::ops::Cos).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.0, std::f64::consts::PI));
    /// assert_eq!(x.cos().value(), nalgebra::Vector2::new(1.0, -1.0));
    /// ```
    #[track_caller]
    pub fn cos(self) -> Var<'g, T, R, C> {
        self.graph().apply(Cos, (self,))
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Cos;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, PI / 3.0, PI, -PI / 2.0));
        let y = x.cos().value();
        let expected = Matrix1x4::new(1.0, 0.5, -1.0, 0.0);
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(510);
        check_unary(Cos, Cos, random::<3, 4>(&mut rng).scale(4.0));
        check_unary(Cos, Cos, random::<1, 1>(&mut rng));
    }

    #[test]
    fn sin_squared_plus_cos_squared_has_zero_gradient() {
        let mut rng = rng(511);
        let g = Graph::<f64>::new();
        let x = g.var(random::<1, 3>(&mut rng).scale(3.0));
        let one = x.sin().square() + x.cos().square();
        assert!((one.value() - Matrix1x3::repeat(1.0)).abs().max() < 1e-15);
        let d = *one.backward_with(Matrix1x3::repeat(1.0)).wrt(x);
        assert!(d.abs().max() < 1e-15, "{d}");
    }

    #[test]
    fn large_and_non_finite_inputs() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(1e6, f64::NEG_INFINITY, f64::NAN));
        let y = x.cos();
        let v = y.value();
        assert_eq!(v[0], 1e6_f64.cos());
        assert!(v[1].is_nan() && v[2].is_nan());
        let d = *y.backward_with(Matrix1x3::repeat(1.0)).wrt(x);
        assert_eq!(d[0], -(1e6_f64.sin()));
        assert!(d[1].is_nan() && d[2].is_nan());
    }
}
