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

/// Whether a thin (R×K)·(K×C) product, `a·b` or `a·bᵀ` (`transposed_b`), takes the blocked
/// GEMM path although one side is below [`gemm_min_dim`]: many rows and a long contracted
/// dimension (`a·b`, e.g. 300×100·100×3), or many rows and columns over a short contracted
/// dimension when `b` is transposed (nalgebra's static kernel reads bᵀ by strides, e.g.
/// 300×3·3×100).
///
/// Measured on the spiral net's (W2's) products with `cargo bench -p shapegrad-benches --bench gemm` (static time ÷
/// kernel time, two runs on a loaded 2-core machine): f64 300×100·100×3 1.36 / 1.19 and
/// 300×3·(100×3)ᵀ 1.42 / 1.15; f32 0.84 / 1.78 and 0.95 / 1.29. The static kernels stay for
/// 300×2·2×100 (f64 0.70 / 0.93, f32 0.99 / 0.63) and every thin `aᵀ·b` (0.17–0.48: nalgebra's
/// dot products over 300 contiguous entries beat packing them).
pub(crate) const fn thin_uses_gemm(r: usize, k: usize, c: usize, transposed_b: bool) -> bool {
    if transposed_b {
        r >= 64 && c >= 64 && k >= 2
    } else {
        r >= 64 && k >= 64 && c >= 2
    }
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
    } else if !((uses_gemm::<T>(R, K, C, false) || thin_uses_gemm(R, K, C, false))
        && own_kernel(c, (a, false), (b, false), accumulate))
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
    } else if !((uses_gemm::<T>(R, K, C, false) || thin_uses_gemm(R, K, C, true))
        && own_kernel(c, (a, false), (b, true), accumulate))
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
    fn thin_products_take_the_path_measured_fastest_for_their_shape_and_are_exact() {
        use super::thin_uses_gemm;
        // W2's forward 300×100·100×3 and backward 300×3·(100×3)ᵀ: the kernel.
        assert!(thin_uses_gemm(300, 100, 3, false) && thin_uses_gemm(300, 3, 100, true));
        // W2's forward 300×2·2×100: static; the aᵀ·b products never ask.
        assert!(!thin_uses_gemm(300, 2, 100, false) && !thin_uses_gemm(300, 1, 100, true));
        // The same paths at sizes that fit a test thread's stack.
        assert!(thin_uses_gemm(70, 64, 3, false) && thin_uses_gemm(70, 3, 64, true));
        check::<70, 64, 3>(17);
        check::<70, 3, 64>(18);
        check::<65, 2, 66>(19);
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

    /// The portable product: every entry summed in the kernel's order, one rounding per
    /// product and one per sum (no fused multiply-add): `c[i, j] = (…((c₀ + a[i,0]·b[0,j]) +
    /// a[i,1]·b[1,j]) + …)` within each block of `KC` terms of the contracted dimension, the
    /// blocks' sums then added to `c` in order. A plain scalar loop, compiled once for the
    /// baseline target, whatever CPU runs it.
    fn portable<S: crate::kernels::float::Float>(
        a: &[S],
        b: &[S],
        (m, k, n): (usize, usize, usize),
        c0: Option<&[S]>,
    ) -> Vec<S> {
        let mut c = vec![S::ZERO; m * n];
        for j in 0..n {
            for i in 0..m {
                let mut total = c0.map(|c0| c0[i + j * m]);
                for p0 in (0..k).step_by(crate::kernels::gemm_kernel::KC) {
                    let mut block = S::ZERO;
                    for p in p0..k.min(p0 + crate::kernels::gemm_kernel::KC) {
                        block += a[i + p * m] * b[p + j * k];
                    }
                    total = Some(match total {
                        Some(t) => t + block,
                        None => block,
                    });
                }
                c[i + j * m] = total.unwrap_or(S::ZERO);
            }
        }
        c
    }

    /// The bits of the three products on the GEMM path, assigning and accumulating, against
    /// the portable product, for one shape.
    fn same_bits_as_portable<
        S: crate::kernels::float::Float,
        const R: usize,
        const K: usize,
        const C: usize,
    >(
        seed: u64,
        cast: impl Fn(f64) -> S,
    ) -> Result<(), String> {
        let mut rng = rng(seed);
        let a: SMatrix<S, R, K> = random::<R, K>(&mut rng).map(&cast);
        let b: SMatrix<S, K, C> = random::<K, C>(&mut rng).map(&cast);
        let start: SMatrix<S, R, C> = random::<R, C>(&mut rng).map(&cast);
        let shape = (R, K, C);
        let assign = portable(a.as_slice(), b.as_slice(), shape, None);
        let add = portable(a.as_slice(), b.as_slice(), shape, Some(start.as_slice()));
        let (a_t, b_t) = (a.transpose(), b.transpose());
        let check = |what: &str, got: &SMatrix<S, R, C>, want: &[S]| match got
            .iter()
            .zip(want)
            .position(|(g, w)| g != w)
        {
            None => Ok(()),
            Some(at) => Err(format!(
                "{what} {R}×{K}·{K}×{C}: entry {at} is {:?}, the portable product gives {:?}",
                got.as_slice()[at],
                want[at]
            )),
        };
        for (accumulate, want) in [(false, &assign), (true, &add)] {
            let init = if accumulate {
                start
            } else {
                SMatrix::repeat(cast(f64::NAN))
            };
            let mut c = init;
            mul_nn(&mut c, &a, &b, accumulate);
            check("a·b", &c, want)?;
            let mut c = init;
            mul_nt(&mut c, &a, &b_t, accumulate);
            check("a·(bᵀ)ᵀ", &c, want)?;
            let mut c = init;
            mul_tn(&mut c, &a_t, &b, accumulate);
            check("(aᵀ)ᵀ·b", &c, want)?;
        }
        Ok(())
    }

    #[test]
    fn without_fused_multiply_adds_the_gemm_gives_the_bits_of_the_portable_product() {
        assert!(uses_gemm::<f64>(64, 64, 64, false) && uses_gemm::<f32>(48, 48, 48, false));
        // Process-wide: other tests' products then round twice too, which they tolerate.
        crate::kernels::gemm_kernel::set_fused_multiply_add(false);
        let result = same_bits_as_portable::<f64, 64, 64, 64>(30, |x| x)
            .and(same_bits_as_portable::<f64, 37, 300, 29>(31, |x| x)) // two blocks of K
            .and(same_bits_as_portable::<f32, 48, 50, 53>(32, |x| x as f32))
            .and(same_bits_as_portable::<f32, 49, 260, 48>(33, |x| x as f32));
        if let Err(why) = result {
            panic!("{why}");
        }
    }
}
