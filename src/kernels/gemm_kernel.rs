//! shapegrad's own blocked matrix product for `f32` and `f64`: `c = a·b` or `c += a·b` with
//! `a` and `b` read through strides (so a transpose costs nothing) and `c` column-major.
//!
//! matrixmultiply, which nalgebra calls for `Dyn` matrices, allocates its packing buffer on
//! every call; this kernel packs into two buffers per thread and type that grow to the
//! largest product seen and are then reused, so a replayed step makes no heap allocation.
//!
//! The method is the usual one (Goto/BLIS, without the outer cache blocking, which the sizes
//! of static matrices do not need): the contracted dimension is cut into blocks of [`KC`];
//! for each block, `a` is packed into panels of `MR` rows and `b` into panels of `NR`
//! columns, each stored as the sequence of its `kc` slivers, zero-padded at the edges; an
//! `MR×NR` micro-kernel then accumulates one tile of `c` in registers. The micro-kernel is a
//! plain loop over fixed-size arrays, which the compiler vectorises; with feature `simd` it is
//! compiled for AVX-512, AVX2 (both with FMA) and SSE4.1 as well as the baseline target and
//! the best version the CPU has runs (`src/kernels/simd.rs`).
//!
//! # Same bits on every CPU
//!
//! Each entry of `c` is summed in one order whatever the CPU and the tile: the terms of a
//! block of [`KC`] in order, then the blocks in order (the tile's shape changes which entries
//! are computed together, not the order of any one entry's sum). What differs between CPUs is
//! the rounding: the FMA targets (AVX2, AVX-512, and a baseline build for a CPU with FMA)
//! round `acc + a·b` once, the others twice, so their last bits differ. With
//! [`set_fused_multiply_add`]`(false)` (process-wide; feature `deterministic` makes it the
//! default) no version fuses, and every CPU gives the bits of the portable loop (tested
//! against a plain scalar loop in this order, `src/kernels/gemm.rs`).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::kernels::float::Float;
use crate::kernels::simd::{dispatched, target_has};

/// Whether the product may use fused multiply-adds where the CPU has them.
static FUSED: AtomicBool = AtomicBool::new(!cfg!(feature = "deterministic"));

/// Allows (`true`, the default) or forbids (`false`) fused multiply-adds in shapegrad's
/// blocked matrix product, for the whole process.
///
/// The product (for `f64` and `f32` matrices whose sides reach a few dozen, see the README's
/// Performance section) uses the CPU's fused multiply-add where it has one (AVX2, AVX-512):
/// faster, and rounded once instead of twice, so its last bits differ from those of a CPU
/// without it. Forbid it and every CPU computes the same bits: the product then rounds each
/// product and each sum, as the portable code does, and shapegrad's other kernels never fuse
/// (the element-wise functions and reductions give the same bits on every CPU already).
/// Building with the feature `deterministic` makes `false` the default.
///
/// Call it once at start-up, before the products whose bits should match; it applies to
/// every thread. The speed cost is in the products above the size thresholds only (the
/// blocked kernel then issues a multiply and an add where it issued one fused instruction).
///
/// ```
/// shapegrad::set_fused_multiply_add(false);
/// assert!(!shapegrad::fused_multiply_add());
/// # shapegrad::set_fused_multiply_add(!cfg!(feature = "deterministic"));
/// ```
pub fn set_fused_multiply_add(allowed: bool) {
    FUSED.store(allowed, Ordering::Relaxed);
}

/// Whether the blocked matrix product may use fused multiply-adds (see
/// [`set_fused_multiply_add`]): `true` unless forbidden or built with feature
/// `deterministic`.
///
/// ```
/// assert_eq!(shapegrad::fused_multiply_add(), !cfg!(feature = "deterministic"));
/// ```
pub fn fused_multiply_add() -> bool {
    FUSED.load(Ordering::Relaxed)
}

/// The block of the contracted dimension that one packing covers.
pub(crate) const KC: usize = 256;

/// A `rows × cols` operand whose entry `(i, p)` is `data[i·rs + p·cs]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Strided<'a, S> {
    pub data: &'a [S],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

