use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Integer power, element-wise: `xⁿ` for a constant `n: i32` (not differentiated).
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ n·xⁿ⁻¹ (R×C); 0 for n = 0
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// Values are those of `f64::powi`, for every real `x` including negative ones. Special cases:
/// * `n = 0`: value 1 everywhere (also `0⁰ = 1`), gradient exactly 0 (not `0·0⁻¹ = NaN`);
/// * `n = 1`: gradient `dOut` everywhere, also at 0;
/// * `n < 0` at `x = 0`: value `±inf` and gradient `±inf`, with the signs IEEE 754 gives to
///   powers of `0.0`/`-0.0` (e.g. `n = −1`: value `+inf` at `0.0`, `−inf` at `-0.0`, gradient
///   `−inf` at both, the limit of `−1/x²`);
/// * `x = ±∞`: the limits of `f64::powi`, value and gradient (`n = −1`: `±0`, gradient 0;
///   `n = 2`: `+∞`, gradient `±∞`).
///
/// Sugar: `a.powi(n)`, nalgebra's and Rust's name.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(2.0, -3.0));
/// let y: Var<'_, f64, 1, 2> = a.powi(3);
/// assert_eq!(y.value(), Matrix1x2::new(8.0, -27.0));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x2::new(12.0, 27.0)); // 3x²
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Powi(pub i32);

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Powi {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::call(
            "shapegrad::ops::Powi",
            [RustExpr::int(self.0.into())],
        ))
    }

    fn name(&self) -> &'static str {
        "powi"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.powi(self.0))
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        let n = self.0;
        if n == 0 {
            return (SMatrix::zeros(),);
        }
        let n_t: T = nalgebra::convert(f64::from(n));
        let below = |x: T| match n.checked_sub(1) {
            Some(m) => x.powi(m),
            // n = i32::MIN: xⁿ⁻¹ is 0, ±1 or ±inf, which xⁿ / x also gives.
            None => x.powi(n) / x,
        };
        (d_out.zip_map(a, |d, x| d * n_t * below(x)),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.powi(self.0));
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let n = self.0;
            if n == 0 {
                d_a.add_map(d_out, |_| T::zero());
                return;
            }
            let n_t: T = nalgebra::convert(f64::from(n));
            let below = |x: T| match n.checked_sub(1) {
                Some(m) => x.powi(m),
                None => x.powi(n) / x,
            };
            d_a.add_zip_map(d_out, a, |d, x| d * n_t * below(x));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `xⁿ` element-wise for an integer `n`, see [`Powi`](crate::ops::Powi).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(2.0, 4.0));
    /// assert_eq!(x.powi(-1).value(), nalgebra::Vector2::new(0.5, 0.25));
    /// ```
    #[track_caller]
    pub fn powi(self, n: i32) -> Var<'g, T, R, C> {
        self.graph().apply(Powi(n), (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Powi;
    use crate::diff::testing::{away_from_zero, check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(2.0, -2.0, 0.5, -1.0));
        assert_eq!(x.powi(3).value(), Matrix1x4::new(8.0, -8.0, 0.125, -1.0));
        assert_eq!(x.powi(-2).value(), Matrix1x4::new(0.25, 0.25, 4.0, 1.0));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(270);
        let x = random::<3, 4>(&mut rng).scale(2.0);
        for n in [0, 1, 2, 3, 4] {
            check_unary(Powi(n), Powi(n), x);
        }
        // Negative powers: away from the pole at 0.
        let x = away_from_zero(random::<2, 3>(&mut rng), 0.3);
        for n in [-1, -2, -3] {
            check_unary(Powi(n), Powi(n), x);
        }
    }

    #[test]
    fn gradient_is_n_times_x_to_the_n_minus_one() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(2.0, -1.5, 0.5));
        let d_out = Matrix1x3::new(1.0, 2.0, -1.0);
        let grads = x.powi(-2).backward_with(d_out);
        // d/dx x⁻² = −2/x³
        let expected = x.value().map(|v| -2.0 / (v * v * v)).component_mul(&d_out);
        assert!((grads.wrt(x) - expected).abs().max() < 1e-14);
    }

    #[test]
    fn power_zero_and_one_at_zero() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(0.0, -0.0, 3.0));
        let p0 = x.powi(0);
        assert_eq!(p0.value(), Matrix1x3::repeat(1.0));
        assert_eq!(
            *p0.backward_with(Matrix1x3::repeat(5.0)).wrt(x),
            Matrix1x3::zeros()
        );
        let p1 = x.powi(1);
        assert_eq!(
            *p1.backward_with(Matrix1x3::repeat(5.0)).wrt(x),
            Matrix1x3::repeat(5.0)
        );
    }

    #[test]
    fn negative_power_at_zero_is_infinite() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, -0.0, 0.0, -0.0));
        let y = x.powi(-1);
        let v = y.value();
        assert_eq!(
            v,
            Matrix1x4::new(
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY
            )
        );
        let grads = y.backward_with(Matrix1x4::new(1.0, 1.0, -1.0, -1.0));
        let d = grads.wrt(x);
        assert_eq!(
            *d,
            Matrix1x4::new(
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::INFINITY
            )
        );
    }

    #[test]
    fn extreme_exponents_do_not_overflow_the_exponent() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(1.0, -1.0, 2.0));
        let y = x.powi(i32::MIN);
        assert_eq!(y.value(), Matrix1x3::new(1.0, 1.0, 0.0));
        let grads = y.backward_with(Matrix1x3::repeat(1.0));
        let n = f64::from(i32::MIN);
        // n·xⁿ⁻¹: 1ⁿ⁻¹ = 1, (−1)ⁿ⁻¹ = −1 (n − 1 is odd), 2ⁿ⁻¹ underflows to 0.
        assert_eq!(*grads.wrt(x), Matrix1x3::new(n, -n, 0.0));
    }
}
