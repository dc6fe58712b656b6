//! Matrix products for the ops: `c = a·b` or `c += a·b`, with either factor transposed by
//! strides (no transpose is materialised).
//!
//! Small products use nalgebra's static kernels (column loops the compiler unrolls for the
//! exact sizes). Products whose three dimensions all reach [`gemm_min_dim`] go through
//! nalgebra's `gemm` on views of the same column-major storage with `Dyn` dimensions and
//! strides, which nalgebra hands to `matrixmultiply`'s blocked, packed `dgemm`/`sgemm` for
//! `f64`/`f32` (nalgebra never does so for fully static matrices). This needs no `unsafe` in
//! this crate: a transposed factor is the same slice with its two strides swapped.
//!
//! Scalars wider than 8 bytes (the dual numbers of `second_order`) take neither path: for them
//! nalgebra's generic `gemm` multiplies every term by α and β too, which costs as much as the
//! products themselves, so [`wide`] products are plain loops, one product and one sum per term
//! (measured for `DualSVec64<3>`: 3×3·3×1 55 → 26 ns, 1×3·3×1 46 → 10 ns).
//!
//! `accumulate == false` overwrites `c` without reading it (nalgebra's and matrixmultiply's
//! documented behaviour for β = 0), so `c` may hold a stale gradient, even NaN.

use nalgebra::{Const, Dyn, MatrixView, MatrixViewMut, SMatrix};

use crate::Real;

/// The smallest dimension (of rows, columns and the contracted dimension) from which the
/// blocked GEMM beats nalgebra's static kernels, for scalars of `scalar_bytes` bytes, with
/// the left factor transposed (`aᵀ·b`) or not.
///
/// Measured with `cargo bench --bench gemm` (n×n·n×n, static time ÷ blocked time, above 1 the
/// GEMM is faster): f64 `a·b` 0.46 at n = 8, 1.26 at 16, 1.78 at 20, 3.6 at 32, 3.0 at 64,
/// and `a·bᵀ`, `aᵀ·b` alike or better; f32 `a·b` 1.05 at 16, 0.79 at 20, 0.73 at 24, 1.31 at
/// 32, 2.3 at 64 (`a·bᵀ` 0.90 at 20, 2.2 at 32), but `aᵀ·b` 1.9 at 16 and 2.3 at 24, since
/// nalgebra's static `aᵀ·b` (dot products) is its slowest kernel.
pub(crate) const fn gemm_min_dim(scalar_bytes: usize, transposed_a: bool) -> usize {
    if scalar_bytes >= 8 || transposed_a {
        16
    } else {
        32
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

/// A column-major R×C matrix's entries, viewed as `rows × cols` with the given strides
/// (`(1, R)` as stored, `(R, 1)` transposed).
fn view<T: Real>(
    data: &[T],
    (rows, cols): (usize, usize),
    (rstride, cstride): (usize, usize),
) -> MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn> {
    MatrixView::from_slice_with_strides_generic(
        data,
        Dyn(rows),
        Dyn(cols),
        Dyn(rstride),
        Dyn(cstride),
    )
}

/// `c = α·a·b + β·c` through nalgebra's `Dyn` gemm, i.e. matrixmultiply.
fn blocked<T: Real>(
    c: &mut [T],
    (r, k, cols): (usize, usize, usize),
    a: MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn>,
    b: MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn>,
    accumulate: bool,
) {
    debug_assert_eq!((a.shape(), b.shape()), ((r, k), (k, cols)));
    let mut c =
        MatrixViewMut::from_slice_with_strides_generic(c, Dyn(r), Dyn(cols), Dyn(1), Dyn(r));
    c.gemm(T::one(), &a, &b, beta(accumulate));
}

/// Whether `T` is wider than a machine float (a dual number): its products use [`wide`].
pub(crate) const fn is_wide<T>() -> bool {
    std::mem::size_of::<T>() > 8
}

/// Plain loops for scalars wider than 8 bytes, over the column-major slices.
pub(crate) mod wide {
    use crate::Real;

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
    } else if uses_gemm::<T>(R, K, C, false) {
        let a = view(a.as_slice(), (R, K), (1, R));
        let b = view(b.as_slice(), (K, C), (1, K));
        blocked(c.as_mut_slice(), (R, K, C), a, b, accumulate);
    } else {
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
    } else if uses_gemm::<T>(R, K, C, false) {
        let a = view(a.as_slice(), (R, K), (1, R));
        let b_t = view(b.as_slice(), (K, C), (C, 1));
        blocked(c.as_mut_slice(), (R, K, C), a, b_t, accumulate);
    } else {
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
    } else if uses_gemm::<T>(R, K, C, true) {
        let a_t = view(a.as_slice(), (R, K), (K, 1));
        let b = view(b.as_slice(), (K, C), (1, K));
        blocked(c.as_mut_slice(), (R, K, C), a_t, b, accumulate);
    } else {
        c.gemm_tr(T::one(), a, b, beta(accumulate));
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::SMatrix;

    use super::{mul_nn, mul_nt, mul_tn, uses_gemm};
    use crate::testing::{random, rng};

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
        assert!(uses_gemm::<f64>(16, 16, 16, false));
        check::<64, 64, 64>(5);
        check::<40, 33, 27>(6);
        check::<16, 16, 16>(7);
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
    fn f32_takes_the_gemm_path_from_32_or_from_16_for_a_transposed_left_factor() {
        assert!(!uses_gemm::<f32>(24, 24, 24, false));
        assert!(uses_gemm::<f32>(24, 24, 24, true));
        assert!(uses_gemm::<f32>(32, 32, 32, false));
        let mut rng = rng(11);
        let a: SMatrix<f32, 32, 24> = random::<32, 24>(&mut rng).cast();
        let b: SMatrix<f32, 32, 32> = random::<32, 32>(&mut rng).cast();
        let want = (a.cast::<f64>().transpose() * b.cast::<f64>()).cast::<f32>();
        let mut c = SMatrix::<f32, 24, 32>::repeat(f32::NAN);
        mul_tn(&mut c, &a, &b, false);
        assert!((c - want).amax() <= 1e-5 * want.amax());
        let mut c = SMatrix::<f32, 32, 32>::zeros();
        mul_nn(&mut c, &b, &b, false);
        let want = (b.cast::<f64>() * b.cast::<f64>()).cast::<f32>();
        assert!((c - want).amax() <= 1e-5 * want.amax());
    }
}
