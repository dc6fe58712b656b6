use nalgebra::SMatrix;

use crate::contract::scratch::with_scratch;
use crate::contract::{GradSlot, Op, RustExpr};
use crate::graph::Var;
use crate::kernels::Real;
use crate::kernels::linalg::{cholesky_into, nan, solve_lower_transpose_in_place};
use crate::ops::linalg_paths::{backward_by_value, fits_on_stack, forward_by_value};

/// The Cholesky factor `L` of a symmetric positive definite matrix: `A = L·Lᵀ`, `L` lower
/// triangular with a positive diagonal (zeros above it).
///
/// ```text
/// Shape:    (N×N) → (N×N)
/// Gradient: dA = ½(S + Sᵀ), S = L⁻ᵀ·Φ(Lᵀ·dOut)·L⁻¹ (N×N)
///           Φ(M) = the lower triangle of M with its diagonal halved
/// ```
///
/// **What is factorised: the symmetric part.** The op factorises `sym(A) = (A + Aᵀ)/2`, so its
/// value depends on every entry of `A` and its gradient is the symmetric matrix above: a
/// perturbation `E` of `A`, symmetric or not, changes `L` to first order by exactly
/// `⟨dA, E⟩` — the gradient agrees with central differences entry by entry (libraries that
/// read only the lower triangle but return a symmetrised gradient do not). For a symmetric
/// `A`, as built from `M·Mᵀ + λ·I`, this is the ordinary Cholesky factor. Entries of `dOut`
/// above the diagonal are ignored (`L` is 0 there whatever `A` is).
///
/// The backward pass is the unblocked form of the standard derivation (I. Murray,
/// "Differentiation of the Cholesky decomposition", 2016: from `dL = L·Φ(L⁻¹·dA·L⁻ᵀ)`, the
/// adjoint is `L⁻ᵀ·Φ(Lᵀ·L̄)·L⁻¹` on symmetric perturbations, symmetrised as above): two
/// triangular solves with `Lᵀ`, O(N³).
///
/// **Large matrices.** At 16 KiB and more, `L` is computed in place of the output and the
/// backward pass works in one per-thread scratch buffer on the heap (allocated once per
/// thread, reused by later passes): no whole matrix goes through the stack.
///
/// **Not positive definite** (to working precision: a pivot `aⱼⱼ − Σ lⱼₖ²` that is ≤ 0 or
/// NaN, which includes a matrix that is positive semi-definite only): every entry of `L` is
/// NaN, and so is the gradient — never a finite wrong factor.
/// [`Graph::detect_anomalies`](crate::Graph::detect_anomalies) turns it into a panic at your
/// line naming the `cholesky` node. A matrix that is positive definite only by a margin near
/// rounding still factorises (its last pivot is tiny and positive); its gradient is then
/// large, as the derivative truly is. Sugar: `a.cholesky()`; generic code needs no bound.
///
/// ```
/// use nalgebra::Matrix2;
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a = g.var(Matrix2::new(4.0, 2.0, 2.0, 5.0));
/// let l: Var<'_, f64, 2, 2> = a.cholesky();
/// assert_eq!(l.value(), Matrix2::new(2.0, 0.0, 1.0, 2.0));
///
/// // d(l₁₁)/dA: l₁₁ = √(a₁₁ − a₁₀²/a₀₀), the off-diagonal derivative shared by a₀₁ and a₁₀.
/// let grads = l.backward_with(Matrix2::new(0.0, 0.0, 0.0, 1.0));
/// assert_eq!(*grads.wrt(a), Matrix2::new(0.0625, -0.125, -0.125, 0.25));
/// drop(grads);
///
/// // Not positive definite: NaN everywhere.
/// a.set_value(Matrix2::new(1.0, 2.0, 2.0, 1.0));
/// assert!(l.value().iter().all(|x| x.is_nan()));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Cholesky;

impl<T: Real, const N: usize> Op<T, (SMatrix<T, N, N>,)> for Cholesky {
    type Output = SMatrix<T, N, N>;

    fn to_rust(&self) -> Option<RustExpr> {
        Some(RustExpr::builtin("Cholesky"))
    }

