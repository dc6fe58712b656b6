use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Real power, element-wise: `xᵖ` for a constant real `p` (not differentiated).
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ p·xᵖ⁻¹ (R×C); 0 for p = 0
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// Values are those of `f64::powf` (`f32::powf`), and so is the domain:
/// * `x > 0`: finite value and gradient;
/// * `x < 0`: real only for an integer `p`, e.g. `(−2)^3.0 = −8` with gradient `12`; for a
///   non-integer `p` the value and the gradient are NaN;
/// * `x = 0`: value `0` for `p > 0` and `+inf` for `p < 0`; gradient `dOut·p·0ᵖ⁻¹`, that is 0
///   for `p > 1`, `dOut` for `p = 1`, and infinite for `p < 1` (`+inf` for `0 < p < 1`, `−inf`
///   for `p < 0`, times the sign of `dOut`; NaN where `dOut` is 0);
/// * `p = 0`: value 1 everywhere (also `0⁰`), gradient exactly 0;
/// * `x = ±∞`: `f64::powf`'s limits (`(+∞)^p` is `+∞` for `p > 0`, `0` for `p < 0`), and the
///   gradient `dOut·p·xᵖ⁻¹` is 0 where `xᵖ⁻¹` is (`p < 1`), infinite where it is infinite.
///
/// For an integer exponent prefer [`Powi`](crate::ops::Powi). Sugar: `a.powf(p)`.
///
/// ```
/// use nalgebra::Matrix1x2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x2::new(4.0, 9.0));
/// let y: Var<'_, f64, 1, 2> = a.powf(1.5);
/// assert_eq!(y.value(), Matrix1x2::new(8.0, 27.0));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x2::new(3.0, 4.5)); // 1.5·√x
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Powf<T>(pub T);

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Powf<T> {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::call(
            "shapegrad::ops::Powf",
            [RustExpr::scalar(self.0)?],
        ))
    }

    fn name(&self) -> &'static str {
        "powf"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| x.powf(self.0))
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        let p = self.0;
        if p == T::zero() {
            return (SMatrix::zeros(),);
        }
        let below = p - T::one();
        (d_out.zip_map(a, |d, x| d * p * x.powf(below)),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| *y = x.powf(self.0));
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let p = self.0;
            if p == T::zero() {
                d_a.add_map(d_out, |_| T::zero());
                return;
            }
            let below = p - T::one();
            d_a.add_zip_map(d_out, a, |d, x| d * p * x.powf(below));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `xᵖ` element-wise for a real `p`, see [`Powf`](crate::ops::Powf).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(4.0, 0.25));
    /// assert_eq!(x.powf(0.5).value(), nalgebra::Vector2::new(2.0, 0.5));
    /// ```
    #[track_caller]
    pub fn powf(self, p: T) -> Var<'g, T, R, C> {
        self.graph().apply(Powf(p), (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix1x4};

    use super::Powf;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(4.0, 0.25, 1.0));
        assert_eq!(x.powf(2.5).value(), Matrix1x3::new(32.0, 1.0 / 32.0, 1.0));
        assert_eq!(x.powf(-1.5).value(), Matrix1x3::new(0.125, 8.0, 1.0));
    }

    #[test]
    fn gradcheck_random_positive() {
        let mut rng = rng(280);
        let x = random::<3, 4>(&mut rng).map(|v| 2.0 * v.abs() + 0.2);
        for p in [0.5, 2.5, -1.5, 1.0, 0.0] {
            check_unary(Powf(p), Powf(p as f32), x);
        }
        check_unary(
            Powf(0.5),
            Powf(0.5_f32),
            random::<1, 1>(&mut rng).map(|v| v.abs() + 0.5),
        );
    }

    #[test]
    fn gradient_is_p_times_x_to_the_p_minus_one() {
        // d/dx x^2.5 = 2.5·x·√x, d/dx x^−1.5 = −1.5 / (x²·√x)
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(0.3, 1.7, 4.0));
        let ones = Matrix1x3::repeat(1.0);
        let d = *x.powf(2.5).backward_with(ones).wrt(x);
        let expected = x.value().map(|v| 2.5 * v * v.sqrt());
        assert!(
            (d - expected).component_div(&expected).abs().max() < 1e-14,
            "{d}"
        );
        let d = *x.powf(-1.5).backward_with(ones).wrt(x);
        let expected = x.value().map(|v| -1.5 / (v * v * v.sqrt()));
        assert!(
            (d - expected).component_div(&expected).abs().max() < 1e-14,
            "{d}"
        );
    }

    #[test]
    fn negative_base() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(-2.0, -2.0, -0.5));
        let cube = x.powf(3.0);
        assert_eq!(cube.value(), Matrix1x3::new(-8.0, -8.0, -0.125));
        let grads = cube.backward_with(Matrix1x3::repeat(1.0));
        assert_eq!(*grads.wrt(x), Matrix1x3::new(12.0, 12.0, 0.75));
        drop(grads);
        let root = x.powf(0.5);
        assert!(root.value().iter().all(|v| v.is_nan()));
        let grads = root.backward_with(Matrix1x3::repeat(1.0));
        assert!(grads.wrt(x).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn at_zero() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(0.0, 0.0, 0.0, 0.0));
        let ones = Matrix1x4::new(1.0, 1.0, 1.0, 1.0);
        let cases = [
            (2.5, 0.0, 0.0),
            (1.0, 0.0, 1.0),
            (0.5, 0.0, f64::INFINITY),
            (-1.5, f64::INFINITY, f64::NEG_INFINITY),
            (0.0, 1.0, 0.0),
        ];
        for (p, value, grad) in cases {
            let y = x.powf(p);
            assert_eq!(y.value(), Matrix1x4::repeat(value), "p = {p}");
            assert_eq!(
                *y.backward_with(ones).wrt(x),
                Matrix1x4::repeat(grad),
                "p = {p}"
            );
        }
    }
}
