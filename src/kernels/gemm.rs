//! Matrix products for the ops: `c = a·b` or `c += a·b`, with either factor transposed by
//! strides (no transpose is materialised).
//!
//! Small products use nalgebra's static kernels (column loops the compiler unrolls for the
//! exact sizes). For `f64` and `f32`, products whose three dimensions all reach
//! [`gemm_min_dim`] go through shapegrad's own blocked kernel (`src/kernels/gemm_kernel.rs`), on the
//! same column-major storage with strides (a transposed factor is the same slice with its two
//! strides swapped, so nothing is transposed in memory). Unlike matrixmultiply (which
//! nalgebra calls for `Dyn` matrices and which allocates a packing buffer on every call), it
//! packs into buffers owned by the thread, so products make no heap allocation once a thread
//! has run its largest one. Other scalars (dual numbers) always take nalgebra's static path.
//!
//! Scalars wider than 8 bytes (the dual numbers of `second_order`) take neither path: for them
//! nalgebra's generic `gemm` multiplies every term by α and β too, which costs as much as the
//! products themselves, so [`wide`] products are plain loops, one product and one sum per term
//! (measured for `DualSVec64<3>`: 3×3·3×1 55 → 26 ns, 1×3·3×1 46 → 10 ns).
//!
//! `accumulate == false` overwrites `c` without reading it (nalgebra's documented behaviour
//! for β = 0, and the kernel's), so `c` may hold a stale gradient, even NaN.

use nalgebra::{Const, MatrixView, SMatrix};

use crate::kernels::Real;
use crate::kernels::float::{Float, FloatJob, Same, dispatch};
use crate::kernels::gemm_kernel::Strided;

/// The smallest dimension (of rows, columns and the contracted dimension) from which the
/// blocked kernel beats nalgebra's static kernels, for scalars of `scalar_bytes` bytes, with
/// the left factor transposed (`aᵀ·b`) or not.
///
/// Measured with `cargo bench -p shapegrad-benches --bench gemm` (n×n·n×n, static time ÷ kernel time, above 1 the
/// kernel is faster; two runs on a noisy machine): f64 `a·b` 0.9–1.2 at n = 16, 1.0–1.4 at
/// 24, 1.6–2.1 at 32, 2.4–4 at 64, `a·bᵀ` alike; `aᵀ·b` 1.3–1.7 at 16. f32 `a·b` 0.7 at 16,
/// 0.6–0.9 at 24 and 32, 1.3 at 48, 1.2–1.6 at 64 (`a·bᵀ` 0.9 at 48, 1.6 at 64), but `aᵀ·b`
/// 1.8 at 24 and 3 at 32, since nalgebra's static `aᵀ·b` (dot products) is its slowest kernel.
pub(crate) const fn gemm_min_dim(scalar_bytes: usize, transposed_a: bool) -> usize {
    match (scalar_bytes >= 8, transposed_a) {
        (true, true) => 16,
        (true, false) => 24,
        (false, true) => 24,
        (false, false) => 48,
    }
}

/// Whether an (R×K)·(K×C) product of `T`s takes the blocked GEMM path.
pub(crate) const fn uses_gemm<T>(r: usize, k: usize, c: usize, transposed_a: bool) -> bool {
    let min = gemm_min_dim(std::mem::size_of::<T>(), transposed_a);
    r >= min && k >= min && c >= min
}

fn beta<T: Real>(accumulate: bool) -> T {
    if accumulate { T::one() } else { T::zero() }
}

/// `c = a·b` (or `+=`) by the own kernel if `T` is `f64` or `f32`, where `a` and `b` are
/// the stored matrices and `a_t`/`b_t` say whether the product uses their transposes; returns
/// `false` (and does nothing) for other scalars.
fn own_kernel<
    T: Real,
    const R: usize,
    const C: usize,
    const RA: usize,
    const CA: usize,
    const RB: usize,
    const CB: usize,
