use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op};
use crate::graph::Var;
use crate::kernels::Real;

/// Hyperbolic cosine, element-wise: `cosh x`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ sinh x (R×C)
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
/// Defined and smooth everywhere, with its minimum 1 at x = 0 (gradient 0). For |x| above
/// ~710.5 (f64; ~89.4 for f32) the value overflows to +∞ and the gradient to ±∞, as
/// `f64::cosh` and `f64::sinh` do; ±∞ gives value +∞ and gradient ±∞; NaN gives NaN.
/// Sugar: `a.cosh()`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(0.0, 1.0));
/// let y: Var<'_, f64, 1, 2> = a.cosh();
/// let e = std::f64::consts::E;
/// assert!((y.value() - Matrix1x2::new(1.0, (e + 1.0 / e) / 2.0)).abs().max() < 1e-15);
/// let d_a = *y.sum().backward().wrt(a); // sinh x
/// assert!((d_a - Matrix1x2::new(0.0, (e - 1.0 / e) / 2.0)).abs().max() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Cosh;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Cosh {
    type Output = SMatrix<T, R, C>;

    fn name(&self) -> &'static str {
        "cosh"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.cosh())
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(a, |d, x| d * x.sinh()),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.cosh());
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, a, |d, x| d * x.sinh());
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `cosh x` element-wise, see [`Cosh`](crate::ops::Cosh).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.0, -0.0));
    /// assert_eq!(x.cosh().value(), nalgebra::Vector2::repeat(1.0));
    /// ```
    #[track_caller]
    pub fn cosh(self) -> Var<'g, T, R, C> {
        self.graph().apply(Cosh, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x4, Matrix1x5};

    use super::Cosh;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, 2f64.ln(), -(2f64.ln()), 1e-300));
        let y = x.cosh().value();
        let expected = Matrix1x4::new(1.0, 1.25, 1.25, 1.0);
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(650);
        check_unary(Cosh, Cosh, random::<3, 4>(&mut rng).scale(3.0));
        check_unary(Cosh, Cosh, random::<1, 1>(&mut rng));
    }

    #[test]
    fn cosh_squared_minus_sinh_squared_is_constant() {
        let mut rng = rng(651);
        let g = Graph::<f64>::new();
        let x = g.var(random::<2, 3>(&mut rng).scale(2.0));
        let one = x.cosh().square() - x.sinh().square();
        assert!(one.value().iter().all(|v| (v - 1.0).abs() < 1e-13));
        let d = *one.backward_with(random(&mut rng)).wrt(x);
        assert!(d.abs().max() < 1e-12, "{d}");
    }

    #[test]
    fn overflow_infinities_and_nan() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x5::new(
            720.0,
            -720.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ));
        let y = x.cosh();
        let v = y.value();
        let inf = f64::INFINITY;
        assert_eq!((v[0], v[1], v[2], v[3]), (inf, inf, inf, inf));
        let d = *y.backward_with(Matrix1x5::repeat(1.0)).wrt(x);
        assert_eq!((d[0], d[1], d[2], d[3]), (inf, -inf, inf, -inf));
        assert!(v[4].is_nan() && d[4].is_nan());
    }
}