    fn name(&self) -> &'static str {
        "cholesky"
    }

    fn forward(&self, (a,): (&SMatrix<T, N, N>,)) -> SMatrix<T, N, N> {
        // The factor of the symmetric part (A + Aᵀ)/2.
        let mut l = SMatrix::zeros();
        match cholesky_into(a, &mut l) {
            Ok(()) => l,
            Err(_) => SMatrix::repeat(nan()),
        }
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<T, N, N>,),
        l: &SMatrix<T, N, N>,
        d_out: &SMatrix<T, N, N>,
    ) -> (SMatrix<T, N, N>,) {
        let half: T = nalgebra::convert(0.5);
        // P = Φ(Lᵀ·L̄); the strictly upper entries of L̄ do not reach P's lower triangle.
        let mut p = l.tr_mul(d_out).lower_triangle();
        for i in 0..N {
            p[(i, i)] *= half;
        }
        // S = L⁻ᵀ·P·L⁻¹: X = L⁻ᵀ·P, then Sᵀ = L⁻ᵀ·Xᵀ.
        solve_lower_transpose_in_place(l, &mut p);
        let mut s_t = p.transpose();
        solve_lower_transpose_in_place(l, &mut s_t);
        ((s_t + s_t.transpose()) * half,)
    }

    fn forward_into(&self, (a,): (&SMatrix<T, N, N>,), out: &mut SMatrix<T, N, N>) {
        if fits_on_stack::<T, N, N>() {
            return forward_by_value(self, (a,), out);
        }
        if cholesky_into(a, out).is_err() {
            out.fill(nan());
        }
    }

    fn backward_into(
        &self,
        (a,): (&SMatrix<T, N, N>,),
        l: &SMatrix<T, N, N>,
        d_out: &SMatrix<T, N, N>,
        (d_a,): (Option<GradSlot<'_, T, N, N>>,),
    ) {
        let Some(d_a) = d_a else { return };
        if fits_on_stack::<T, N, N>() {
            return backward_by_value(self, (a,), l, d_out, (Some(d_a),));
        }
        let half: T = nalgebra::convert(0.5);
        with_scratch::<T, N, N, _>(|p| {
            // P = Φ(Lᵀ·L̄): the lower triangle of Lᵀ·dOut, its diagonal halved, 0 above.
            let (ls, ds) = (l.as_slice(), d_out.as_slice());
            for (j, column) in p.as_mut_slice().chunks_exact_mut(N).enumerate() {
                let d = &ds[j * N..(j + 1) * N];
                for (i, entry) in column.iter_mut().enumerate() {
                    *entry = if i < j {
                        T::zero()
                    } else {
                        let li = &ls[i * N..(i + 1) * N];
                        li.iter().zip(d).fold(T::zero(), |s, (&a, &b)| s + a * b)
                    };
                }
                column[j] *= half;
            }
            // S = L⁻ᵀ·P·L⁻¹: X = L⁻ᵀ·P, then Sᵀ = L⁻ᵀ·Xᵀ.
            solve_lower_transpose_in_place(l, p);
            p.transpose_mut();
            solve_lower_transpose_in_place(l, p);
            // dA = ½(Sᵀ + S), with p = Sᵀ.
            let (d_a, add) = d_a.into_parts();
            for j in 0..N {
                for i in 0..N {
                    let g = (p[(i, j)] + p[(j, i)]) * half;
                    if add {
                        d_a[(i, j)] += g;
                    } else {
                        d_a[(i, j)] = g;
                    }
                }
            }
        });
    }
}

