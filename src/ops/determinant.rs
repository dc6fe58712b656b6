use nalgebra::SMatrix;

use crate::contract::scratch::with_scratch;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::linalg::Lu;
use crate::ops::linalg_paths::{backward_by_value, fits_on_stack, forward_by_value};

/// The determinant of a square matrix, by LU factorisation with partial pivoting.
///
/// ```text
/// Shape:    (N×N) → (1×1)
/// Gradient: dA = dOut·cof(A) (N×N), cof(A) = adj(A)ᵀ = det(A)·A⁻ᵀ
/// ```
///
/// The gradient is the cofactor matrix, which is a polynomial in the entries of `A` and so
/// stays finite and right at a singular `A`, where `det(A)·A⁻ᵀ` is 0·∞:
///
/// * `A` regular (every pivot nonzero): `det(A)·A⁻ᵀ`, from the forward pass's factors, solved
///   again with `Aᵀ`. Nearly singular matrices take this path too; it stays accurate because
///   the small pivot that makes `A⁻ᵀ` large is the factor that makes `det(A)` small.
/// * `A` singular (a pivot exactly 0): each cofactor as a determinant, `cof(A)[i, j] = det(A
///   with column j replaced by eᵢ)`: N² factorisations, O(N⁵), only on this path. For rank
///   N − 1 the result is the rank-one adjugate (nonzero); for rank N − 2 or less, 0.
///
/// At 16 KiB and more, `A` (and, on the singular path, each matrix with a replaced column) is
/// factored in a per-thread scratch buffer on the heap (allocated once per thread, reused by
/// later passes) and the gradient is written in place: no whole matrix goes through the stack.
///
/// The value at a singular `A` is exactly 0 (the zero pivot is a factor of the product).
/// Sugar: `a.determinant()`; generic code over `N` needs no bound.
///
/// ```
/// use nalgebra::{Matrix1, Matrix2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2::new(2.0, 1.0, 4.0, 3.0));
/// let det: Var<'_, f64, 1, 1> = a.determinant();
/// assert_eq!(det.value(), Matrix1::new(2.0));
/// let cof = Matrix2::new(3.0, -4.0, -1.0, 2.0);
/// assert!((det.backward().wrt(a) - cof).amax() < 1e-15);
///
/// // Singular: det = 0, and the gradient is still the cofactor matrix.
/// a.set_value(Matrix2::new(1.0, 2.0, 2.0, 4.0));
/// assert_eq!(det.value(), Matrix1::new(0.0));
/// assert_eq!(*det.backward().wrt(a), Matrix2::new(4.0, -2.0, -2.0, 1.0));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Determinant;

impl<T: Real, const N: usize> Op<T, (SMatrix<T, N, N>,)> for Determinant {
    type Output = SMatrix<T, 1, 1>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Determinant"))
    }

    fn name(&self) -> &'static str {
        "determinant"
    }

    fn forward(&self, (a,): (&SMatrix<T, N, N>,)) -> SMatrix<T, 1, 1> {
        let mut factors = *a;
        SMatrix::<T, 1, 1>::new(Lu::new(&mut factors).determinant())
    }

    fn backward(
        &self,
        (a,): (&SMatrix<T, N, N>,),
        _det: &SMatrix<T, 1, 1>,
        d_out: &SMatrix<T, 1, 1>,
    ) -> (SMatrix<T, N, N>,) {
        (cofactors(a) * d_out[0],)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, N, N>,), out: &mut SMatrix<T, 1, 1>) {
        if fits_on_stack::<T, N, N>() {
            return forward_by_value(self, (a,), out);
        }
        out[0] = with_scratch::<T, N, N, _>(|lu| {
            lu.copy_from(a);
            Lu::new(lu).determinant()
        });
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, N, N>,),
        det: &SMatrix<T, 1, 1>,
        d_out: &SMatrix<T, 1, 1>,
        (d_a,): (Option<GradSlot<'_, T, N, N>>,),
    ) {
        let Some(d_a) = d_a else { return };
        if fits_on_stack::<T, N, N>() {
            return backward_by_value(self, (a,), det, d_out, (Some(d_a),));
        }
        let d = d_out[0];
        with_scratch::<T, N, N, _>(|cof| {
            cofactors_into(a, cof);
            d_a.add_map(cof, |c| c * d);
        });
    }
}