>(
    c: &mut SMatrix<T, R, C>,
    a: (&SMatrix<T, RA, CA>, bool),
    b: (&SMatrix<T, RB, CB>, bool),
    accumulate: bool,
) -> bool {
    struct Product<
        'a,
        T,
        const R: usize,
        const C: usize,
        const RA: usize,
        const CA: usize,
        const RB: usize,
        const CB: usize,
    > {
        c: &'a mut SMatrix<T, R, C>,
        a: (&'a SMatrix<T, RA, CA>, bool),
        b: (&'a SMatrix<T, RB, CB>, bool),
        accumulate: bool,
    }
    impl<
        T: Real,
        const R: usize,
        const C: usize,
        const RA: usize,
        const CA: usize,
        const RB: usize,
        const CB: usize,
    > FloatJob<T> for Product<'_, T, R, C, RA, CA, RB, CB>
    {
        type Output = bool;
        fn float<S: Float>(self, same: Same<T, S>) -> bool {
            let a = strided(same.matrix(self.a.0).as_slice(), (RA, CA), self.a.1);
            let b = strided(same.matrix(self.b.0).as_slice(), (RB, CB), self.b.1);
            S::gemm(
                same.matrix_mut(self.c).as_mut_slice(),
                a,
                b,
                self.accumulate,
            );
            true
        }
        fn other(self) -> bool {
            false
        }
    }
    dispatch(Product {
        c,
        a,
        b,
        accumulate,
    })
}

/// A stored column-major `rows × cols` matrix as an operand: itself, or its transpose.
fn strided<S>(data: &[S], (rows, cols): (usize, usize), transposed: bool) -> Strided<'_, S> {
    if transposed {
        Strided {
            data,
            rows: cols,
            cols: rows,
            rs: rows,
            cs: 1,
        }
    } else {
        Strided {
            data,
            rows,
            cols,
            rs: 1,
            cs: rows,
        }
    }
}

/// Whether `T` is wider than a machine float (a dual number): its products use [`wide`].
pub(crate) const fn is_wide<T>() -> bool {
    std::mem::size_of::<T>() > 8
}

/// Plain loops for scalars wider than 8 bytes, over the column-major slices.
pub(crate) mod wide {
    use crate::kernels::Real;

    /// `c = a·b` (or `+=`), c: R×C, a: R×K (column-major, `r` rows), `b(k, j)` the right
    /// factor's entries: column j of c gets Σₖ a[:, k]·b(k, j).
    pub(crate) fn axpy<T: Real>(
        c: &mut [T],
        a: &[T],
        (r, k): (usize, usize),
        b: impl Fn(usize, usize) -> T,
        accumulate: bool,
    ) {
        for (j, c_j) in c.chunks_exact_mut(r.max(1)).enumerate() {
            if !accumulate {
                c_j.fill(T::zero());
            }
            for l in 0..k {
                let b_lj = b(l, j);
                for (c_ij, &a_il) in c_j.iter_mut().zip(&a[l * r..(l + 1) * r]) {
                    *c_ij += a_il * b_lj;
                }
            }
        }
    }

    /// `c = aᵀ·b` (or `+=`), a: K×R and b: K×C column-major: c[i, j] = a[:, i]·b[:, j].
    pub(crate) fn dots<T: Real>(
        c: &mut [T],
        a: &[T],
        b: &[T],
        (r, k): (usize, usize),
        accumulate: bool,
    ) {
        for (j, c_j) in c.chunks_exact_mut(r.max(1)).enumerate() {
            let b_j = &b[j * k..(j + 1) * k];
            for (i, c_ij) in c_j.iter_mut().enumerate() {
                let dot = a[i * k..(i + 1) * k]
                    .iter()
                    .zip(b_j)
                    .fold(T::zero(), |sum, (&x, &y)| sum + x * y);
                *c_ij = if accumulate { *c_ij + dot } else { dot };
            }
        }
    }
}

/// `c = a·b`, or `c += a·b` when `accumulate`.
pub(crate) fn mul_nn<T: Real, const R: usize, const K: usize, const C: usize>(
    c: &mut SMatrix<T, R, C>,
    a: &SMatrix<T, R, K>,
    b: &SMatrix<T, K, C>,
    accumulate: bool,
) {
    if is_wide::<T>() {
        let (c, b) = (c.as_mut_slice(), b.as_slice());
        wide::axpy(c, a.as_slice(), (R, K), |l, j| b[l + j * K], accumulate);
    } else if !(uses_gemm::<T>(R, K, C, false) && own_kernel(c, (a, false), (b, false), accumulate))
    {
        c.gemm(T::one(), a, b, beta(accumulate));
    }
}

/// `c = a·bᵀ`, or `c += a·bᵀ` when `accumulate` (`b` is C×K).
pub(crate) fn mul_nt<T: Real, const R: usize, const K: usize, const C: usize>(
    c: &mut SMatrix<T, R, C>,
    a: &SMatrix<T, R, K>,
    b: &SMatrix<T, C, K>,
    accumulate: bool,
) {
    if is_wide::<T>() {
        let (c, b) = (c.as_mut_slice(), b.as_slice());
        wide::axpy(c, a.as_slice(), (R, K), |l, j| b[j + l * C], accumulate);
    } else if !(uses_gemm::<T>(R, K, C, false) && own_kernel(c, (a, false), (b, true), accumulate))
    {
        // bᵀ as a K×C view of b's storage: row stride C, column stride 1.
        let b_t = MatrixView::from_slice_with_strides_generic(
            b.as_slice(),
            Const::<K>,
            Const::<C>,
            Const::<C>,
            Const::<1>,
        );
        c.gemm(T::one(), a, &b_t, beta(accumulate));
    }
}

/// `c = aᵀ·b`, or `c += aᵀ·b` when `accumulate` (`a` is K×R).
pub(crate) fn mul_tn<T: Real, const R: usize, const K: usize, const C: usize>(
    c: &mut SMatrix<T, R, C>,
    a: &SMatrix<T, K, R>,
    b: &SMatrix<T, K, C>,
    accumulate: bool,
) {
    if is_wide::<T>() {
        wide::dots(
            c.as_mut_slice(),
            a.as_slice(),
            b.as_slice(),
            (R, K),
            accumulate,
        );
    } else if !(uses_gemm::<T>(R, K, C, true) && own_kernel(c, (a, true), (b, false), accumulate)) {
        c.gemm_tr(T::one(), a, b, beta(accumulate));
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::SMatrix;

    use super::{mul_nn, mul_nt, mul_tn, uses_gemm};
    use crate::diff::testing::{random, rng};

    /// |got − want| ≤ 1e-12·max(1, max |want|), entry by entry.
    fn assert_close<const R: usize, const C: usize>(
        what: &str,
        got: &SMatrix<f64, R, C>,
        want: &SMatrix<f64, R, C>,
    ) {
        let scale = want.amax().max(1.0);
        let err = (got - want).amax();
        assert!(
            err <= 1e-12 * scale,
            "{what}: error {err:e} (scale {scale})"
        );
    }

    /// All three products, assigning over NaN and accumulating, against the naive
    /// `a * b` of materialised matrices.
    fn check<const R: usize, const K: usize, const C: usize>(seed: u64) {
        let mut rng = rng(seed);
        let a: SMatrix<f64, R, K> = random(&mut rng);
        let b: SMatrix<f64, K, C> = random(&mut rng);
        let start: SMatrix<f64, R, C> = random(&mut rng);
        let want = a * b;
        let a_t = a.transpose();
        let b_t = b.transpose();

        let mut c = SMatrix::<f64, R, C>::repeat(f64::NAN);
        mul_nn(&mut c, &a, &b, false);
        assert_close("a·b", &c, &want);
        let mut c = SMatrix::<f64, R, C>::repeat(f64::NAN);
        mul_nt(&mut c, &a, &b_t, false);
        assert_close("a·(bᵀ)ᵀ", &c, &want);
        let mut c = SMatrix::<f64, R, C>::repeat(f64::NAN);
        mul_tn(&mut c, &a_t, &b, false);
        assert_close("(aᵀ)ᵀ·b", &c, &want);

        let mut c = start;
        mul_nn(&mut c, &a, &b, true);
        assert_close("c + a·b", &c, &(start + want));
        let mut c = start;
        mul_nt(&mut c, &a, &b_t, true);
        assert_close("c + a·(bᵀ)ᵀ", &c, &(start + want));
        let mut c = start;
        mul_tn(&mut c, &a_t, &b, true);
        assert_close("c + (aᵀ)ᵀ·b", &c, &(start + want));
    }

    #[test]
    fn small_products_take_the_static_path_and_are_exact() {
        assert!(!uses_gemm::<f64>(5, 10, 3, false));
        assert!(!uses_gemm::<f64>(60, 2, 50, true));
        check::<5, 10, 3>(1);
        check::<1, 1, 1>(2);
        check::<7, 1, 9>(3);
        check::<60, 2, 50>(4); // thin, like the spiral net's layers
    }

    #[test]
    fn large_products_take_the_gemm_path_and_equal_the_static_product() {
        assert!(uses_gemm::<f64>(64, 64, 64, false));
        assert!(uses_gemm::<f64>(24, 24, 24, false));
        assert!(uses_gemm::<f64>(16, 16, 16, true));
        check::<64, 64, 64>(5);
        check::<40, 33, 27>(6);
        check::<16, 16, 16>(7);
        // Two blocks of the contracted dimension (256 + 44), and edge tiles in both directions.
        check::<37, 300, 19>(12);
        check::<17, 16, 21>(13);
    }

    #[test]
    fn products_just_below_the_threshold_in_one_dimension_stay_static_and_exact() {
        assert!(!uses_gemm::<f64>(40, 15, 40, false));
        check::<40, 15, 40>(8);
        check::<15, 40, 40>(9);
        check::<40, 40, 15>(10);
    }

    /// The three products of dual numbers against nalgebra's (dual parts included), over NaN
    /// and accumulating.
    fn check_wide<const R: usize, const K: usize, const C: usize>(seed: u64) {
        use num_dual::Dual64;
        let mut rng = rng(seed);
        let dual = |re: SMatrix<f64, R, K>, eps: SMatrix<f64, R, K>| re.zip_map(&eps, Dual64::new);
        let a = dual(random(&mut rng), random(&mut rng));
        let b: SMatrix<Dual64, K, C> =
            random::<K, C>(&mut rng).zip_map(&random(&mut rng), Dual64::new);
        let start: SMatrix<Dual64, R, C> = random::<R, C>(&mut rng).map(Dual64::from_re);
        let want = a * b;
        let parts = |m: &SMatrix<Dual64, R, C>| (m.map(|d| d.re), m.map(|d| d.eps));
        let close = |what: &str, got: &SMatrix<Dual64, R, C>, want: &SMatrix<Dual64, R, C>| {
            let ((g_re, g_eps), (w_re, w_eps)) = (parts(got), parts(want));
            assert_close(what, &g_re, &w_re);
            assert_close(what, &g_eps, &w_eps);
        };
        let nan = SMatrix::<Dual64, R, C>::repeat(Dual64::new(f64::NAN, f64::NAN));
        for accumulate in [false, true] {
            let (init, want) = if accumulate {
                (start, start + want)
            } else {
                (nan, want)
            };
            let mut c = init;
            mul_nn(&mut c, &a, &b, accumulate);
            close("a·b", &c, &want);
            let mut c = init;
            mul_nt(&mut c, &a, &b.transpose(), accumulate);
            close("a·(bᵀ)ᵀ", &c, &want);
            let mut c = init;
            mul_tn(&mut c, &a.transpose(), &b, accumulate);
            close("(aᵀ)ᵀ·b", &c, &want);
        }
    }

    #[test]
    fn dual_numbers_take_the_plain_loops_and_equal_nalgebras_product() {
        assert!(super::is_wide::<num_dual::Dual64>() && !super::is_wide::<f64>());
        check_wide::<3, 3, 1>(12);
        check_wide::<1, 3, 1>(13);
        check_wide::<5, 10, 3>(14);
        check_wide::<20, 17, 18>(15); // sizes that take the GEMM path for f64
        check_wide::<2, 0, 3>(16);
    }

    #[test]
    fn f32_takes_the_gemm_path_from_48_or_from_24_for_a_transposed_left_factor() {
        assert!(!uses_gemm::<f32>(32, 32, 32, false));
        assert!(uses_gemm::<f32>(24, 24, 24, true));
        assert!(uses_gemm::<f32>(48, 48, 48, false));
        let mut rng = rng(11);
        let a: SMatrix<f32, 32, 24> = random::<32, 24>(&mut rng).cast();
        let b: SMatrix<f32, 32, 32> = random::<32, 32>(&mut rng).cast();
        let want = (a.cast::<f64>().transpose() * b.cast::<f64>()).cast::<f32>();
        let mut c = SMatrix::<f32, 24, 32>::repeat(f32::NAN);
        mul_tn(&mut c, &a, &b, false);
        assert!((c - want).amax() <= 1e-5 * want.amax());
        let b: SMatrix<f32, 50, 50> = random::<50, 50>(&mut rng).cast();
        let mut c = SMatrix::<f32, 50, 50>::repeat(f32::NAN);
        mul_nn(&mut c, &b, &b, false);
        let want = (b.cast::<f64>() * b.cast::<f64>()).cast::<f32>();
        assert!((c - want).amax() <= 1e-5 * want.amax());
        mul_nt(&mut c, &b, &b, true);
        let want = want + (b.cast::<f64>() * b.cast::<f64>().transpose()).cast::<f32>();
        assert!((c - want).amax() <= 1e-5 * want.amax());
    }
}