impl<'g, T: Real, const N: usize> Var<'g, T, N, N> {
    /// The lower-triangular Cholesky factor of the symmetric part of `self`, see
    /// [`Cholesky`](crate::ops::Cholesky) (NaN everywhere if it is not positive definite).
    ///
    /// ```
    /// use nalgebra::Matrix3;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let m = g.var(Matrix3::new(1.0, 0.0, 0.0, 2.0, 1.0, 0.0, -1.0, 3.0, 2.0));
    /// let l = (m * m.transpose()).cholesky();
    /// assert!((l.value() - m.value()).amax() < 1e-14); // m is lower triangular, diagonal > 0
    /// ```
    #[track_caller]
    pub fn cholesky(self) -> Var<'g, T, N, N> {
        self.graph().apply(Cholesky, (self,))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix2, Matrix3, SMatrix};
    use num_dual::Dual64;

    use super::Cholesky;
    use crate::contract::Op;
    use crate::diff::check::GradcheckOptions;
    use crate::diff::testing::{
        check_unary, check_unary_with, random, random_orthogonal, rng, tight,
    };
    use crate::graph::Graph;
    use crate::ops::linalg_paths::testing::check_unary_large;

    /// Q·diag(λ)·Qᵀ with a random orthogonal Q: symmetric, eigenvalues λ.
    fn with_eigenvalues<const N: usize>(seed: u64, lambda: [f64; N]) -> SMatrix<f64, N, N> {
        let q = random_orthogonal::<N>(&mut rng(seed));
        let a = q * SMatrix::<f64, N, N>::from_diagonal(&lambda.into()) * q.transpose();
        (a + a.transpose()) * 0.5
    }

    /// ⟨dOut, dL⟩ along the direction `e`, by forward mode (dual numbers through the forward
    /// pass), against ⟨dA, e⟩ from the backward pass: exact to rounding, at any condition number
    /// and at any distance from the indefinite matrices (central differences need a step that
    /// stays inside the positive definite cone).
    fn forward_mode_agrees<const N: usize>(a: SMatrix<f64, N, N>, seed: u64, tol: f64) {
        let mut rng = rng(seed);
        let (e, d_out) = (random::<N, N>(&mut rng), random::<N, N>(&mut rng));
        let dual = a.zip_map(&e, Dual64::new);
        let l = Op::<Dual64, _>::forward(&Cholesky, (&dual,));
        let along: f64 = l.zip_map(&d_out, |l, d| l.eps * d).sum();
        let value = l.map(|l| l.re);
        let (d_a,) = Op::<f64, _>::backward(&Cholesky, (&a,), &value, &d_out);
        let reverse = d_a.component_mul(&e).sum();
        assert!(
            (along - reverse).abs() <= tol * along.abs().max(1.0),
            "forward mode {along}, reverse {reverse}"
        );
    }

    #[test]
    fn forward_values_agree_with_nalgebra() {
        let mut rng = rng(940);
        let m: SMatrix<f64, 5, 5> = random(&mut rng);
        let a = m * m.transpose() + SMatrix::<f64, 5, 5>::identity();
        let g = Graph::<f64>::new();
        let l = g.var(a).cholesky().value();
        let expected = a.cholesky().unwrap().l();
        assert!((l - expected).amax() < 1e-14);
        assert_eq!(l.lower_triangle(), l);
    }

    #[test]
    fn gradcheck_random() {
        let mut rng = rng(941);
        for _ in 0..4 {
            let m = random::<4, 4>(&mut rng);
            // Not symmetric on purpose: the op factorises the symmetric part, and the
            // gradient must match central differences in every entry.
            let a = m * m.transpose()
                + SMatrix::<f64, 4, 4>::identity()
                + random::<4, 4>(&mut rng) * 0.1;
            check_unary(Cholesky, Cholesky, a);
        }
        check_unary(Cholesky, Cholesky, random::<1, 1>(&mut rng).add_scalar(2.0));
    }

    #[test]
    fn gradcheck_ill_conditioned() {
        // Eigenvalues down to 1e-4: derivatives grow as λ_min^(-3/2).
        let a = with_eigenvalues(942, [1.0, 0.3, 1e-2, 1e-4]);
        let options = GradcheckOptions {
            h: 1e-7,
            rtol: 1e-5,
            ..tight()
        };
        let f32_tolerance = 2e-2;
        check_unary_with(Cholesky, Cholesky, a, Some(&options), f32_tolerance);
        forward_mode_agrees(a, 943, 1e-9);
    }

    #[test]
    fn spd_to_rounding_only_factorises_with_exact_gradients() {
        // The smallest eigenvalue is at the level of the rounding of the others (1e-15): the
        // matrix is positive definite by a hair, central differences with any usable step
        // leave the cone, and forward mode is the reference.
        for (seed, lambda) in [(944, [1.0, 0.5, 1e-12]), (945, [2.0, 1.0, 5e-15])] {
            let a = with_eigenvalues(seed, lambda);
            let g = Graph::<f64>::new();
            let l = g.var(a).cholesky().value();
            if l.iter().all(|x| x.is_finite()) {
                assert!((l * l.transpose() - a).amax() < 1e-14);
                // Derivatives of size λ_min^(-3/2) ~ 1e18-1e22: agreement to rounding, relative.
                forward_mode_agrees(a, seed + 10, 1e-6);
            } else {
                // Rounding made a pivot ≤ 0: the documented NaN, never a finite wrong factor.
                assert!(l.iter().all(|x| x.is_nan()), "{l}");
            }
        }
        // This one factorises (checked): the test above cannot pass vacuously on it.
        let a = with_eigenvalues(944, [1.0, 0.5, 1e-12]);
        assert!(
            Graph::<f64>::new()
                .var(a)
                .cholesky()
                .value()
                .iter()
                .all(|x| x.is_finite())
        );
    }

    #[test]
    fn not_positive_definite_gives_nan_everywhere() {
        let semidefinite = Matrix2::new(1.0, 2.0, 2.0, 4.0); // v·vᵀ, v = (1, 2): pivot 0
        let indefinite = Matrix3::new(1.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0);
        let g = Graph::<f64>::new();
        let a = g.var(semidefinite);
        let l = a.cholesky();
        assert!(l.value().iter().all(|x| x.is_nan()));
        assert!(l.sum().backward().wrt(a).iter().all(|x| x.is_nan()));
        let b = g.var(indefinite);
        assert!(b.cholesky().value().iter().all(|x| x.is_nan()));
        let g32 = Graph::<f32>::new();
        let c = g32.var(indefinite.cast::<f32>());
        assert!(c.cholesky().value().iter().all(|x| x.is_nan()));
    }

    #[test]
    fn gradient_is_symmetric_and_ignores_the_upper_triangle_of_d_out() {
        let mut rng = rng(946);
        let m = random::<3, 3>(&mut rng);
        let a = m * m.transpose() + Matrix3::identity();
        let d_out = random::<3, 3>(&mut rng);
        let (d_a,) = Op::<f64, _>::backward(&Cholesky, (&a,), &Cholesky.forward((&a,)), &d_out);
        assert!((d_a - d_a.transpose()).amax() < 1e-15);
        let lower_only = d_out.lower_triangle();
        let (d_a_lower,) =
            Op::<f64, _>::backward(&Cholesky, (&a,), &Cholesky.forward((&a,)), &lower_only);
        assert!((d_a - d_a_lower).amax() < 1e-15);
    }

    #[test]
    fn large_matrices_are_factored_in_place_and_agree() {
        // B·Bᵀ + N·I, plus a small asymmetric part (the op factorises the symmetric part).
        // 48×48 f64 takes the heap path and f32 the static one; at 64×64 both do.
        let mut rng = rng(947);
        let m = random::<48, 48>(&mut rng);
        let a = m * m.transpose()
            + SMatrix::<f64, 48, 48>::identity() * 48.0
            + random::<48, 48>(&mut rng) * 0.1;
        check_unary_large(Cholesky, a, 1e-4);
        let m = random::<64, 64>(&mut rng);
        let a = m * m.transpose() + SMatrix::<f64, 64, 64>::identity() * 64.0;
        check_unary_large(Cholesky, a, 1e-4);
    }

    #[test]
    fn large_not_positive_definite_gives_nan_everywhere() {
        let mut a = SMatrix::<f64, 48, 48>::identity();
        a[(40, 40)] = -1.0;
        let g = Graph::<f64>::new();
        let av = g.var(a);
        let l = av.cholesky();
        assert!(l.value().iter().all(|x| x.is_nan()));
        assert!(l.sum().backward().wrt(av).iter().all(|x| x.is_nan()));
        let g32 = Graph::<f32>::new();
        let mut b = SMatrix::<f32, 64, 64>::identity();
        b[(63, 63)] = f32::NAN;
        assert!(g32.var(b).cholesky().value().iter().all(|x| x.is_nan()));
    }
}