/// [`cofactors`] written into `cof`, with the factorisations in scratch buffers: the path for
/// matrices too large for the stack.
fn cofactors_into<T: Real, const N: usize>(a: &SMatrix<T, N, N>, cof: &mut SMatrix<T, N, N>) {
    let regular = with_scratch::<T, N, N, _>(|lu| {
        lu.copy_from(a);
        let lu = Lu::new(lu);
        if lu.is_singular() {
            return false;
        }
        cof.fill_with_identity();
        *cof *= lu.determinant();
        lu.solve_transpose_in_place(cof);
        true
    });
    if regular {
        return;
    }
    with_scratch::<T, N, N, _>(|replaced| {
        replaced.copy_from(a);
        for j in 0..N {
            for i in 0..N {
                replaced.column_mut(j).fill(T::zero());
                replaced[(i, j)] = T::one();
                cof[(i, j)] = with_scratch::<T, N, N, _>(|lu| {
                    lu.copy_from(replaced);
                    Lu::new(lu).determinant()
                });
            }
            replaced.set_column(j, &a.column(j));
        }
    });
}

/// cof(A) = adj(A)ᵀ: `det(A)·A⁻ᵀ` for a regular `A`, determinants of `A` with one column
/// replaced by a unit vector for a singular one.
fn cofactors<T: Real, const N: usize>(a: &SMatrix<T, N, N>) -> SMatrix<T, N, N> {
    let mut factors = *a;
    let lu = Lu::new(&mut factors);
    if !lu.is_singular() {
        let mut cof = SMatrix::<T, N, N>::identity() * lu.determinant();
        lu.solve_transpose_in_place(&mut cof);
        return cof;
    }
    let mut cof = SMatrix::<T, N, N>::zeros();
    let mut replaced = *a;
    for j in 0..N {
        for i in 0..N {
            let mut unit = SMatrix::<T, N, 1>::zeros();
            unit[i] = T::one();
            replaced.set_column(j, &unit);
            let mut factors = replaced;
            cof[(i, j)] = Lu::new(&mut factors).determinant();
        }
        replaced.set_column(j, &a.column(j));
    }
    cof
}

impl<'g, T: Real, const N: usize> Var<'g, T, N, N> {
    /// The determinant (1×1), see [`Determinant`](crate::ops::Determinant); its gradient is the
    /// cofactor matrix, finite at singular matrices too.
    ///
    /// ```
    /// use nalgebra::Matrix3;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(Matrix3::from_diagonal(&nalgebra::Vector3::new(2.0, 3.0, 4.0)));
    /// assert_eq!(a.determinant().value()[0], 24.0);
    /// ```
    #[track_caller]
    pub fn determinant(self) -> Var<'g, T, 1, 1> {
        self.graph().apply(Determinant, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, Matrix2, Matrix3, SMatrix};

    use super::{Determinant, cofactors};
    use crate::diff::check::GradcheckOptions;
    use crate::diff::testing::{
        check_unary, check_unary_with, random, rng, tight, with_singular_values,
    };
    use crate::graph::Graph;
    use crate::ops::linalg_paths::testing::check_unary_large;

    /// The cofactor matrix by its definition: signed minors.
    fn cofactors_by_minors<const N: usize>(a: &SMatrix<f64, N, N>) -> SMatrix<f64, N, N> {
        SMatrix::from_fn(|i, j| {
            let minor = nalgebra::DMatrix::from_fn(N - 1, N - 1, |r, c| {
                a[(r + usize::from(r >= i), c + usize::from(c >= j))]
            });
            let sign = if (i + j) % 2 == 0 { 1.0 } else { -1.0 };
            sign * minor.determinant()
        })
    }

    #[test]
    fn forward_values_agree_with_nalgebra() {
        let mut rng = rng(930);
        for _ in 0..10 {
            let a: SMatrix<f64, 5, 5> = random(&mut rng);
            let g = Graph::<f64>::new();
            let det = g.var(a).determinant().value()[0];
            assert!((det - a.determinant()).abs() < 1e-14, "{det}");
        }
        let g = Graph::<f64>::new();
        assert_eq!(g.var(Matrix1::new(-3.0)).determinant().value()[0], -3.0);
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(931);
        for _ in 0..4 {
            check_unary(Determinant, Determinant, random::<4, 4>(&mut rng));
        }
        check_unary(Determinant, Determinant, random::<1, 1>(&mut rng));
        check_unary(Determinant, Determinant, random::<6, 6>(&mut rng));
    }

    #[test]
    fn gradcheck_nearly_singular_and_ill_conditioned() {
        // det is a polynomial: its central differences stay accurate near singular matrices,
        // so the standard tolerances hold, in f32 too (the gradient is O(1) there).
        for (seed, sigma) in [
            (932, [1.0, 0.5, 0.1, 1e-3]),
            (933, [2.0, 1.0, 1.0, 1e-8]),
            (934, [1.0, 1.0, 1.0, 1e-14]),
        ] {
            let a = with_singular_values(seed, sigma);
            let options = GradcheckOptions {
                atol: 1e-10,
                ..tight()
            };
            let f32_tolerance = 1e-5;
            check_unary_with(Determinant, Determinant, a, Some(&options), f32_tolerance);
            assert!((cofactors(&a) - cofactors_by_minors(&a)).amax() < 1e-13);
        }
    }