/// `c = a·b`, or `c += a·b` when `accumulate`, with `c` the column-major `a.rows × b.cols`
/// matrix in `c` (which is not read when overwritten, so it may hold NaN). `MR` is the rows
/// of a micro-tile: 64 bytes of `S` (8 for `f64`, 16 for `f32`).
///
/// `NW` and `NN` are the columns of a micro-tile with AVX-512 and without it, chosen per
/// type so that the compiler keeps the tile in registers as whole vectors ([`Float::gemm`]
/// calls this with its type's sizes).
pub(crate) fn gemm<S: Float, const MR: usize, const NW: usize, const NN: usize>(
    c: &mut [S],
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    accumulate: bool,
) {
    assert!(
        a.cols == b.rows && c.len() == a.rows * b.cols,
        "gemm: shapes do not agree"
    );
    if a.rows == 0 || b.cols == 0 {
        return;
    }
    if a.cols == 0 {
        if !accumulate {
            c.fill(S::ZERO);
        }
        return;
    }
    S::with_buffers(|pack_a, pack_b| blocked::<S, MR, NW, NN>(c, a, b, accumulate, pack_a, pack_b));
}

dispatched! {
    fn blocked<S: Float, const MR: usize, const NW: usize, const NN: usize>(
        c: &mut [S],
        a: Strided<'_, S>,
        b: Strided<'_, S>,
        accumulate: bool,
        pack_a: &mut Vec<S>,
        pack_b: &mut Vec<S>,
    ) {
        // FMA where the target has it and it is allowed; elsewhere `mul_add` would be a slow
        // library call. Literal flags, so that each inlined copy of the tile loop has its own.
        let fused = target_has!("fma") && fused_multiply_add();
        match (target_has!("avx512f"), fused) {
            (true, true) => tiles::<S, MR, NW>(true, c, a, b, accumulate, pack_a, pack_b),
            (true, false) => tiles::<S, MR, NW>(false, c, a, b, accumulate, pack_a, pack_b),
            (false, true) => tiles::<S, MR, NN>(true, c, a, b, accumulate, pack_a, pack_b),
            (false, false) => tiles::<S, MR, NN>(false, c, a, b, accumulate, pack_a, pack_b),
        }
    }
}

/// The blocked product with micro-tiles of `MR×NR`.
#[inline(always)]
fn tiles<S: Float, const MR: usize, const NR: usize>(
    fused: bool,
    c: &mut [S],
    a: Strided<'_, S>,
    b: Strided<'_, S>,
    accumulate: bool,
    pack_a: &mut Vec<S>,
    pack_b: &mut Vec<S>,
) {
    let (m, n, k) = (a.rows, b.cols, a.cols);
    let (panels_a, panels_b) = (m.div_ceil(MR), n.div_ceil(NR));
    let kc_max = k.min(KC);
    // Grows once to the largest product on this thread, then never again.
    pack_a.resize(pack_a.len().max(panels_a * MR * kc_max), S::ZERO);
    pack_b.resize(pack_b.len().max(panels_b * NR * kc_max), S::ZERO);
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        let pack_a = &mut pack_a[..panels_a * MR * kc];
        let pack_b = &mut pack_b[..panels_b * NR * kc];
        pack::<S, MR>(pack_a, kc, Lines::of(a, p0, false));
        pack::<S, NR>(pack_b, kc, Lines::of(b, p0, true));
        let add = accumulate || p0 > 0;
        for (q, pb) in pack_b.chunks_exact(NR * kc).enumerate() {
            for (r, pa) in pack_a.chunks_exact(MR * kc).enumerate() {
                let tile = micro::<S, MR, NR>(fused, pa, pb);
                store(
                    c,
                    m,
                    (r * MR, q * NR),
                    (MR.min(m - r * MR), NR.min(n - q * NR)),
                    &tile,
                    add,
                );
            }
        }
    }
}

/// An operand seen as `count` lines (rows of `a`, columns of `b`) along the contracted
/// dimension, from `p0` on: entry `(line, p)` is `data[line·ls + (p0 + p)·ps]`.
struct Lines<'a, S> {
    data: &'a [S],
    count: usize,
    ls: usize,
    ps: usize,
    p0: usize,
}

