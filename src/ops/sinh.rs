use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op};
use crate::graph::Var;
use crate::kernels::Real;

/// Hyperbolic sine, element-wise: `sinh x`.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ cosh x (R×C)
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
/// Defined and smooth everywhere. For |x| above ~710.5 (f64; ~89.4 for f32) the value
/// overflows to ±∞ and the gradient to +∞, as `f64::sinh` and `f64::cosh` do; ±∞ gives
/// value ±∞ and gradient +∞; NaN gives NaN. Sugar: `a.sinh()`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(0.0, 1.0));
/// let y: Var<'_, f64, 1, 2> = a.sinh();
/// let e = std::f64::consts::E;
/// assert!((y.value() - Matrix1x2::new(0.0, (e - 1.0 / e) / 2.0)).abs().max() < 1e-15);
/// let d_a = *y.sum().backward().wrt(a); // cosh x
/// assert!((d_a - Matrix1x2::new(1.0, (e + 1.0 / e) / 2.0)).abs().max() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Sinh;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Sinh {
    type Output = SMatrix<T, R, C>;

    fn name(&self) -> &'static str {
        "sinh"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.sinh())
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        (d_out.zip_map(a, |d, x| d * x.cosh()),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.sinh());
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_zip_map(d_out, a, |d, x| d * x.cosh());
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `sinh x` element-wise, see [`Sinh`](crate::ops::Sinh).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.0, -0.0));
    /// assert_eq!(x.sinh().value(), nalgebra::Vector2::zeros());
    /// ```
    #[track_caller]
    pub fn sinh(self) -> Var<'g, T, R, C> {
        self.graph().apply(Sinh, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x4, Matrix1x5};

    use super::Sinh;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, 2f64.ln(), -(2f64.ln()), 1e-300));
        let y = x.sinh().value();
        let expected = Matrix1x4::new(0.0, 0.75, -0.75, 1e-300);
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(640);
        check_unary(Sinh, Sinh, random::<3, 4>(&mut rng).scale(3.0));
        check_unary(Sinh, Sinh, random::<1, 1>(&mut rng));
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
        let y = x.sinh();
        let v = y.value();
        let inf = f64::INFINITY;
        assert_eq!((v[0], v[1], v[2], v[3]), (inf, -inf, inf, -inf));
        let d = *y.backward_with(Matrix1x5::repeat(1.0)).wrt(x);
        assert_eq!((d[0], d[1], d[2], d[3]), (inf, inf, inf, inf));
        assert!(v[4].is_nan() && d[4].is_nan());
    }
}
