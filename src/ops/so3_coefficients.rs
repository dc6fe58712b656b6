//! The scalar coefficient functions of the SO(3) exponential and logarithm, with their Taylor
//! series near 0 and the thresholds between series and closed forms, per precision.
//!
//! Every function takes a squared quantity (θ², or tan²θ), never its square root: at 0 the
//! square root's derivative is infinite, and on dual-number scalars (exact Hessians) it would
//! put NaN in the dual parts even where the result is exact. The series are polynomials in the
//! squared argument, so their derivatives — the ones the backward passes use, and the ones dual
//! numbers carry — are exact polynomials too.
//!
//! # The thresholds
//!
//! A closed form such as `(θ·cos θ − sin θ)/θ³` loses digits to cancellation: its terms are of
//! size θ, its value of size θ³, so its relative error is about `k·ε/θ²` (ε the scalar's
//! machine epsilon, k a small constant). The truncated series has relative error about its
//! first omitted term. The switch sits where the two are equal, so that the worse of the two
//! errors is smallest there; it depends on ε, hence one constant for single precision (f32)
//! and one for double (f64). A scalar whose `default_epsilon()` is above 1e-10 counts as
//! single precision (f32, and num-dual's duals over f32); any other as double (f64 and its
//! duals). The constants and the errors at the switch are worked out next to each function.

use nalgebra::convert;

use crate::kernels::Real;

/// True for scalars of single precision (ε ≈ 1.19e-7), false for double (ε ≈ 2.2e-16).
fn single_precision<T: Real>() -> bool {
    T::default_epsilon() > convert(1e-10)
}

/// `p(x) = c₀ + c₁x + c₂x² + …` by Horner's rule.
fn horner<T: Real>(x: T, coefficients: &[f64]) -> T {
    coefficients
        .iter()
        .rev()
        .fold(T::zero(), |acc, &c| acc * x + convert(c))
}

/// The coefficients of Rodrigues' formula as functions of u = θ² = ‖w‖², and their
/// derivatives: `R = I + A·[w]ₓ + B·[w]ₓ²` with
///
/// * `a = A(u) = sin θ/θ`, `b = B(u) = (1 − cos θ)/θ²`,
/// * `a2 = 2·A′(u) = (θ·cos θ − sin θ)/θ³`, `b2 = 2·B′(u) = (θ·sin θ − 2(1 − cos θ))/θ⁴`,
///
/// the last two being what the backward pass needs (∂u/∂w = 2w).
pub(crate) struct ExpCoefficients<T> {
    pub(crate) a: T,
    pub(crate) b: T,
    pub(crate) a2: T,
    pub(crate) b2: T,
}

/// Series: A = Σ (−1)ᵏ uᵏ/(2k+1)!, B = Σ (−1)ᵏ uᵏ/(2k+2)!, k = 0..=5, and 2A′, 2B′ from the
/// same terms (k = 1..=5).
const A_SERIES: [f64; 6] = [
    1.0,
    -1.0 / 6.0,
    1.0 / 120.0,
    -1.0 / 5040.0,
    1.0 / 362_880.0,
    -1.0 / 39_916_800.0,
];
const B_SERIES: [f64; 6] = [
    1.0 / 2.0,
    -1.0 / 24.0,
    1.0 / 720.0,
    -1.0 / 40_320.0,
    1.0 / 3_628_800.0,
    -1.0 / 479_001_600.0,
];
const A2_SERIES: [f64; 5] = [
    -2.0 / 6.0,
    4.0 / 120.0,
    -6.0 / 5040.0,
    8.0 / 362_880.0,
    -10.0 / 39_916_800.0,
];
const B2_SERIES: [f64; 5] = [
    -2.0 / 24.0,
    4.0 / 720.0,
    -6.0 / 40_320.0,
    8.0 / 3_628_800.0,
    -10.0 / 479_001_600.0,
];

