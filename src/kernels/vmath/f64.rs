//! Branch-free `f64` exp, ln, tanh, sigmoid and softplus: every special case is a select, and
//! the exponent is built and read with integer operations on the bits, so a loop over a slice
//! of them vectorises. `f32` inputs are widened to `f64` and rounded back once (see
//! `super::f32`).
//!
//! The algorithms (with their error budgets; the tests in `super::tests` measure the
//! distance from `std` over sweeps and special values):
//!
//! * `exp`: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite, two-part ln2), eʳ by its Taylor
//!   polynomial to r¹³ (truncation below 0.04 ulp) summed so that only the last addition
//!   rounds, then 2ⁿ in two exact factors, so results in the subnormal range round once;
//! * `ln`: x = 2ᵏ·m with m ∈ [√½, √2), ln m = 2 atanh(f/(2+f)) with f = m − 1, fdlibm's
//!   polynomial and its error-compensated sum (fdlibm documents < 1 ulp);
//! * `tanh`: for |x| < 0.625 the Cephes rational x + x³·P(x²)/Q(x²), above it 1 − 2/(e²ˣ + 1);
//! * `sigmoid`: 1/(1 + e⁻ˣ) for x ≥ 0 and eˣ/(1 + eˣ) below, the `std` path's formulas, from
//!   one e^−|x| kept in two parts, with the division's and the sum's rounding errors
//!   corrected (Dekker's exact product), so that only the last rounding remains;
//! * `softplus`: max(x, 0) + ln_1p(e^−|x|), with ln_1p(e) = ln(1 + e) + (e − ((1 + e) − 1))/(1 + e)
//!   (the rounding of 1 + e, which is exact to compute, corrected to first order).
//!
//! No fused multiply-add is used, so every CPU and every vector width gives bit-identical
//! results.

// The coefficients are fdlibm's and Cephes' published ones, digit for digit (they round to
// the same `f64`s as the shortest forms clippy suggests).
#![allow(clippy::excessive_precision)]

use std::f64::consts::{LOG2_E, SQRT_2};

/// ln 2 in two parts: `LN2_HI` has 32 significant bits, so `n·LN2_HI` is exact for |n| < 2²¹.
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// 1.5·2⁵²: adding it rounds a float of magnitude below 2⁵¹ to an integer, which then sits
/// in the low bits of the sum.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `x` if it is not below `lo` and not above `hi`, else the bound it crosses; NaN stays NaN.
#[inline(always)]
fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    let x = if x < lo { lo } else { x };
    if x > hi { hi } else { x }
}

/// 2ⁿ for an integer `n` in [−1022, 1023] given as `n + 1023`.
#[inline(always)]
fn pow2_biased(biased: u64) -> f64 {
    f64::from_bits(biased << 52)
}

/// eˣ.
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    exp_parts(x).0
}

/// eˣ rounded, and the error of that rounding (`eˣ ≈ hi + lo`, |lo| ≤ ulp(hi)/2 up to the
/// polynomial's error), for callers that need more than `f64` precision (sigmoid).
#[inline(always)]
fn exp_parts(x: f64) -> (f64, f64) {
    // Past these bounds the result is inf or 0 anyway; inside them 2ⁿ splits into two
    // normal factors. NaN passes through and makes every later step NaN.
    let x = clamp(x, -746.0, 710.0);
    let t = x * LOG2_E + ROUND;
    let n = t - ROUND;
    // n + 2048 (≥ 0), read from the bits of t.
    let n_plus = t.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(2048);
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let (p_hi, p_lo) = exp_taylor(r);
    // 2ⁿ = 2ⁿ¹·2ⁿ² with n₁ = ⌊n/2⌋, n₂ = n − n₁, both in [−538, 513].
    // (Wrapping: for a NaN input the bits are garbage and the result NaN regardless.)
    let half = n_plus >> 1;
    let n1_biased = half.wrapping_sub(1);
    let n2_biased = n_plus.wrapping_sub(half).wrapping_sub(1);
    let (s1, s2) = (pow2_biased(n1_biased), pow2_biased(n2_biased));
    (p_hi * s1 * s2, p_lo * s1 * s2)
}

/// eʳ for |r| ≤ 0.35 as `hi + lo`: Taylor to r¹³, Horner's rule.
#[inline(always)]
fn exp_taylor(r: f64) -> (f64, f64) {
    const C: [f64; 12] = [
        1.0 / 6_227_020_800.0, // 1/13!
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
    ];
    let mut p = C[0];
    for c in &C[1..] {
        p = p * r + c;
    }
    // 1 + r + r²·p with the rounding error of 1 + r (exact by Fast2Sum, |r| < 1) added back
    // to the small terms, so that only the last addition rounds.
    let hi = 1.0 + r;
    let tail = ((1.0 - hi) + r) + r * r * p;
    // Renormalised (Fast2Sum, |hi| ≥ |tail|): `sum` is the rounded eʳ, `lo` its error.
    let sum = hi + tail;
    (sum, tail - (sum - hi))
}

