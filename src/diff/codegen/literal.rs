//! `f64` values as Rust expressions that evaluate to exactly them, and that clippy accepts.

use crate::contract::f64_literal;

/// The constants clippy's `approx_constant` knows (`std::f64::consts`).
const KNOWN: [(&str, f64); 19] = [
    ("E", std::f64::consts::E),
    ("FRAC_1_PI", std::f64::consts::FRAC_1_PI),
    ("FRAC_1_SQRT_2", std::f64::consts::FRAC_1_SQRT_2),
    ("FRAC_2_PI", std::f64::consts::FRAC_2_PI),
    ("FRAC_2_SQRT_PI", std::f64::consts::FRAC_2_SQRT_PI),
    ("FRAC_PI_2", std::f64::consts::FRAC_PI_2),
    ("FRAC_PI_3", std::f64::consts::FRAC_PI_3),
    ("FRAC_PI_4", std::f64::consts::FRAC_PI_4),
    ("FRAC_PI_6", std::f64::consts::FRAC_PI_6),
    ("FRAC_PI_8", std::f64::consts::FRAC_PI_8),
    ("LN_10", std::f64::consts::LN_10),
    ("LN_2", std::f64::consts::LN_2),
    ("LOG10_E", std::f64::consts::LOG10_E),
    ("LOG2_E", std::f64::consts::LOG2_E),
    ("LOG2_10", std::f64::consts::LOG2_10),
    ("LOG10_2", std::f64::consts::LOG10_2),
    ("PI", std::f64::consts::PI),
    ("SQRT_2", std::f64::consts::SQRT_2),
    ("TAU", std::f64::consts::TAU),
];

/// `x` as an `f64` expression: the shortest literal that round-trips (`0.1`, `-2.5`), a
/// constant of `std::f64::consts` when `x` is one, `f64::NAN` and the infinities, or
/// `f64::from_bits(…)` for a literal that clippy would take for an approximate constant
/// (`3.14`, `2.718`): exact in every case.
pub(super) fn f64_expression(x: f64) -> String {
    let sign = if x.is_sign_negative() { "-" } else { "" };
    for (name, constant) in KNOWN {
        if x.abs() == constant {
            return format!("{sign}std::f64::consts::{name}");
        }
    }
    let literal = f64_literal(x);
    let digits = literal.trim_start_matches('-');
    if KNOWN.iter().any(|&(_, c)| looks_like(c, digits)) {
        return format!("f64::from_bits({:#018x})", x.to_bits());
    }
    literal
}

/// Whether clippy's `approx_constant` might flag the literal `digits` as `constant`: four
/// characters or more (clippy asks for more than three to five, by constant) that are a
/// prefix of the constant or the constant rounded to as many decimals.
fn looks_like(constant: f64, digits: &str) -> bool {
    if digits.len() < 4 || !digits.contains('.') || digits.contains('e') {
        return false;
    }
    let decimals = digits.len() - digits.find('.').map_or(0, |dot| dot + 1);
    constant.to_string().starts_with(digits) || format!("{constant:.decimals$}") == digits
}

#[cfg(test)]
mod tests {
    use super::f64_expression;

    #[test]
    fn plain_values_are_shortest_literals() {
        assert_eq!(f64_expression(0.1), "0.1");
        assert_eq!(f64_expression(-2.5), "-2.5");
        assert_eq!(f64_expression(1.0), "1.0");
        assert_eq!(f64_expression(3.0), "3.0");
        assert_eq!(f64_expression(f64::NEG_INFINITY), "f64::NEG_INFINITY");
    }

    #[test]
    #[allow(clippy::approx_constant)] // the constants' look-alikes, on purpose
    fn constants_and_their_look_alikes_are_exact_without_a_literal() {
        assert_eq!(f64_expression(std::f64::consts::PI), "std::f64::consts::PI");
        assert_eq!(
            f64_expression(-std::f64::consts::FRAC_PI_2),
            "-std::f64::consts::FRAC_PI_2"
        );
        for x in [3.14, 3.1416, 2.718, -0.7071, 6.283] {
            let text = f64_expression(x);
            assert!(text.starts_with("f64::from_bits(0x"), "{x}: {text}");
            let bits = u64::from_str_radix(&text[17..text.len() - 1], 16).unwrap();
            assert_eq!(f64::from_bits(bits), x.abs().copysign(x), "{text}");
        }
    }
}
