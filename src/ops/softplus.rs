use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::vmath::{Func, map_into, scale_into};

/// Softplus, element-wise: `ln(1 + eˣ)`, a smooth ReLU.
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ σ(x) (R×C), σ the logistic sigmoid
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// Stable for every finite input: it is computed as `max(x, 0) + ln_1p(e^−|x|)`, which never
/// overflows and keeps relative accuracy in both tails. `softplus(1000) = 1000` (the naive form
/// gives `ln(inf) = inf`), `softplus(−30) ≈ e⁻³⁰` to full precision (the naive form loses
/// about 3 of 16 digits to `1 + e⁻³⁰`), and `softplus(−1000) = 0` (e⁻¹⁰⁰⁰ underflows). The
/// gradient, σ(x), uses the stable two-branch sigmoid of [`Sigmoid`](crate::ops::Sigmoid):
/// 1 at `x = 1000`, 0 at `x = −1000`. Sugar: `a.softplus()`.
///
/// For `f32` and `f64` the values come from shapegrad's vectorised kernel (within 1 ulp of the
/// correctly rounded value in the tests, see the README's Performance section); other scalars,
/// such as dual numbers, use their own `formula (the stable one below)`.
///
/// ```
/// use nalgebra::Matrix1x3;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x3::new(0.0, 1000.0, -1000.0));
/// let y: Var<'_, f64, 1, 3> = a.softplus();
/// assert_eq!(y.value(), Matrix1x3::new(2.0_f64.ln(), 1000.0, 0.0));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x3::new(0.5, 1.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Softplus;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Softplus {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Softplus"))
    }

    fn name(&self) -> &'static str {
        "softplus"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        let mut out = SMatrix::zeros();
        map_into(Func::Softplus, a, &mut out);
        out
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        let mut d_a = SMatrix::zeros();
        scale_into(Func::Sigmoid, a, d_out, &mut d_a, false);
        (d_a,)
    }

    #[inline]
    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        map_into(Func::Softplus, a, out);
    }

    /// One pass over `dOut`: σ(x) is computed by the vectorised kernel in the same loop.
    #[inline]
    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let (d_a, add) = d_a.into_parts();
            scale_into(Func::Sigmoid, a, d_out, d_a, add);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `ln(1 + eˣ)` element-wise, see [`Softplus`](crate::ops::Softplus).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(1000.0, -1000.0));
    /// assert_eq!(x.softplus().value(), nalgebra::Vector2::new(1000.0, 0.0));
    /// ```
    #[track_caller]
    pub fn softplus(self) -> Var<'g, T, R, C> {
        self.graph().apply(Softplus, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Softplus;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        // ln(1 + eˣ) at x = 0, ln 3, −ln 3: ln 2, ln 4, ln(4/3)
        let g = Graph::<f64>::new();
        let l3 = 3.0_f64.ln();
        let x = g.var(Matrix1x3::new(0.0, l3, -l3));
        let expected = Matrix1x3::new(2.0_f64.ln(), 4.0_f64.ln(), (4.0_f64 / 3.0).ln());
        let y = x.softplus().value();
        assert!((y - expected).abs().max() < 1e-15, "{y}");
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(240);
        check_unary(Softplus, Softplus, random::<3, 4>(&mut rng).scale(4.0));
        check_unary(Softplus, Softplus, random::<1, 1>(&mut rng));
    }

    #[test]
    fn extreme_inputs_give_finite_values_and_gradients() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(1000.0, -1000.0, 30.0, -30.0));
        let y = x.softplus();
        let v = y.value();
        let e30 = (-30.0_f64).exp();
        assert_eq!((v[0], v[1]), (1000.0, 0.0));
        // ln(1 + e⁻³⁰) = e⁻³⁰ − e⁻⁶⁰/2 + …: the tails need ln_1p for full precision.
        assert!((v[2] - 30.0 - e30).abs() < 1e-14);
        assert!((v[3] / e30 - 1.0).abs() < 1e-13, "{}", v[3]);
        let grads = y.backward_with(Matrix1x4::repeat(1.0));
        let d = grads.wrt(x);
        assert!(d.iter().all(|v| v.is_finite()), "{d}");
        assert_eq!((d[0], d[1]), (1.0, 0.0));
        // softplus' = σ: σ(−30) = 1/(1 + e³⁰) ≈ e⁻³⁰
        assert!((d[3] / e30 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn extreme_inputs_in_f32() {
        let g = Graph::<f32>::new();
        let x = g.var(Matrix1x3::new(1000.0_f32, -1000.0, 0.0));
        let y = x.softplus();
        assert_eq!(y.value(), Matrix1x3::new(1000.0, 0.0, 2.0_f32.ln()));
        let grads = y.backward_with(Matrix1x3::repeat(1.0));
        assert_eq!(*grads.wrt(x), Matrix1x3::new(1.0, 0.0, 0.5));
    }

    #[test]
    fn gradient_matches_finite_difference_of_the_naive_formula() {
        // Where the naive ln(1 + eˣ) is accurate, its central difference must match σ(x).
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(-3.0, 0.7, 5.0));
        let grads = x.softplus().backward_with(Matrix1x3::repeat(1.0));
        let h = 1e-6;
        let naive = |v: f64| (1.0 + v.exp()).ln();
        let numeric = x.value().map(|v| (naive(v + h) - naive(v - h)) / (2.0 * h));
        assert!((grads.wrt(x) - numeric).abs().max() < 1e-8);
    }
}