impl<'a, S> Lines<'a, S> {
    /// `a`'s rows, or (`columns`) `b`'s columns.
    fn of(x: Strided<'a, S>, p0: usize, columns: bool) -> Self {
        if columns {
            Lines {
                data: x.data,
                count: x.cols,
                ls: x.cs,
                ps: x.rs,
                p0,
            }
        } else {
            Lines {
                data: x.data,
                count: x.rows,
                ls: x.rs,
                ps: x.cs,
                p0,
            }
        }
    }
}

/// Packs the lines in panels of `width`: panel `t` holds, for p = 0 … kc−1, the entries
/// `(t·width + w, p)` for w = 0 … width−1, zero past the last line. A contiguous run (lines
/// or depth) is copied as such.
#[inline(always)]
fn pack<S: Float, const W: usize>(out: &mut [S], kc: usize, src: Lines<'_, S>) {
    let width = W;
    for (t, panel) in out.chunks_exact_mut(width * kc).enumerate() {
        let first = t * width;
        let valid = width.min(src.count - first);
        if src.ls == 1 {
            for (p, sliver) in panel.chunks_exact_mut(width).enumerate() {
                let start = first + (src.p0 + p) * src.ps;
                let run = &src.data[start..start + valid];
                // Whole slivers as fixed-size copies (a slice copy of run-time length would
                // be a call to memcpy per sliver).
                match (
                    <&mut [S; W]>::try_from(&mut *sliver),
                    <&[S; W]>::try_from(run),
                ) {
                    (Ok(sliver), Ok(run)) => *sliver = *run,
                    _ => {
                        for (w, x) in sliver.iter_mut().enumerate() {
                            *x = if w < valid { run[w] } else { S::ZERO };
                        }
                    }
                }
            }
        } else {
            for w in 0..width {
                if w < valid {
                    let start = (first + w) * src.ls + src.p0 * src.ps;
                    let run = src.data[start..].iter().step_by(src.ps).take(kc);
                    for (x, &v) in panel[w..].iter_mut().step_by(width).zip(run) {
                        *x = v;
                    }
                } else {
                    panel[w..]
                        .iter_mut()
                        .step_by(width)
                        .for_each(|x| *x = S::ZERO);
                }
            }
        }
    }
}

/// One `MR×NR` tile of `a·b` from a packed panel of each, accumulated in registers.
#[inline(always)]
fn micro<S: Float, const MR: usize, const NR: usize>(
    fused: bool,
    pa: &[S],
    pb: &[S],
) -> [[S; MR]; NR] {
    let mut acc = [[S::ZERO; MR]; NR];
    for (a, b) in pa.chunks_exact(MR).zip(pb.chunks_exact(NR)) {
        let a: &[S; MR] = a.try_into().expect("a sliver of MR entries");
        let b: &[S; NR] = b.try_into().expect("a sliver of NR entries");
        for j in 0..NR {
            for i in 0..MR {
                acc[j][i] = if fused {
                    a[i].fused(b[j], acc[j][i])
                } else {
                    acc[j][i] + a[i] * b[j]
                };
            }
        }
    }
    acc
}

/// Writes (or adds) the `rows × cols` top-left part of `tile` into `c` (column-major, `m`
/// rows) at `(i0, j0)`.
#[inline(always)]
fn store<S: Float, const MR: usize, const NR: usize>(
    c: &mut [S],
    m: usize,
    (i0, j0): (usize, usize),
    (rows, cols): (usize, usize),
    tile: &[[S; MR]; NR],
    add: bool,
) {
    for (j, column) in tile.iter().enumerate().take(cols) {
        let out = &mut c[(j0 + j) * m + i0..][..rows];
        match (<&mut [S; MR]>::try_from(&mut *out), add) {
            (Ok(out), false) => *out = *column,
            (_, false) => out.iter_mut().zip(column).for_each(|(c, &t)| *c = t),
            (_, true) => out.iter_mut().zip(column).for_each(|(c, &t)| *c += t),
        }
    }
}
