use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op};
use crate::graph::Var;
use crate::kernels::Real;

/// Arccosine, element-wise: `acos x`, in [0, π].
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = −dOut ∘ 1/√(1 − x²) (R×C), with 1 − x² computed as (1 − x)(1 + x)
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// Domain, exactly as `f64::acos`, with gradients to match (no clamping: a value outside the
/// domain is NaN, never a finite number that hides the mistake):
/// * `|x| < 1`: finite value and gradient, accurate near ±1 thanks to `(1 − x)(1 + x)`;
/// * `x = ±1` (`acos(1) = 0`, `acos(−1) = π`): the local derivative is `−inf`, so the
///   gradient is `−inf` where `dOut > 0`, `+inf` where `dOut < 0` and NaN where `dOut = 0`;
/// * `|x| > 1`, ±∞ or NaN: value NaN and gradient NaN.
///
/// An angle computed as `acos` of a cosine has this infinite slope at 0 and π: for the angle
/// of a rotation use [`so3_log`](crate::Var::so3_log), whose gradient is finite there, and for
/// the angle of a 2-D point [`atan2`](crate::Var::atan2). Sugar: `a.acos()`.
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x3::new(0.0, 0.5, 1.0));
/// let y: Var<'_, f64, 1, 3> = a.acos();
/// let pi = std::f64::consts::PI;
/// assert!((y.value() - Matrix1x3::new(pi / 2.0, pi / 3.0, 0.0)).abs().max() < 1e-15);
/// let d_a = *y.sum().backward().wrt(a); // −1/√(1 − x²)
/// assert_eq!((d_a[0], d_a[2]), (-1.0, f64::NEG_INFINITY)); // acos(1): gradient −inf
/// assert!(g.var(Matrix1x3::repeat(1.1)).acos().value()[0].is_nan()); // outside: NaN
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Acos;

/// `−d / √((1 − x)(1 + x))`: `−d·inf` at ±1, NaN outside [−1, 1] and at NaN.
#[inline]
fn acos_derivative_times<T: Real>(d: T, x: T) -> T {
    -d / ((T::one() - x) * (T::one() + x)).sqrt()
}

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Acos {
    type Output = SMatrix<T, R, C>;

    fn name(&self) -> &'static str {
        "acos"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.acos())
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(a, acos_derivative_times),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.acos());
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, a, acos_derivative_times);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `acos x` element-wise, see [`Acos`](crate::ops::Acos) (NaN outside [−1, 1]).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(1.0, -1.0));
    /// assert_eq!(x.acos().value(), nalgebra::Vector2::new(0.0, std::f64::consts::PI));
    /// ```
    #[track_caller]
    pub fn acos(self) -> Var<'g, T, R, C> {
        self.graph().apply(Acos, (self,))
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use nalgebra::{Matrix1x4, Matrix1x5};

    use super::Acos;
    use crate::diff::check::GradcheckOptions;
    use crate::diff::testing::{check_unary, check_unary_with, random, rng, tight};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, 0.5, -0.5, -1.0));
        let y = x.acos().value();
        let expected = Matrix1x4::new(PI / 2.0, PI / 3.0, 2.0 * PI / 3.0, PI);
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random_inside_the_domain() {
        let mut rng = rng(610);
        check_unary(Acos, Acos, random::<3, 4>(&mut rng).scale(0.95));
        check_unary(Acos, Acos, random::<1, 1>(&mut rng).scale(0.5));
        // Near the edges the third derivative grows like 1/(1 − |x|)^(5/2): the central
        // difference needs a smaller step there (its truncation error is ~(h/(1 − |x|))²).
        let near_edges = GradcheckOptions {
            h: 1e-8,
            rtol: 1e-7,
            ..tight()
        };
        let x = Matrix1x4::new(0.99, -0.99, 0.999, -0.999);
        check_unary_with(Acos, Acos, x, Some(&near_edges), 1e-5);
    }

    #[test]
    fn acos_plus_asin_is_a_right_angle_with_opposite_gradients() {
        let mut rng = rng(611);
        let g = Graph::<f64>::new();
        let x = g.var(random::<2, 3>(&mut rng));
        let sum = x.acos() + x.asin();
        assert!(sum.value().iter().all(|v| (v - PI / 2.0).abs() < 1e-15));
        let d = *sum.backward_with(random(&mut rng)).wrt(x);
        assert!(d.abs().max() < 1e-15, "{d}");
    }

    #[test]
    fn at_the_edges_gradient_is_minus_infinity() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(1.0, -1.0, 1.0, -1.0));
        let y = x.acos();
        assert_eq!(y.value(), Matrix1x4::new(0.0, PI, 0.0, PI));
        let grads = y.backward_with(Matrix1x4::new(1.0, 2.0, -1.0, 0.0));
        let d = grads.wrt(x);
        assert_eq!(
            (d[0], d[1], d[2]),
            (f64::NEG_INFINITY, f64::NEG_INFINITY, f64::INFINITY)
        );
        assert!(d[3].is_nan(), "0 · inf");
    }

    #[test]
    fn outside_the_domain_value_and_gradient_are_nan() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x5::new(
            1.1,
            -1.1,
            -1.0 - f64::EPSILON,
            f64::NEG_INFINITY,
            f64::NAN,
        ));
        let y = x.acos();
        assert!(y.value().iter().all(|v| v.is_nan()), "{}", y.value());
        let grads = y.backward_with(Matrix1x5::repeat(1.0));
        assert!(grads.wrt(x).iter().all(|v| v.is_nan()), "{}", grads.wrt(x));
    }

    #[test]
    fn f32_edges() {
        let g = Graph::<f32>::new();
        let x = g.var(nalgebra::Matrix1x3::new(1.0_f32, -1.5, 0.0));
        let y = x.acos();
        let d = *y.backward_with(nalgebra::Matrix1x3::repeat(1.0)).wrt(x);
        assert_eq!((y.value()[0], d[0]), (0.0, f32::NEG_INFINITY));
        assert!(y.value()[1].is_nan() && d[1].is_nan());
        assert_eq!(d[2], -1.0);
    }
}
