use nalgebra::{Matrix1, SMatrix};

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// L2 regularization (weight decay) with strength `λ`: `½·λ·‖W‖²`, the squared Frobenius norm.
///
/// ```text
/// Shape:    (R×C) → (1×1)
/// Gradient: dW = dOut·λ·W (R×C)
/// ```
///
/// The ½ makes the gradient `λ·W`, the course notes' `dW += reg * W`. `λ` is a constant (not
/// differentiated); any value is accepted, 0 disables the penalty. The output's dimensions do
/// not depend on the input's (typed). Sugar: `w.l2_penalty(lambda)`; see also
/// [`NormSquared`](super::NormSquared).
///
/// ```
/// use nalgebra::Matrix2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let w = g.var(Matrix2::new(1.0, -2.0, 3.0, 0.5));
/// let penalty: Var<'_, f64, 1, 1> = w.l2_penalty(0.1);
/// assert!((penalty.value()[0] - 0.5 * 0.1 * 14.25).abs() < 1e-15);
/// assert_eq!(*penalty.backward().wrt(w), w.value() * 0.1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct L2Penalty<T>(pub T);

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>,)> for L2Penalty<T> {
    type Output = Matrix1<T>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::call(
            "shapegrad::ops::L2Penalty",
            [RustExpr::scalar(self.0)?],
        ))
    }

    fn name(&self) -> &'static str {
        "l2_penalty"
    }

    fn forward(&self, (w,): (&SMatrix<T, R, C>,)) -> Matrix1<T> {
        let half: T = nalgebra::convert(0.5);
        Matrix1::new(half * self.0 * crate::kernels::dot(w.as_slice(), w.as_slice()))
    }

    fn backward(
        &self,
        (w,): (&SMatrix<T, R, C>,),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
    ) -> (SMatrix<T, R, C>,) {
        (w * (d_out[0] * self.0),)
    }

    #[inline]
    fn backward_into(
        &self,
        (w,): (&SMatrix<T, R, C>,),
        _out: &Matrix1<T>,
        d_out: &Matrix1<T>,
        (d_w,): (Option<GradSlot<'_, T, R, C>>,),
    ) {
        if let Some(d_w) = d_w {
            let scale = d_out[0] * self.0;
            d_w.add_map(w, |x| x * scale);
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `½·λ·‖self‖²`, 1×1; see [`L2Penalty`](crate::ops::L2Penalty).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var(nalgebra::Vector2::new(3.0, 4.0));
    /// assert_eq!(w.l2_penalty(2.0).value()[0], 25.0);
    /// ```
    #[track_caller]
    pub fn l2_penalty(self, lambda: T) -> Var<'g, T, 1, 1> {
        self.graph().apply(L2Penalty(lambda), (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix2x3};

    use super::L2Penalty;
    use crate::diff::testing::{check_unary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn forward_values() {
        let g = Graph::<f64>::new();
        let w = g.var(Matrix2x3::new(1.0, 2.0, -2.0, 0.0, 0.5, -0.5));
        // ½ · 4 · 9.5
        assert_eq!(w.l2_penalty(4.0).value(), Matrix1::new(19.0));
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(440);
        check_unary(
            L2Penalty(1e-3),
            L2Penalty(1e-3_f32),
            random::<4, 3>(&mut rng),
        );
        check_unary(L2Penalty(2.5), L2Penalty(2.5_f32), random::<1, 1>(&mut rng));
        check_unary(L2Penalty(0.0), L2Penalty(0.0_f32), random::<3, 2>(&mut rng));
    }

    #[test]
    fn gradient_is_lambda_w_the_course_notes_reg_times_w() {
        let mut rng = rng(441);
        let g = Graph::<f64>::new();
        let w = g.var(random::<3, 5>(&mut rng));
        let grads = w.l2_penalty(1e-3).backward_with(Matrix1::new(2.0));
        assert!((grads.wrt(w) - w.value() * 2e-3).amax() < 1e-18);
    }

    #[test]
    fn equals_half_lambda_times_norm_squared() {
        let mut rng = rng(442);
        let g = Graph::<f64>::new();
        let w = g.var(random::<4, 4>(&mut rng));
        let (p, n) = (w.l2_penalty(0.3).value()[0], w.norm_squared().value()[0]);
        assert!((p - 0.15 * n).abs() < 1e-15);
    }
}
