use nalgebra::{Matrix1, SMatrix};

use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;

/// Multiplication of a matrix by a 1×1 var: `s·A`, where the scale factor is itself
/// differentiated (unlike [`Scale`](crate::ops::Scale), whose factor is a constant).
///
/// ```text
/// Shape:    (R×C)·(1×1) → (R×C)
/// Gradient: dA = s·dOut (R×C), dS = ⟨A, dOut⟩ = Σ A∘dOut (1×1)
/// ```
///
/// The factor is typed 1×1: a 1×3 or a 3×1 factor does not compile (expected `1`, found
/// `3`), so a scale is never confused with a matrix product. This is the op for a mass
/// matrix `A + B·cos q₁` or a length times a direction, where the factor comes out of the
/// graph. Sugar: `a.scale_by(s)`.
///
/// ```
/// use nalgebra::{Matrix1, Matrix2x3};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let s = g.var(Matrix1::new(-2.0));
/// let b: Var<'_, f64, 2, 3> = a.scale_by(s);
/// assert_eq!(b.value(), Matrix2x3::new(-2.0, -4.0, -6.0, -8.0, -10.0, -12.0));
/// let grads = b.sum().backward();
/// assert_eq!(*grads.wrt(a), Matrix2x3::repeat(-2.0)); // s·dOut
/// assert_eq!(*grads.wrt(s), Matrix1::new(21.0)); // ⟨A, dOut⟩ = Σ A
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ScaleBy;

impl<T: Real, const R: usize, const C: usize> Op<T, (SMatrix<T, R, C>, Matrix1<T>)> for ScaleBy {
    type Output = SMatrix<T, R, C>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("ScaleBy"))
    }

    fn name(&self) -> &'static str {
        "scale_by"
    }

    fn forward(&self, (a, s): (&SMatrix<T, R, C>, &Matrix1<T>)) -> SMatrix<T, R, C> {
        a * s[0]
    }

    fn backward(
        &self,
        (a, s): (&SMatrix<T, R, C>, &Matrix1<T>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> (SMatrix<T, R, C>, Matrix1<T>) {
        (d_out * s[0], Matrix1::new(a.dot(d_out)))
    }

    /// The same, written into `out` in place (no R×C temporary: a large matrix never goes
    /// through the stack).
    fn forward_into(&self, (a, s): (&SMatrix<T, R, C>, &Matrix1<T>), out: &mut SMatrix<T, R, C>) {
        let s = s[0];
        for (y, &x) in out.as_mut_slice().iter_mut().zip(a.as_slice()) {
            *y = x * s;
        }
    }

    /// The same, `dA` written into its slot entry by entry.
    fn backward_into(
        &self,
        (a, s): (&SMatrix<T, R, C>, &Matrix1<T>),
        _out: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
        (d_a, d_s): (Option<GradSlot<'_, T, R, C>>, Option<GradSlot<'_, T, 1, 1>>),
    ) {
        if let Some(d_a) = d_a {
            d_a.add_map(d_out, |d| d * s[0]);
        }
        if let Some(d_s) = d_s {
            d_s.add(&Matrix1::new(a.dot(d_out)));
        }
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// `s·self`, the 1×1 var `s` times every entry, see [`ScaleBy`](crate::ops::ScaleBy).
    ///
    /// ```
    /// use nalgebra::{Matrix1, Vector3};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let direction = g.var(Vector3::new(1.0, 0.0, -1.0));
    /// let length = g.var(Matrix1::new(0.5));
    /// assert_eq!(direction.scale_by(length).value(), Vector3::new(0.5, 0.0, -0.5));
    /// ```
    #[track_caller]
    pub fn scale_by(self, s: Var<'g, T, 1, 1>) -> Var<'g, T, R, C> {
        self.graph().apply(ScaleBy, (self, s))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix2, Matrix3x4};

    use super::ScaleBy;
    use crate::diff::testing::{check_binary, random, rng};
    use crate::graph::Graph;

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(660);
        check_binary(
            ScaleBy,
            ScaleBy,
            random::<3, 4>(&mut rng),
            random::<1, 1>(&mut rng).scale(3.0),
        );
        check_binary(
            ScaleBy,
            ScaleBy,
            random::<1, 1>(&mut rng),
            random::<1, 1>(&mut rng),
        );
        check_binary(
            ScaleBy,
            ScaleBy,
            random::<2, 1>(&mut rng),
            Matrix1::new(0.0),
        );
    }

    #[test]
    fn equals_the_product_with_a_constant_scale_and_the_old_workaround() {
        // The issue's workaround: (3×1)·(1×1) as a matrix product gives the same numbers.
        let mut rng = rng(661);
        let g = Graph::<f64>::new();
        let a = g.var(random::<3, 1>(&mut rng));
        let s = g.var(random::<1, 1>(&mut rng));
        let upstream = random::<3, 1>(&mut rng);
        let by = a.scale_by(s);
        let product = a * s;
        assert_eq!(by.value(), product.value());
        assert_eq!(by.value(), a.value().scale(s.value()[0]));
        let grads = by.backward_with(upstream);
        let (d_a, d_s) = (*grads.wrt(a), *grads.wrt(s));
        drop(grads);
        let grads = product.backward_with(upstream);
        assert!((d_a - grads.wrt(a)).abs().max() < 1e-15);
        assert!((d_s - grads.wrt(s)).abs().max() < 1e-15);
    }

    #[test]
    fn a_matrix_scaled_by_a_function_of_its_own_entries() {
        // M(q) = A·cos q: dq = −sin q·⟨A, dOut⟩.
        let g = Graph::<f64>::new();
        let a = Matrix2::new(1.0, 2.0, 3.0, 4.0);
        let q = g.var(Matrix1::new(0.3));
        let m = g.constant(a).scale_by(q.cos());
        let grads = m.sum().backward();
        assert!((grads.wrt(q)[0] + 0.3f64.sin() * 10.0).abs() < 1e-14);
    }

    #[test]
    fn a_zero_scale_still_passes_the_gradient_of_the_scale() {
        let mut rng = rng(662);
        let g = Graph::<f64>::new();
        let a = random::<3, 4>(&mut rng);
        let (av, s) = (g.var(a), g.var(Matrix1::new(0.0)));
        let upstream = random::<3, 4>(&mut rng);
        let grads = av.scale_by(s).backward_with(upstream);
        assert_eq!(*grads.wrt(av), Matrix3x4::zeros());
        assert!((grads.wrt(s)[0] - a.dot(&upstream)).abs() < 1e-15);
    }
}
