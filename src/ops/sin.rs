use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Sine, element-wise: `sin x` (x in radians).
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ cos x (R×C)
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
/// Defined and smooth everywhere; an infinite or NaN input gives a NaN value and gradient, as
/// `f64::sin` does. Sugar: `a.sin()`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(0.0, std::f64::consts::FRAC_PI_2));
/// let y: Var<'_, f64, 1, 2> = a.sin();
/// assert_eq!(y.value(), Matrix1x2::new(0.0, 1.0));
/// let d_a = *y.sum().backward().wrt(a); // cos x
/// assert!((d_a - Matrix1x2::new(1.0, 0.0)).abs().max() < 1e-16);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sin;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Sin {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Sin"))
    }

    fn name(&self) -> &'static str {
        "sin"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.sin())
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(a, |d, x| d * x.cos()),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.sin());
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, a, |d, x| d * x.cos());
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `sin x` element-wise, see [`Sin`](crate::ops::Sin).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.0, -std::f64::consts::FRAC_PI_2));
    /// assert_eq!(x.sin().value(), nalgebra::Vector2::new(0.0, -1.0));
    /// ```
    #[track_caller]
    pub fn sin(self) -> Var<'g, T, R, C> {
        self.graph().apply(Sin, (self,))
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Sin;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, PI / 6.0, PI, -PI / 2.0));
        let y = x.sin().value();
        let expected = Matrix1x4::new(0.0, 0.5, 0.0, -1.0);
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(500);
        check_unary(Sin, Sin, random::<3, 4>(&mut rng).scale(4.0));
        check_unary(Sin, Sin, random::<1, 1>(&mut rng));
    }

    #[test]
    fn gradient_is_the_cosine_at_extrema_and_zeros() {
        // sin' = cos: 0 at the extrema ±π/2, ±1 at the zeros 0 and π.
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(PI / 2.0, -PI / 2.0, 0.0, PI));
        let d = *x.sin().backward_with(Matrix1x4::repeat(1.0)).wrt(x);
        let expected = Matrix1x4::new(0.0, 0.0, 1.0, -1.0);
        assert!((d - expected).abs().max() < 1e-15, "{d}");
    }

    #[test]
    fn large_and_non_finite_inputs() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(1e6, f64::INFINITY, f64::NAN));
        let y = x.sin();
        let v = y.value();
        assert_eq!(v[0], 1e6_f64.sin());
        assert!(v[1].is_nan() && v[2].is_nan());
        let d = *y.backward_with(Matrix1x3::repeat(1.0)).wrt(x);
        assert_eq!(d[0], 1e6_f64.cos());
        assert!(d[1].is_nan() && d[2].is_nan());
    }
}
