use nalgebra::SMatrix;

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Clamping to an interval, element-wise: `min(max(x, lo), hi)` for constant bounds
/// `lo ≤ hi` (not differentiated).
///
/// ```text
/// Shape:    (R×C) → (R×C)
/// Gradient: dA = dOut ∘ [lo ≤ x ≤ hi] (R×C): 1 inside and on the bounds, 0 outside
/// ```
///
/// The output has the input's type (typed equality), so there is no shape rule to break.
///
/// The gradient is 1 strictly inside the interval and 0 strictly outside. **On a bound**
/// (`x == lo` or `x == hi`) it is 1: there the output is the input itself, the convention of
/// `x.maximum(lo).minimum(hi)` with ties going to the first input (see
/// [`Maximum`](crate::ops::Maximum)), so a value that was clamped exactly onto its bound can
/// still be moved back inside by a gradient step. With `lo == hi` the output is constant and
/// the gradient 1 only at `x == lo`. A NaN input gives a NaN value and a NaN-free gradient of 0.
/// Sugar: `a.clamp(lo, hi)`, which panics if `lo > hi` or a bound is NaN.
///
/// ```
/// use nalgebra::Matrix1x4;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix1x4::new(-2.0, -1.0, 0.5, 3.0));
/// let y: Var<'_, f64, 1, 4> = a.clamp(-1.0, 1.0);
/// assert_eq!(y.value(), Matrix1x4::new(-1.0, -1.0, 0.5, 1.0));
/// assert_eq!(*y.sum().backward().wrt(a), Matrix1x4::new(0.0, 1.0, 1.0, 0.0)); // 1 on the bound
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clamp<T> {
    lo: T,
    hi: T,
}

impl<T: Real> Clamp<T> {
    /// Clamping to `[lo, hi]`.
    ///
    /// ```
    /// let clamp = shapegrad::ops::Clamp::new(-1.0, 1.0);
    /// assert_eq!(clamp.bounds(), (-1.0, 1.0));
    /// ```
    ///
    /// # Panics
    /// If `lo > hi` or a bound is NaN.
    #[track_caller]
    pub fn new(lo: T, hi: T) -> Self {
        assert!(
            lo <= hi,
            "shapegrad: clamp needs bounds lo ≤ hi (neither NaN), but lo = {lo:?} and hi = {hi:?}"
        );
        Clamp { lo, hi }
    }

    /// `(lo, hi)`.
    ///
    /// ```
    /// assert_eq!(shapegrad::ops::Clamp::new(0.0_f32, 2.0).bounds(), (0.0, 2.0));
    /// ```
    pub fn bounds(&self) -> (T, T) {
        (self.lo, self.hi)
    }
}

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for Clamp<T> {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::call(
            "shapegrad::ops::Clamp::new",
            [RustExpr::scalar(self.lo)?, RustExpr::scalar(self.hi)?],
        ))
    }

    fn name(&self) -> &'static str {
        "clamp"
    }

    fn forward(&self, (a,): (&SMatrix<T, R, C>,)) -> SMatrix<T, R, C> {
        a.map(|x| {
            if x < self.lo {
                self.lo
            } else if x > self.hi {
                self.hi
            } else {
                x
            }
        })
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>,) {
        let inside = |x: T| self.lo <= x && x <= self.hi;
        (d_out.zip_map(a, |d, x| if inside(x) { d } else { T::zero() }),)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, R, C>,), out: &mut SMatrix<T, R, C>) {
        out.zip_apply(a, |y, x| {
            *y = if x < self.lo {
                self.lo
            } else if x > self.hi {
                self.hi
            } else {
                x
            }
        });
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, R, C>,),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_a) = d_a {
            let inside = |x: T| self.lo <= x && x <= self.hi;
            d_a.add_zip_map(d_out, a, |d, x| if inside(x) { d } else { T::zero() });
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Each entry clamped to `[lo, hi]`, see [`Clamp`](crate::ops::Clamp).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector3::new(-5.0, 0.25, 5.0));
    /// assert_eq!(x.clamp(0.0, 1.0).value(), nalgebra::Vector3::new(0.0, 0.25, 1.0));
    /// ```
    ///
    /// # Panics
    /// If `lo > hi` or a bound is NaN.
    #[track_caller]
    pub fn clamp(self, lo: T, hi: T) -> Var<'g, T, R, C> {
        self.graph().apply(Clamp::new(lo, hi), (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x3, Matrix1x4, Matrix3x4};

    use super::Clamp;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    /// Moves entries within 0.05 of ±0.5 away from the bounds.
    fn away_from_bounds(m: Matrix3x4<f64>) -> Matrix3x4<f64> {
        m.map(|x| {
            let gap = x.abs() - 0.5;
            if gap.abs() < 0.05 {
                (0.5 + 0.05_f64.copysign(gap)).copysign(x)
            } else {
                x
            }
        })
    }

    #[test]
    fn gradcheck_random_inside_and_outside() {
        let mut rng = rng(540);
        let x = away_from_bounds(random(&mut rng));
        assert!(x.iter().any(|v| v.abs() < 0.5) && x.iter().any(|v| v.abs() > 0.5));
        check_unary(Clamp::new(-0.5, 0.5), Clamp::new(-0.5_f32, 0.5), x);
    }

    #[test]
    fn gradient_is_one_on_the_bounds_and_zero_outside() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x4::new(-1.0, -0.5, 0.5, 1.0));
        let y = x.clamp(-0.5, 0.5);
        assert_eq!(y.value(), Matrix1x4::new(-0.5, -0.5, 0.5, 0.5));
        let d = *y.backward_with(Matrix1x4::new(2.0, 3.0, 4.0, 5.0)).wrt(x);
        assert_eq!(d, Matrix1x4::new(0.0, 3.0, 4.0, 0.0));
    }

    #[test]
    fn agrees_with_maximum_then_minimum() {
        let mut rng = rng(541);
        let g = Graph::<f64>::new();
        let mut v: Matrix3x4<f64> = random(&mut rng);
        v[0] = -0.5; // on each bound
        v[1] = 0.5;
        let x = g.var(v);
        let (lo, hi) = (
            g.constant(Matrix3x4::repeat(-0.5)),
            g.constant(Matrix3x4::repeat(0.5)),
        );
        let d_out = random::<3, 4>(&mut rng);
        let clamped = x.clamp(-0.5, 0.5);
        let composed = x.maximum(lo).minimum(hi);
        assert_eq!(clamped.value(), composed.value());
        let d = *clamped.backward_with(d_out).wrt(x);
        assert_eq!(d, *composed.backward_with(d_out).wrt(x));
    }

    #[test]
    fn degenerate_interval_and_nan() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1x3::new(1.0, 2.0, f64::NAN));
        let y = x.clamp(1.0, 1.0);
        let v = y.value();
        assert_eq!((v[0], v[1]), (1.0, 1.0));
        assert!(v[2].is_nan());
        let d = *y.backward_with(Matrix1x3::repeat(1.0)).wrt(x);
        assert_eq!(d, Matrix1x3::new(1.0, 0.0, 0.0));
    }

    #[test]
    #[should_panic(
        expected = "clamp needs bounds lo ≤ hi (neither NaN), but lo = 1.0 and hi = -1.0"
    )]
    fn reversed_bounds_panic() {
        let g = Graph::<f64>::new();
        let _ = g.var(Matrix1x3::zeros()).clamp(1.0, -1.0);
    }

    #[test]
    #[should_panic(expected = "lo = NaN")]
    fn nan_bound_panics() {
        let _ = Clamp::new(f64::NAN, 1.0);
    }
}