/// The θ² below which [`exp_coefficients`] takes the series.
///
/// The closed forms of 2A′ and 2B′ cancel: relative errors ≈ 3ε/u and ≈ 12ε/u. The series'
/// first omitted terms are, relative to the leading ones, 5.8e-9·u⁵ (2A′), 1.7e-9·u⁵ (2B′),
/// 1.6e-10·u⁶ (A) and 2.3e-11·u⁶ (B). Setting 12ε/u = 1.7e-9·u⁵ and 3ε/u = 5.8e-9·u⁵ gives
/// u ≈ 0.11 and 0.07 for f64, u ≈ 3.1 and 2.0 for f32; the limits below lie between, where
/// the worst relative error of any coefficient on either side is 4.5e-14 (f64: 12ε/0.095 = 2.8e-14 on
/// the closed-form side, 5.8e-9·0.095⁵ = 4.5e-14 at most on the series side) and 6.5e-7
/// (f32: 12ε/2.2 = 6.5e-7, and 5.8e-9·2.2⁵ = 3.0e-7). Those errors are relative to 2A′ and 2B′, which
/// the gradient multiplies by terms of size θ²·|w|: their share of the gradient is ε-sized.
/// A and B alone (the value of R) are accurate to a few ε on both sides.
fn exp_series_limit<T: Real>() -> T {
    if single_precision::<T>() {
        convert(2.2)
    } else {
        convert(0.095)
    }
}

/// [`ExpCoefficients`] at u = θ² ≥ 0.
pub(crate) fn exp_coefficients<T: Real>(u: T) -> ExpCoefficients<T> {
    if u < exp_series_limit::<T>() {
        return ExpCoefficients {
            a: horner(u, &A_SERIES),
            b: horner(u, &B_SERIES),
            a2: horner(u, &A2_SERIES),
            b2: horner(u, &B2_SERIES),
        };
    }
    let theta = u.sqrt();
    let (sin, cos) = theta.sin_cos();
    // 1 − cos θ = 2·sin²(θ/2), without the cancellation of 1 − cos θ for small θ.
    let half_sin = (theta * convert(0.5)).sin();
    let one_minus_cos = half_sin * half_sin * convert(2.0);
    ExpCoefficients {
        a: sin / theta,
        b: one_minus_cos / u,
        a2: (theta * cos - sin) / (theta * u),
        b2: (theta * sin - one_minus_cos * convert(2.0)) / (u * u),
    }
}

/// The factor of the logarithm near the identity, as a function of q = ‖v‖² = sin²θ and
/// c = cos θ (both taken from the matrix, so also defined for one that is not exactly a
/// rotation), and its partial derivatives: `g = atan2(√q, c)/√q`, so that log R = g·v for
/// v = vee(R), and `g_q = ∂g/∂q`, `g_c = ∂g/∂c`. Used for c > 0 only.
pub(crate) struct LogFactor<T> {
    pub(crate) g: T,
    pub(crate) g_q: T,
    pub(crate) g_c: T,
}

/// h(y) = atan(√y)/√y = Σ (−1)ᵏ yᵏ/(2k+1), k = 0..=6, and h′(y) from the same terms.
const H_SERIES: [f64; 7] = [
    1.0,
    -1.0 / 3.0,
    1.0 / 5.0,
    -1.0 / 7.0,
    1.0 / 9.0,
    -1.0 / 11.0,
    1.0 / 13.0,
];
const H_PRIME_SERIES: [f64; 6] = [
    -1.0 / 3.0,
    2.0 / 5.0,
    -3.0 / 7.0,
    4.0 / 9.0,
    -5.0 / 11.0,
    6.0 / 13.0,
];

/// The y = q/c² = tan²θ below which [`log_factor`] takes the series.
///
/// The closed form of g_q, `(c·s/(s² + c²) − θ)/(2s³)`, cancels with relative error ≈ 1.5ε/y;
/// the series of h′ omits 7y⁶/15, relative 1.4·y⁶ (the series converge for y < 1 only). They
/// are equal at y = (ε·1.07)^(1/7): 0.0059 for f64 (θ < 0.077, relative error 5.6e-14 on both
/// sides), 0.10 for f32 (θ < 0.31, 1.8e-6). g_q multiplies (v·dW)·v, of size θ²·|dW|, so its
/// error reaches the gradient as ~ε. g itself is accurate to a few ε on both sides.
fn log_series_limit<T: Real>() -> T {
    if single_precision::<T>() {
        convert(0.10)
    } else {
        convert(0.0059)
    }
}

/// [`LogFactor`] at q ≥ 0, c > 0.
pub(crate) fn log_factor<T: Real>(q: T, c: T) -> LogFactor<T> {
    let c2 = c * c;
    if q < log_series_limit::<T>() * c2 {
        // g = h(y)/c with y = q/c²: g_q = h′(y)/c³, g_c = −(h(y) + 2y·h′(y))/c².
        let y = q / c2;
        let (h, h_prime) = (horner(y, &H_SERIES), horner(y, &H_PRIME_SERIES));
        return LogFactor {
            g: h / c,
            g_q: h_prime / (c2 * c),
            g_c: -(h + (y + y) * h_prime) / c2,
        };
    }
    let s = q.sqrt();
    let theta = s.atan2(c);
    let r2 = q + c2;
    LogFactor {
        g: theta / s,
        g_q: (c * s / r2 - theta) / ((q + q) * s),
        g_c: -T::one() / r2,
    }
}

