use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op};
use crate::graph::Var;
use crate::kernels::Real;

/// Arcsine, element-wise: `asin x`, in [−π/2, π/2].
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ 1/√(1 − x²) (R×C), with 1 − x² computed as (1 − x)(1 + x)
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// Domain, exactly as `f64::asin`, with gradients to match (no clamping: a value outside the
/// domain is NaN, never a finite number that hides the mistake):
/// * `|x| < 1`: finite value and gradient; `(1 − x)(1 + x)` keeps the gradient accurate near
///   ±1 (at `x = 1 − 2⁻⁵³` it is 6.7e7, to the last bits);
/// * `x = ±1`: value ±π/2; the local derivative is `+inf`, so the gradient is `+inf` where
///   `dOut > 0`, `−inf` where `dOut < 0` and NaN where `dOut = 0` (as [`Sqrt`](crate::ops::Sqrt)
///   at 0);
/// * `|x| > 1` (`asin(1.1)`), ±∞ or NaN: value NaN and gradient NaN.
///
/// Sugar: `a.asin()`.
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x3::new(0.0, 0.5, 1.0));
/// let y: Var<'_, f64, 1, 3> = a.asin();
/// let pi = std::f64::consts::PI;
/// assert!((y.value() - Matrix1x3::new(0.0, pi / 6.0, pi / 2.0)).abs().max() < 1e-15);
/// let d_a = *y.sum().backward().wrt(a); // 1/√(1 − x²)
/// assert!((d_a[1] - 2.0 / 3f64.sqrt()).abs() < 1e-15);
/// assert_eq!((d_a[0], d_a[2]), (1.0, f64::INFINITY)); // +inf at the edge x = 1
/// assert!(g.var(Matrix1x3::repeat(1.1)).asin().value()[0].is_nan()); // outside: NaN
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Asin;

/// `d / √((1 − x)(1 + x))`: `d·inf` at ±1, NaN outside [−1, 1] (the square root of a
/// negative number) and at NaN.
#[inline]
fn asin_derivative_times<T: Real>(d: T, x: T) -> T {
    d / ((T::one() - x) * (T::one() + x)).sqrt()
}

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Asin {
    type Output = SMatrix<T, R, C>;

    fn name(&self) -> &'static str {
        "asin"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.asin())
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(a, asin_derivative_times),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.asin());
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, a, asin_derivative_times);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `asin x` element-wise, see [`Asin`](crate::ops::Asin) (NaN outside [−1, 1]).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.0, -1.0));
    /// assert_eq!(x.asin().value(), nalgebra::Vector2::new(0.0, -std::f64::consts::FRAC_PI_2));
    /// ```
    #[track_caller]
    pub fn asin(self) -> Var<'g, T, R, C> {
        self.graph().apply(Asin, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x4, Matrix1x5};

    use super::Asin;
    use crate::diff::check::GradcheckOptions;
    use crate::diff::testing::{check_unary, check_unary_with, random, rng, tight};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, 0.5, -0.5, 1e-300));
        let y = x.asin().value();
        let sixth = std::f64::consts::PI / 6.0;
        let expected = Matrix1x4::new(0.0, sixth, -sixth, 1e-300);
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random_inside_the_domain() {
        let mut rng = rng(600);
        check_unary(Asin, Asin, random::<3, 4>(&mut rng).scale(0.95));
        check_unary(Asin, Asin, random::<1, 1>(&mut rng).scale(0.5));
        // Near the edges the derivative is large but still smooth on the scale of h.
        // Near the edges the third derivative grows like 1/(1 − |x|)^(5/2): the central
        // difference needs a smaller step there (its truncation error is ~(h/(1 − |x|))²).
        let near_edges = GradcheckOptions {
            h: 1e-8,
            rtol: 1e-7,
            ..tight()
        };
        let x = Matrix1x4::new(0.99, -0.99, 0.999, -0.999);
        check_unary_with(Asin, Asin, x, Some(&near_edges), 1e-5);
    }

    #[test]
    fn near_the_edge_the_gradient_keeps_its_digits() {
        // x = 1 − 2⁻⁵³ (the float below 1): 1 − x² = 2⁻⁵² − 2⁻¹⁰⁶, derivative 2²⁶/√(1 − 2⁻⁵⁴).
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(
            1.0 - f64::EPSILON / 2.0,
            -(1.0 - f64::EPSILON / 2.0),
            0.0,
            0.0,
        ));
        let d = *x.asin().backward_with(Matrix1x4::repeat(1.0)).wrt(x);
        let want = 2f64.powi(26) * (1.0 + 2f64.powi(-55));
        assert!((d[0] / want - 1.0).abs() < 1e-15, "{}", d[0]);
        assert!((d[1] / want - 1.0).abs() < 1e-15, "{}", d[1]);
    }

    #[test]
    fn at_the_edges_value_is_a_right_angle_and_gradient_infinite() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(1.0, -1.0, 1.0, -1.0));
        let y = x.asin();
        let half_pi = std::f64::consts::FRAC_PI_2;
        assert_eq!(
            y.value(),
            Matrix1x4::new(half_pi, -half_pi, half_pi, -half_pi)
        );
        let grads = y.backward_with(Matrix1x4::new(1.0, 2.0, -1.0, 0.0));
        let d = grads.wrt(x);
        assert_eq!(
            (d[0], d[1], d[2]),
            (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY)
        );
        assert!(d[3].is_nan(), "0 · inf");
    }

    #[test]
    fn outside_the_domain_value_and_gradient_are_nan() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x5::new(
            1.1,
            -1.1,
            1.0 + f64::EPSILON,
            f64::INFINITY,
            f64::NAN,
        ));
        let y = x.asin();
        assert!(y.value().iter().all(|v| v.is_nan()), "{}", y.value());
        let grads = y.backward_with(Matrix1x5::repeat(1.0));
        assert!(grads.wrt(x).iter().all(|v| v.is_nan()), "{}", grads.wrt(x));
    }

    #[test]
    fn f32_edges_match_f64() {
        let g = Graph::<f32>::new();
        let x = g.var(nalgebra::Matrix1x3::new(1.0_f32, 1.1, 0.5));
        let y = x.asin();
        let d = *y.backward_with(nalgebra::Matrix1x3::repeat(1.0)).wrt(x);
        assert_eq!(d[0], f32::INFINITY);
        assert!(y.value()[1].is_nan() && d[1].is_nan());
        assert!((d[2] - 2.0 / 3f32.sqrt()).abs() < 1e-6);
    }
}
