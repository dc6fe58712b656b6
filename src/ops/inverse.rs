use nalgebra::SMatrix;

use crate::contract::scratch::with_scratch;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::linalg::{Lu, nan};
use crate::ops::linalg_paths::{backward_by_value, fits_on_stack, forward_by_value};

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
/// **Large matrices.** At 16 KiB and more, `A` is factored in a per-thread scratch buffer on
/// the heap (allocated once per thread, reused by later passes), and the output and the
/// gradient are written in place: no whole matrix goes through the stack.
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

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Inverse"))
    }

    fn name(&self) -> &'static str {
        "inverse"
    }

    fn forward(&self, (a,): (&SMatrix<T, N, N>,)) -> SMatrix<T, N, N> {
        let mut factors = *a;
        let lu = Lu::new(&mut factors);
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

    fn forward_into(&self, (a,): (&SMatrix<T, N, N>,), out: &mut SMatrix<T, N, N>) {
        if fits_on_stack::<T, N, N>() {
            return forward_by_value(self, (a,), out);
        }
        with_scratch::<T, N, N, _>(|lu| {
            lu.copy_from(a);
            let lu = Lu::new(lu);
            if lu.is_singular() {
                out.fill(nan());
            } else {
                out.fill_with_identity();
                lu.solve_in_place(out);
            }
        });
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, N, N>,),
        y: &SMatrix<T, N, N>,
        d_out: &SMatrix<T, N, N>,
        (d_a,): (Option<GradSlot<'_, T, N, N>>,),
    ) {
        let Some(d_a) = d_a else { return };
        if fits_on_stack::<T, N, N>() {
            return backward_by_value(self, (a,), y, d_out, (Some(d_a),));
        }
        // M = Yᵀ·dOut in a scratch buffer, then dA = −M·Yᵀ column by column into the slot.
        with_scratch::<T, N, N, _>(|m| {
            let (y, d_out) = (y.as_slice(), d_out.as_slice());
            for (j, column) in m.as_mut_slice().chunks_exact_mut(N).enumerate() {
                let d = &d_out[j * N..(j + 1) * N];
                for (i, entry) in column.iter_mut().enumerate() {
                    let yi = &y[i * N..(i + 1) * N];
                    *entry = yi.iter().zip(d).fold(T::zero(), |s, (&a, &b)| s + a * b);
                }
            }
            let (d_a, add) = d_a.into_parts();
            let m = m.as_slice();
            for (j, column) in d_a.as_mut_slice().chunks_exact_mut(N).enumerate() {
                if !add {
                    column.fill(T::zero());
                }
                // Column j of −M·Yᵀ: −Σ_k Y[j, k]·(column k of M).
                for k in 0..N {
                    let y_jk = y[k * N + j];
                    for (d, &m) in column.iter_mut().zip(&m[k * N..(k + 1) * N]) {
                        *d -= m * y_jk;
                    }
                }
            }
        });
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
    use crate::ops::linalg_paths::testing::check_unary_large;

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

    #[test]
    fn large_matrices_are_inverted_on_the_heap_and_agree() {
        // 48×48 f64 (18 KiB) takes the heap path and f32 the static one; at 64×64 both do.
        let mut rng = rng(923);
        let a = random::<48, 48>(&mut rng) + SMatrix::<f64, 48, 48>::identity() * 48.0;
        check_unary_large(Inverse, a, 1e-5);
        let a = random::<64, 64>(&mut rng) + SMatrix::<f64, 64, 64>::identity() * 64.0;
        check_unary_large(Inverse, a, 1e-5);
        // Pivoting: rows exchanged (a dominant subdiagonal).
        let b = random::<48, 48>(&mut rng)
            + SMatrix::<f64, 48, 48>::from_fn(|i, j| if i == j + 1 { 48.0 } else { 0.0 })
            + SMatrix::<f64, 48, 48>::from_fn(|i, j| if (i, j) == (0, 47) { 48.0 } else { 0.0 });
        check_unary_large(Inverse, b, 1e-5);
    }

    #[test]
    fn large_singular_gives_nan_everywhere() {
        let mut a = random::<48, 48>(&mut rng(924));
        a.set_column(5, &(a.column(3) + a.column(7)));
        a.column_mut(9).fill(0.0);
        let g = Graph::<f64>::new();
        let av = g.var(a);
        let y = av.inverse();
        assert!(y.value().iter().all(|v| v.is_nan()));
        assert!(y.sum().backward().wrt(av).iter().all(|v| v.is_nan()));
    }
}