#[cfg(test)]
mod tests {
    use super::{exp_coefficients, exp_series_limit, log_factor, log_series_limit};

    /// The closed forms in f64 at θ where they are accurate (θ ≥ 0.5).
    fn exp_closed(theta: f64) -> [f64; 4] {
        let (s, c) = theta.sin_cos();
        let u = theta * theta;
        [
            s / theta,
            (1.0 - c) / u,
            (theta * c - s) / (theta * u),
            (theta * s - 2.0 * (1.0 - c)) / (u * u),
        ]
    }

    #[test]
    fn both_sides_of_the_exp_switch_agree_with_each_other() {
        // At the limit and the float just below it: series and closed forms agree to ~1e-13.
        let limit: f64 = exp_series_limit();
        let below = exp_coefficients(f64::from_bits(limit.to_bits() - 1));
        let above = exp_coefficients(limit);
        for (x, y) in [
            (below.a, above.a),
            (below.b, above.b),
            (below.a2, above.a2),
            (below.b2, above.b2),
        ] {
            assert!((x - y).abs() <= 1e-13 * y.abs(), "{x} vs {y}");
        }
        // And for f32, to its precision.
        let limit: f32 = exp_series_limit();
        let below = exp_coefficients(f32::from_bits(limit.to_bits() - 1));
        let above = exp_coefficients(limit);
        for (x, y) in [
            (below.a, above.a),
            (below.b, above.b),
            (below.a2, above.a2),
            (below.b2, above.b2),
        ] {
            assert!((x - y).abs() <= 2e-6 * y.abs(), "{x} vs {y}");
        }
    }

    #[test]
    fn exp_coefficients_match_the_closed_forms_away_from_zero() {
        for theta in [0.5, 1.0, 2.0, 3.0, std::f64::consts::PI, 5.0] {
            let k = exp_coefficients(theta * theta);
            let want = exp_closed(theta);
            for (x, y) in [k.a, k.b, k.a2, k.b2].into_iter().zip(want) {
                // The reference itself cancels: 12ε/θ² = 1.1e-14 relative at θ = 0.5.
                assert!((x - y).abs() <= 5e-14 * y.abs(), "θ = {theta}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn exp_coefficients_at_zero_are_the_limits() {
        let k = exp_coefficients(0.0_f64);
        assert_eq!([k.a, k.b, k.a2, k.b2], [1.0, 0.5, -1.0 / 3.0, -1.0 / 12.0]);
        let k = exp_coefficients(0.0_f32);
        assert_eq!([k.a, k.b, k.a2, k.b2], [1.0, 0.5, -1.0 / 3.0, -1.0 / 12.0]);
    }

    #[test]
    fn both_sides_of_the_log_switch_agree() {
        for c in [1.0, 0.8, 0.3] {
            let limit: f64 = log_series_limit::<f64>() * c * c;
            let below = log_factor(f64::from_bits(limit.to_bits() - 1), c);
            let above = log_factor(limit, c);
            let (g, g_q, g_c) = (above.g, above.g_q, above.g_c);
            assert!((below.g - g).abs() <= 1e-15 * g.abs(), "{} vs {g}", below.g);
            assert!(
                (below.g_q - g_q).abs() <= 2e-13 * g_q.abs(),
                "{} vs {g_q}",
                below.g_q
            );
            assert!(
                (below.g_c - g_c).abs() <= 1e-14 * g_c.abs(),
                "{} vs {g_c}",
                below.g_c
            );
        }
    }

    #[test]
    fn log_factor_on_rotations_is_theta_over_sine() {
        for theta in [1e-8, 1e-3, 0.05, 0.3, 1.0, 1.5] {
            let (s, c) = f64::sin_cos(theta);
            let f = log_factor(s * s, c);
            assert!((f.g - theta / s).abs() <= 2e-16 * f.g, "θ = {theta}");
        }
        let f = log_factor(0.0_f64, 1.0);
        assert_eq!([f.g, f.g_q, f.g_c], [1.0, -1.0 / 3.0, -1.0]);
    }
}
