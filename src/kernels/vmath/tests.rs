//! The kernels against `std`: sweeps over every binade and the ranges where the functions
//! bend, and the special values (±0, subnormals, ±∞, NaN), in f64 and f32.

use nalgebra::SMatrix;
use rand::RngExt;

#[cfg(feature = "simd")]
use super::{At, Kernel, Loop, apply, map, scale};
use super::{Func, map_into, scale_into};
use crate::diff::testing::rng;
#[cfg(feature = "simd")]
use crate::kernels::float::Float as Machine;

/// The largest distance from `std`, in units in the last place, that the tests allow any
/// `f64` kernel (they report the distances they measure). `std` is itself up to 2 ulp from
/// the true value for tanh (glibc documents 2), so this is the sum of two errors.
const MAX_ULPS_F64: u64 = 2;
/// The largest distance from the correctly rounded value allowed any `f64` kernel.
const MAX_ULPS_F64_TRUE: u64 = 1;
/// The largest distance from `std`'s `f32` functions allowed any `f32` kernel (glibc's
/// `tanhf` is itself up to 2 ulp off).
const MAX_ULPS_F32: u64 = 2;
/// The largest distance from the correctly rounded value allowed any `f32` kernel.
const MAX_ULPS_F32_TRUE: u64 = 1;

const ALL: [Func; 5] = [
    Func::Exp,
    Func::Ln,
    Func::Tanh,
    Func::Sigmoid,
    Func::Softplus,
];
const CHUNK: usize = 256;

/// A float type under test: its bits as an integer that orders like the numbers (±0 alike).
trait Float: crate::kernels::Real + std::fmt::LowerExp {
    fn ordered(self) -> i64;
    fn is_nan(self) -> bool;
}

