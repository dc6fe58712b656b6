use nalgebra::SMatrix;

use crate::contract::Op;
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::linalg::{Lu, nan};

/// The inverse of a square matrix, by LU factorisation with partial pivoting.
///
/// ```text
/// Shape:    (N×N) → (N×N)
/// Gradient: dA = −Yᵀ·dOut·Yᵀ (N×N), Y = A⁻¹ the output
/// ```
///
/// To solve `A·X = B`, prefer [`Solve`](crate::ops::Solve) (`a.solve(b)`): it is cheaper and
/// more accurate than `a.inverse() * b`. Sugar: `a.inverse()`. Generic code over `N` needs no
/// bound (see [`Solve`](crate::ops::Solve)).
///
/// **Singular `A`** (a pivot exactly 0): every entry of the output and of the gradient is NaN,
/// never a finite wrong number; [`Graph::detect_anomalies`](crate::Graph::detect_anomalies)
/// turns it into a panic at your line that names the `inverse` node. A nearly singular `A`
/// gives the floating-point inverse, with an error that grows with its condition number.
///
/// ```
/// use nalgebra::Matrix2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2::new(2.0, 0.0, 0.0, 4.0));
/// let y: Var<'_, f64, 2, 2> = a.inverse();
/// assert_eq!(y.value(), Matrix2::new(0.5, 0.0, 0.0, 0.25));
///
/// // d(sum of A⁻¹)/dA = −A⁻ᵀ·1·A⁻ᵀ
/// let grads = y.sum().backward();
/// assert_eq!(*grads.wrt(a), Matrix2::new(-0.25, -0.125, -0.125, -0.0625));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Inverse;

impl<T: Real, const N: usize> Op<T, (SMatrix<T, N, N>,)> for Inverse {
    type Output = SMatrix<T, N, N>;

    fn name(&self) -> &'static str {
        "inverse"
    }

    fn forward(&self, (a,): (&SMatrix<T, N, N>,)) -> SMatrix<T, N, N> {
        let lu = Lu::new(a);
        if lu.is_singular() {
            return SMatrix::repeat(nan());
        }
        let mut y = SMatrix::identity();
        lu.solve_in_place(&mut y);
        y
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, N, N>,),
        y: &SMatrix<T, N, N>,
        d_out: &SMatrix<T, N, N>,
    ) -> (SMatrix<T, N, N>,) {
        (-(y.tr_mul(d_out) * y.transpose()),)
    }
}

impl<'g, T: Real, const N: usize> Var<'g, T, N, N> {
    /// The inverse, see [`Inverse`](crate::ops::Inverse) (NaN everywhere if `self` is
    /// singular).
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// let product = (a * a.inverse()).value();
    /// assert!((product - Matrix2::identity()).amax() < 1e-15);
    /// ```
    #[track_caller]
    pub fn inverse(self) -> Var<'g, T, N, N> {
        self.graph().apply(Inverse, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, SMatrix};

    use super::Inverse;
    use crate::diff::check::GradcheckOptions;
    use crate::diff::testing::{
        check_unary, check_unary_with, random, rng, tight, with_singular_values,
    };
    use crate::graph::Graph;

    #[test]
    fn forward_values_agree_with_nalgebra() {
        let mut rng = rng(920);
        let a: SMatrix<f64, 5, 5> = random(&mut rng);
        let g = Graph::<f64>::new();
        let expected = a.try_inverse().unwrap();
        let y = g.var(a).inverse().value();
        assert!((y - expected).amax() < 1e-12 * expected.amax());
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(921);
        for _ in 0..4 {
            let a = random::<4, 4>(&mut rng) + SMatrix::<f64, 4, 4>::identity() * 2.0;
            check_unary(Inverse, Inverse, a);
        }
        check_unary(Inverse, Inverse, random::<1, 1>(&mut rng).add_scalar(2.0));
        check_unary(
            Inverse,
            Inverse,
            Matrix3::new(0.0, 1.0, 2.0, 1.0, 0.0, 3.0, 4.0, -3.0, 8.0),
        );
    }

    #[test]
    fn gradcheck_ill_conditioned() {
        let a = with_singular_values(922, [1.0, 0.5, 0.1, 1e-3]);
        let options = GradcheckOptions {
            h: 1e-7,
            rtol: 1e-6,
            ..tight()
        };
        let f32_tolerance = 5e-3;
        check_unary_with(Inverse, Inverse, a, Some(&options), f32_tolerance);
    }

    #[test]
    fn singular_gives_nan_everywhere() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix3::new(1.0, 2.0, 3.0, 3.0, -2.0, 1.0, 4.0, 0.0, 4.0));
        let y = a.inverse();
        assert!(y.value().iter().all(|v| v.is_nan()));
        assert!(y.sum().backward().wrt(a).iter().all(|v| v.is_nan()));
    }
}