    #[test]
    fn singular_matrices_have_the_adjugate_as_gradient() {
        let mut rng = rng(935);
        // Exactly singular in floating point too (the elimination's multipliers are exact).
        // Rank 2 (row 3 = row 1 + row 2): det = 0, adj(A) of rank 1, nonzero.
        let rank2 = Matrix3::new(1.0, 2.0, 3.0, 3.0, -2.0, 1.0, 4.0, 0.0, 4.0);
        // Rank 1: every cofactor is 0. A zero column: rank 2 again.
        let rank1 = Matrix3::new(1.0, 2.0, 3.0, 2.0, 4.0, 6.0, -1.0, -2.0, -3.0);
        let zero_column = Matrix3::new(1.0, 0.0, 3.0, 4.0, 0.0, 6.0, 5.0, 0.0, 10.0);
        for a in [rank2, rank1, zero_column] {
            let g = Graph::<f64>::new();
            let av = g.var(a);
            let det = av.determinant();
            assert_eq!(det.value()[0], 0.0);
            let d_out = random::<1, 1>(&mut rng);
            let grads = det.backward_with(d_out);
            let expected = cofactors_by_minors(&a) * d_out[0];
            assert!(grads.wrt(av).iter().all(|x| x.is_finite()));
            assert!(
                (grads.wrt(av) - expected).amax() < 1e-14,
                "{}",
                grads.wrt(av)
            );
            // Central differences agree here too: det is smooth through singular matrices.
            drop(grads);
            let report = crate::diff::check::gradcheck(det, &tight());
            assert!(report.passed(), "{report}");
        }
        // And in f32.
        let g = Graph::<f32>::new();
        let a = g.var(rank2.cast::<f32>());
        let grads = a.determinant().backward();
        let expected = cofactors_by_minors(&rank2);
        assert!((grads.wrt(a).cast::<f64>() - expected).amax() < 1e-5);
        let by_hand = Matrix3::new(-8.0, -8.0, 8.0, -8.0, -8.0, 8.0, 8.0, 8.0, -8.0);
        assert!((expected - by_hand).amax() < 1e-13);
        assert_eq!(
            cofactors(&Matrix2::new(0.0, 0.0, 0.0, 0.0)),
            Matrix2::zeros()
        );
    }

    #[test]
    fn large_matrices_are_factored_on_the_heap_and_agree() {
        // Near the identity, so that the determinant stays moderate (in f32 too). 48×48 f64
        // takes the heap path and f32 the static one; at 64×64 both do.
        let mut rng = rng(936);
        let a = random::<48, 48>(&mut rng) * 0.1 + SMatrix::<f64, 48, 48>::identity();
        check_unary_large(Determinant, a, 1e-4);
        let a = random::<64, 64>(&mut rng) * 0.1 + SMatrix::<f64, 64, 64>::identity();
        check_unary_large(Determinant, a, 1e-4);
        // Rows exchanged: a permutation of the rows of the first.
        let permuted = SMatrix::<f64, 64, 64>::from_fn(|i, j| a[((i + 5) % 64, j)]);
        check_unary_large(Determinant, permuted, 1e-4);
    }

    #[test]
    fn large_singular_matrices_have_the_cofactors_as_gradient() {
        // 46×46 (just above 16 KiB) with a zero column: exactly singular in floating point,
        // rank N − 1. det = 0, and the gradient from the singular path is the adjugate's
        // transpose: nonzero only in that column, where cof[z, z] is the minor without row and
        // column z and Aᵀ·cof[:, z] = 0 (adj(A)·A = det(A)·I = 0).
        let z = 5;
        let mut a = random::<46, 46>(&mut rng(937)) * 0.5 + SMatrix::<f64, 46, 46>::identity();
        a.column_mut(z).fill(0.0);
        let g = Graph::<f64>::new();
        let av = g.var(a);
        let det = av.determinant();
        assert_eq!(det.value()[0], 0.0);
        let d_out = Matrix1::new(-1.5);
        let grads = det.backward_with(d_out);
        let cof = grads.wrt(av) / d_out[0];
        for (i, j) in [(0, 0), (45, 45), (5, 4), (20, 30)] {
            assert_eq!(cof[(i, j)], 0.0, "cof[{i}, {j}]");
        }
        let minor = nalgebra::DMatrix::from_fn(45, 45, |r, c| {
            a[(r + usize::from(r >= z), c + usize::from(c >= z))]
        });
        assert!((cof[(z, z)] - minor.determinant()).abs() < 1e-12 * cof[(z, z)].abs());
        assert!(cof[(z, z)].abs() > 1e-3);
        let residual = a.transpose() * cof.column(z);
        assert!(residual.amax() < 1e-12 * cof.amax(), "{}", residual.amax());
    }
}