impl Float for f64 {
    fn ordered(self) -> i64 {
        let bits = self.to_bits() as i64;
        if bits < 0 { -(bits & i64::MAX) } else { bits }
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

impl Float for f32 {
    fn ordered(self) -> i64 {
        let bits = i64::from(self.to_bits() as i32);
        if bits < 0 {
            -(bits & i64::from(i32::MAX))
        } else {
            bits
        }
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

/// The kernel's values at `xs`, through [`map_into`] on 256×1 matrices.
fn kernel<T: Float>(f: Func, xs: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(xs.len());
    for chunk in xs.chunks(CHUNK) {
        let mut x = SMatrix::<T, CHUNK, 1>::zeros();
        x.as_mut_slice()[..chunk.len()].copy_from_slice(chunk);
        let mut y = SMatrix::<T, CHUNK, 1>::repeat(T::one());
        map_into(f, &x, &mut y);
        out.extend_from_slice(&y.as_slice()[..chunk.len()]);
    }
    out
}

/// The worst distance in ulps from `std` over `xs`, and where. NaN must match NaN exactly.
fn worst<T: Float>(f: Func, xs: &[T]) -> (u64, T, T, T) {
    let mut worst = (0, T::zero(), T::zero(), T::zero());
    for (&x, &got) in xs.iter().zip(&kernel(f, xs)) {
        let want = f.scalar(x);
        assert_eq!(
            got.is_nan(),
            want.is_nan(),
            "{f:?}({x:e}) = {got:e}, std says {want:e}"
        );
        if want.is_nan() {
            continue;
        }
        let ulps = got.ordered().abs_diff(want.ordered());
        if ulps > worst.0 {
            worst = (ulps, x, got, want);
        }
    }
    worst
}

/// Both signs of a few mantissas in every binade from the smallest subnormal to the largest
/// finite number, dense uniform sweeps where the functions bend, and the special values.
fn sweep_f64() -> Vec<f64> {
    let mut rng = rng(13);
    let mut xs = Vec::new();
    for exponent in 0..2047u64 {
        for _ in 0..24 {
            let mantissa = rng.random_range(0..1u64 << 52);
            let x = f64::from_bits(exponent << 52 | mantissa);
            xs.extend([x, -x]);
        }
    }
    for (lo, hi) in [(-1.0, 1.0), (-40.0, 40.0), (-750.0, 720.0), (0.0, 4.0)] {
        xs.extend((0..100_000).map(|_| rng.random_range(lo..hi)));
    }
    xs.extend(SPECIAL_F64);
    xs
}

const SPECIAL_F64: [f64; 24] = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    1e-310,
    -1e-310,
    f64::MIN_POSITIVE,
    -f64::MIN_POSITIVE,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -f64::NAN,
    f64::MAX,
    f64::MIN,
    1.0,
    -1.0,
    0.625,
    -0.625,
    20.0,
    709.782_712_893_384,
    709.79,
    -745.133_219_101_941_1,
    -745.2,
    -708.4,
];

fn sweep_f32() -> Vec<f32> {
    let mut rng = rng(14);
    let mut xs = Vec::new();
    for exponent in 0..255u32 {
        for _ in 0..256 {
            let mantissa = rng.random_range(0..1u32 << 23);
            let x = f32::from_bits(exponent << 23 | mantissa);
            xs.extend([x, -x]);
        }
    }
    for (lo, hi) in [(-1.0, 1.0), (-12.0, 12.0), (-110.0, 95.0), (0.0, 4.0)] {
        xs.extend((0..100_000).map(|_| rng.random_range(lo..hi)));
    }
    xs.extend(SPECIAL_F64.map(|x| x as f32));
    xs.extend([
        1e-45,
        -1e-45,
        1e-40,
        f32::MIN_POSITIVE,
        f32::MAX,
        88.72,
        -103.97,
        9.01,
    ]);
    xs
}

#[test]
fn f64_kernels_are_within_the_bound_of_std() {
    let xs = sweep_f64();
    for f in ALL {
        let (ulps, x, got, want) = worst(f, &xs);
        println!("f64 {f:?}: at most {ulps} ulp from std (at {x:e}: {got:e} vs {want:e})");
        assert!(
            ulps <= MAX_ULPS_F64,
            "{f:?}({x:e}) = {got:e}, std says {want:e}: {ulps} ulp"
        );
    }
}

#[test]
fn f32_kernels_are_within_the_bound_of_std() {
    let xs = sweep_f32();
    for f in ALL {
        let (ulps, x, got, want) = worst(f, &xs);
        println!("f32 {f:?}: at most {ulps} ulp from std (at {x:e}: {got:e} vs {want:e})");
        assert!(
            ulps <= MAX_ULPS_F32,
            "{f:?}({x:e}) = {got:e}, std says {want:e}: {ulps} ulp"
        );
    }
}

#[test]
fn special_values_are_exactly_those_of_std() {
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    let cases: [(Func, f64, f64); 22] = [
        (Func::Exp, 0.0, 1.0),
        (Func::Exp, -0.0, 1.0),
        (Func::Exp, inf, inf),
        (Func::Exp, -inf, 0.0),
        (Func::Exp, 710.0, inf),
        (Func::Exp, -746.0, 0.0),
        (Func::Ln, 1.0, 0.0),
        (Func::Ln, 0.0, -inf),
        (Func::Ln, -0.0, -inf),
        (Func::Ln, inf, inf),
        (Func::Ln, -1.0, nan),
        (Func::Ln, -inf, nan),
        (Func::Tanh, inf, 1.0),
        (Func::Tanh, -inf, -1.0),
        (Func::Tanh, 5e-324, 5e-324),
        (Func::Tanh, -1e-310, -1e-310),
        (Func::Sigmoid, 0.0, 0.5),
        (Func::Sigmoid, inf, 1.0),
        (Func::Sigmoid, -inf, 0.0),
        (Func::Softplus, inf, inf),
        (Func::Softplus, -inf, 0.0),
        (Func::Softplus, 1000.0, 1000.0),
    ];
    for (f, x, want) in cases {
        let got = kernel(f, &[x])[0];
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "{f:?}({x:e}) = {got:e}, want {want:e}"
        );
        let got32 = kernel(f, &[x as f32])[0];
        let want32 = want as f32;
        assert!(
            got32.to_bits() == want32.to_bits() || (got32.is_nan() && want32.is_nan()),
            "f32 {f:?}({x:e}) = {got32:e}, want {want32:e}"
        );
    }
    // The sign of zero survives tanh, and NaN stays NaN everywhere.
    assert!(kernel(Func::Tanh, &[-0.0_f64])[0].is_sign_negative());
    assert!(kernel(Func::Tanh, &[-0.0_f32])[0].is_sign_negative());
    for f in ALL {
        assert!(kernel(f, &[f64::NAN])[0].is_nan(), "{f:?}");
        assert!(kernel(f, &[f32::NAN])[0].is_nan(), "{f:?}");
    }
}

#[test]
fn scale_into_multiplies_by_the_function_and_adds_when_asked() {
    let x = SMatrix::<f64, 3, 2>::new(0.01, 1.0, 30.0, 0.5, 2.0, 8.0);
    let d = SMatrix::<f64, 3, 2>::new(1.0, 2.0, -3.0, 4.0, 0.5, 1.0);
    let close = |a: &SMatrix<f64, 3, 2>, b: &SMatrix<f64, 3, 2>| {
        a.iter()
            .zip(b.iter())
            .all(|(a, b)| (a - b).abs() <= 1e-15 * b.abs())
    };
    for f in ALL {
        let want = d.zip_map(&x, |d, x| d * f.scalar(x));
        let mut out = SMatrix::<f64, 3, 2>::repeat(f64::NAN);
        scale_into(f, &x, &d, &mut out, false);
        assert!(close(&out, &want), "{f:?}: {out} vs {want}");
        let mut acc = SMatrix::<f64, 3, 2>::repeat(1.0);
        scale_into(f, &x, &d, &mut acc, true);
        assert!(close(&acc, &want.add_scalar(1.0)), "{f:?}: {acc}");
        let mut out32 = SMatrix::<f32, 3, 2>::repeat(f32::NAN);
        scale_into(f, &x.cast::<f32>(), &d.cast::<f32>(), &mut out32, false);
        let err = (out32.cast::<f64>() - want).amax();
        assert!(err <= 1e-6 * want.amax(), "{f:?} f32: {out32}");
    }
}

/// Correctly rounded values at 1 700 points (`scripts/vmath_reference.py`, 60-digit decimal
/// arithmetic): the kernels' error, and `std`'s for comparison.
#[test]
fn f64_kernels_against_correctly_rounded_values() {
    let mut by_func: Vec<(Func, Vec<f64>, Vec<f64>)> = Vec::new();
    for line in include_str!("reference.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
    {
        let mut parts = line.split(' ');
        let f = match parts.next() {
            Some("exp") => Func::Exp,
            Some("ln") => Func::Ln,
            Some("tanh") => Func::Tanh,
            Some("sigmoid") => Func::Sigmoid,
            _ => Func::Softplus,
        };
        let mut value = || f64::from_bits(u64::from_str_radix(parts.next().unwrap(), 16).unwrap());
        let (x, y) = (value(), value());
        match by_func.iter_mut().find(|(g, ..)| *g == f) {
            Some((_, xs, ys)) => (xs.push(x), ys.push(y)),
            None => (by_func.push((f, vec![x], vec![y])), ()),
        };
    }
    assert_eq!(by_func.len(), 5);
    let mut failures = Vec::new();
    for (f, xs, truth) in by_func {
        let ours = kernel(f, &xs);
        let error = |got: &[f64]| {
            got.iter()
                .zip(&truth)
                .map(|(g, t)| g.ordered().abs_diff(t.ordered()))
                .max()
                .unwrap()
        };
        let std: Vec<f64> = xs.iter().map(|&x| f.scalar(x)).collect();
        let (ours, std) = (error(&ours), error(&std));
        println!(
            "f64 {f:?} at {} points: kernel {ours} ulp, std {std} ulp",
            xs.len()
        );
        if ours > MAX_ULPS_F64_TRUE {
            failures.push((f, ours));
        }
    }
    assert!(failures.is_empty(), "ulp from the true value: {failures:?}");
}

/// f32 against `std`'s f64 functions rounded to f32 (their error, ~2⁻⁵² relative, is far
/// below an f32 ulp): the kernels are within [`MAX_ULPS_F32_TRUE`] of the true value.
#[test]
fn f32_kernels_against_f64_rounded_to_f32() {
    let xs = sweep_f32();
    for f in ALL {
        let ours = kernel(f, &xs);
        let mut worst = (0, 0.0_f32);
        for (&x, &got) in xs.iter().zip(&ours) {
            let want = f.scalar(f64::from(x)) as f32;
            if want.is_nan() {
                assert!(got.is_nan(), "{f:?}({x:e})");
                continue;
            }
            let ulps = got.ordered().abs_diff(want.ordered());
            if ulps > worst.0 {
                worst = (ulps, x);
            }
        }
        println!(
            "f32 {f:?}: at most {} ulp from f64 rounded (at {:e})",
            worst.0, worst.1
        );
        assert!(
            worst.0 <= MAX_ULPS_F32_TRUE,
            "{f:?}({:e}): {} ulp",
            worst.1,
            worst.0
        );
    }
}

/// The loops compiled here (for the baseline target: this test is not dispatched) and the
/// versions [`map`], [`apply`] and [`scale`] pick for this CPU, on `xs`: `None` if every
/// result has the same bits, else the first difference.
#[cfg(feature = "simd")]
fn first_difference<S: Machine + std::fmt::LowerExp, K: At<S>>(
    kernel: K,
    xs: &[S],
    ds: &[S],
) -> Option<String> {
    let bits = |v: &[S]| -> Vec<u64> { v.iter().map(|x| x.widened().to_bits()).collect() };
    let differ = |what: &str, baseline: &[S], dispatched: &[S]| {
        let (b, d) = (bits(baseline), bits(dispatched));
        let i = b.iter().zip(&d).position(|(b, d)| b != d)?;
        Some(format!(
            "{what} at x = {:e}: baseline {:e}, dispatched {:e}",
            xs[i], baseline[i], dispatched[i]
        ))
    };
    let (mut baseline, mut dispatched) = (vec![S::ZERO; xs.len()], vec![S::ZERO; xs.len()]);
    Loop::Map(xs, &mut baseline).run(kernel);
    map(xs, &mut dispatched, kernel);
    let map = differ("map", &baseline, &dispatched);
    let (mut baseline, mut dispatched) = (xs.to_vec(), xs.to_vec());
    Loop::Apply(&mut baseline).run(kernel);
    apply(&mut dispatched, kernel);
    let apply = differ("apply", &baseline, &dispatched);
    let mut scaled = None;
    for add in [false, true] {
        let (mut baseline, mut dispatched) = (ds.to_vec(), ds.to_vec());
        Loop::Scale(xs, ds, &mut baseline, add).run(kernel);
        scale(xs, ds, &mut dispatched, add, kernel);
        scaled = scaled.or(differ("scale", &baseline, &dispatched));
    }
    map.or(apply).or(scaled)
}

/// Every function, on `xs` and on the upstream gradients `ds`.
#[cfg(feature = "simd")]
fn differences<S: Machine + std::fmt::LowerExp>(xs: &[S], ds: &[S]) -> Vec<(Func, String)> {
    [
        (
            Func::Exp,
            first_difference(Kernel::<{ Func::Exp.id() }>, xs, ds),
        ),
        (
            Func::Ln,
            first_difference(Kernel::<{ Func::Ln.id() }>, xs, ds),
        ),
        (
            Func::Tanh,
            first_difference(Kernel::<{ Func::Tanh.id() }>, xs, ds),
        ),
        (
            Func::Sigmoid,
            first_difference(Kernel::<{ Func::Sigmoid.id() }>, xs, ds),
        ),
        (
            Func::Softplus,
            first_difference(Kernel::<{ Func::Softplus.id() }>, xs, ds),
        ),
    ]
    .into_iter()
    .filter_map(|(f, d)| Some((f, d?)))
    .collect()
}

/// Feature `simd` changes the speed of the element-wise functions, never their bits: the
/// versions compiled for AVX-512, AVX2 or SSE4.1 (whichever this CPU has) give exactly the
/// results of the loop compiled for the baseline target, over the whole sweeps (the functions
/// use no fused multiply-add, and Rust never fuses on its own).
#[cfg(feature = "simd")]
#[test]
fn the_dispatched_loops_give_the_bits_of_the_baseline_loops() {
    #[cfg(target_arch = "x86_64")]
    println!(
        "this CPU: avx512f {}, avx2 {}, fma {}, sse4.1 {}",
        std::is_x86_feature_detected!("avx512f"),
        std::is_x86_feature_detected!("avx2"),
        std::is_x86_feature_detected!("fma"),
        std::is_x86_feature_detected!("sse4.1"),
    );
    let xs = sweep_f64();
    let ds: Vec<f64> = xs.iter().rev().map(|x| x.sin()).collect();
    assert_eq!(differences(&xs, &ds), [], "f64");
    let xs = sweep_f32();
    let ds: Vec<f32> = xs.iter().rev().map(|x| x.sin()).collect();
    assert_eq!(differences(&xs, &ds), [], "f32");
}