/// ln x.
#[inline(always)]
pub(crate) fn ln(x: f64) -> f64 {
    const LG: [f64; 7] = [
        6.666_666_666_666_735_130e-1,
        3.999_999_999_940_941_908e-1,
        2.857_142_874_366_239_149e-1,
        2.222_219_843_214_978_396e-1,
        1.818_357_216_161_805_012e-1,
        1.531_383_769_920_937_332e-1,
        1.479_819_860_511_658_591e-1,
    ];
    // Subnormals become normal: x·2⁵⁴, and k is lowered by 54.
    let subnormal = x < f64::MIN_POSITIVE;
    let xs = if subnormal {
        x * 18_014_398_509_481_984.0
    } else {
        x
    };
    let bits = xs.to_bits();
    // m ∈ [1, 2): x's mantissa with the exponent of 1.
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let above = m > SQRT_2;
    let m = if above { m * 0.5 } else { m };
    // The biased exponent as a float: its bits placed under 2⁵² (exact).
    let exponent =
        f64::from_bits(0x4330_0000_0000_0000 | ((bits >> 52) & 0x7ff)) - 4_503_599_627_370_496.0;
    let k = exponent - 1023.0 + if above { 1.0 } else { 0.0 } - if subnormal { 54.0 } else { 0.0 };

    let f = m - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG[1] + w * (LG[3] + w * LG[5]));
    let t2 = z * (LG[0] + w * (LG[2] + w * (LG[4] + w * LG[6])));
    let r = t2 + t1;
    let y = k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);

    let y = if x == f64::INFINITY { x } else { y };
    let y = if x == 0.0 { f64::NEG_INFINITY } else { y };
    // Below zero, and NaN: NaN.
    if x >= 0.0 { y } else { f64::NAN }
}

/// tanh x.
#[inline(always)]
pub(crate) fn tanh(x: f64) -> f64 {
    // Cephes' tanh.c: x + x·z·P(z)/Q(z), z = x², for |x| < 0.625.
    const P: [f64; 3] = [
        -9.643_991_794_250_522_386_28e-1,
        -9.928_772_310_019_185_865_64e1,
        -1.614_687_684_417_084_479_52e3,
    ];
    const Q: [f64; 3] = [
        1.128_116_784_916_329_314_02e2,
        2.235_488_390_601_004_485_83e3,
        4.844_063_053_251_254_860_48e3,
    ];
    // tanh 20 rounds to 1; clamping keeps e²ˣ finite (inf/inf would be NaN below).
    let s = clamp(x.abs(), 0.0, 20.0);
    let z = s * s;
    let p = (P[0] * z + P[1]) * z + P[2];
    let q = ((z + Q[0]) * z + Q[1]) * z + Q[2];
    let small = s + s * z * (p / q);
    let large = 1.0 - 2.0 / (exp(2.0 * s) + 1.0);
    let y = if s < 0.625 { small } else { large };
    y.copysign(x)
}

/// σ(x) = 1 / (1 + e⁻ˣ).
#[inline(always)]
pub(crate) fn sigmoid(x: f64) -> f64 {
    // e = e^−|x| in two parts, and σ = num/(1 + e) with num = 1 (x ≥ 0) or e (x < 0),
    // computed as q = num/u (u = 1 + e rounded) plus its correction: the rounding error of u
    // (`lost`, exact as u − 1 is) and the residual num − q·u (exact by Dekker's product), so
    // that what remains is the last rounding and e's error.
    let (e, e_lo) = exp_parts(-x.abs());
    let u = 1.0 + e;
    let lost = (e - (u - 1.0)) + e_lo;
    let negative = x < 0.0;
    let (num, num_lo) = if negative { (e, e_lo) } else { (1.0, 0.0) };
    let q = num / u;
    let (p, p_err) = two_product(q, u);
    let residual = ((num - p) - p_err) + num_lo;
    q + (residual - q * lost) / u
}

/// `a·b = p + err` exactly (Dekker, without FMA): p is the rounded product.
#[inline(always)]
fn two_product(a: f64, b: f64) -> (f64, f64) {
    let split = |v: f64| {
        let c = 134_217_729.0 * v; // 2²⁷ + 1
        let hi = c - (c - v);
        (hi, v - hi)
    };
    let p = a * b;
    let ((ah, al), (bh, bl)) = (split(a), split(b));
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

/// ln(1 + eˣ).
#[inline(always)]
pub(crate) fn softplus(x: f64) -> f64 {
    let e = exp(-x.abs());
    let u = 1.0 + e;
    // 1 ≤ u ≤ 2, so u − 1 is exact and e − (u − 1) is the rounding error of 1 + e.
    let ln_1p = ln(u) + (e - (u - 1.0)) / u;
    let positive = if x > 0.0 { x } else { 0.0 };
    positive + ln_1p
}
