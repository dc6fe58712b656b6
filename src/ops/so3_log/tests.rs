use std::f64::consts::{FRAC_PI_2, PI};

use nalgebra::{Matrix3, Rotation3, Vector3};

use super::{So3Log, antipodal, near, parts, pullback, value};
use crate::diff::check::GradcheckOptions;
use crate::diff::testing::{check_unary, check_unary_with, random, rng, tight};
use crate::graph::Graph;

/// A unit axis with no zero component; its largest component (6/7) is positive.
fn axis() -> Vector3<f64> {
    Vector3::new(2.0, -3.0, 6.0) / 7.0
}

fn rotation(w: Vector3<f64>) -> Matrix3<f64> {
    *Rotation3::new(w).matrix()
}

/// The rotation by exactly π about `n`: 2·n·nᵀ − I, symmetric to the last bit.
fn half_turn(n: Vector3<f64>) -> Matrix3<f64> {
    n * n.transpose() * 2.0 - Matrix3::identity()
}

fn log(r: Matrix3<f64>) -> Vector3<f64> {
    Graph::<f64>::new().var(r).so3_log().value()
}

/// J_r⁻¹(w) = I + ½W + (1/θ² − cot(θ/2)/(2θ))·W², the derivative of log(exp(w)·exp(δ)) in δ.
fn right_jacobian_inverse(w: Vector3<f64>) -> Matrix3<f64> {
    let theta = w.norm();
    let big_w = w.cross_matrix();
    let k = if theta < 1e-4 {
        1.0 / 12.0
    } else {
        1.0 / (theta * theta) - 1.0 / ((theta / 2.0).tan() * 2.0 * theta)
    };
    Matrix3::identity() + big_w * 0.5 + big_w * big_w * k
}

#[test]
fn inverts_the_exponential_on_both_branches() {
    let mut rng = rng(900);
    let angles = [
        0.0,
        1e-12,
        1e-8,
        1e-3,
        0.07,
        0.08,
        0.5,
        FRAC_PI_2 - 1e-9,
        FRAC_PI_2 + 1e-9,
        2.0,
        3.0,
        PI - 1e-3,
        PI - 1e-6,
        PI - 1e-9,
    ];
    for theta in angles {
        for _ in 0..5 {
            let n = random::<3, 1>(&mut rng).normalize();
            let w = n * theta;
            let got = log(rotation(w));
            // The log's error is the rotation's rounding (~1e-16) times ‖J_r⁻¹‖ ≤ ~2.5.
            assert!((got - w).abs().max() < 2e-15, "θ = {theta}: {got} vs {w}");
        }
    }
}

#[test]
fn at_pi_exactly_the_largest_component_of_the_axis_is_positive() {
    for n in [Vector3::x(), Vector3::y(), Vector3::z(), axis(), -axis()] {
        let w = log(half_turn(n));
        let want = if n.amax() == n.max() { n * PI } else { -n * PI };
        assert!((w - want).abs().max() < 1e-15, "{n}: {w}");
    }
    // Two equal largest components: the first one is positive.
    let n = Vector3::new(-1.0, 0.0, 1.0).normalize();
    assert!((log(half_turn(n)) + n * PI).abs().max() < 1e-15);
}

#[test]
fn gradcheck_random_rotations_and_near_rotations() {
    let mut rng = rng(901);
    for scale in [0.05, 0.3, 1.0, 1.4] {
        let w = random::<3, 1>(&mut rng) * scale;
        check_unary(So3Log, So3Log, rotation(w));
        // Off SO(3): the formula's own derivative (the extension of the log).
        let drift = random::<3, 3>(&mut rng) * 1e-3;
        check_unary(So3Log, So3Log, rotation(w) + drift);
    }
    for theta in [1.8, 2.5, 3.0] {
        let w = random::<3, 1>(&mut rng).normalize() * theta;
        check_unary(So3Log, So3Log, rotation(w));
    }
}

#[test]
fn gradcheck_at_the_identity_and_tiny_angles() {
    check_unary(So3Log, So3Log, Matrix3::identity());
    for theta in [1e-8, 1e-4, 0.0767, 0.0768, 0.31, 0.32] {
        // 0.0767/0.0768 straddle the f64 series switch (tan²θ = 0.0059), 0.31/0.32 the f32 one.
        check_unary(So3Log, So3Log, rotation(axis() * theta));
    }
}

#[test]
fn gradcheck_a_micro_radian_from_pi() {
    // t = sin θ = 1e-6: a central difference of h ≥ 1e-6 crosses θ = π, where the log jumps
    // from π·n to −π·n, so the step is 1e-8 (rounding noise ~1e-7 relative, which the
    // report's noise term allows for). In f32 the input is R rounded to 6e-8, which moves t
    // by ~1e-7: the f32 gradient is compared to 1e-5 as everywhere.
    let options = GradcheckOptions { h: 1e-8, ..tight() };
    for n in [axis(), -axis(), Vector3::new(1.0, 0.9, 1e-3).normalize()] {
        let r = rotation(n * (PI - 1e-6));
        check_unary_with(So3Log, So3Log, r, Some(&options), 1e-5);
    }
}

/// `(−3f(0) + 4f(δ) − f(2δ))/(2δ)`: a one-sided difference of error O(δ²).
fn one_sided(f: impl Fn(f64) -> f64, delta: f64) -> f64 {
    (-3.0 * f(0.0) + 4.0 * f(delta) - f(2.0 * delta)) / (2.0 * delta)
}

#[test]
fn at_pi_the_gradient_is_the_returned_branchs_one_sided_derivative() {
    // Every central difference straddles the jump, so each entry is stepped towards the side
    // whose value is returned (t ≥ 0), with a one-sided difference of order 2.
    let upstream = Vector3::new(0.3, -0.7, 0.5);
    for n in [axis(), Vector3::new(0.6, 0.0, 0.8), Vector3::z()] {
        let r = half_turn(n);
        check_unary_with(So3Log, So3Log, r, None, 1e-5);
        let analytic = pullback(&parts(&r), &upstream);
        let f = |r: Matrix3<f64>| upstream.dot(&value(&parts(&r)));
        for (i, j) in (0..3).flat_map(|i| (0..3).map(move |j| (i, j))) {
            let nudged = |d: f64| {
                let mut m = r;
                m[(i, j)] += d;
                m
            };
            let h = 1e-5;
            let t_plus = match parts(&nudged(h)) {
                super::Parts::Antipodal { t, .. } => t,
                super::Parts::Near { .. } => unreachable!(),
            };
            let delta = if t_plus >= 0.0 { h } else { -h };
            let numeric = one_sided(|d| f(nudged(d)), delta);
            assert!(
                (analytic[(i, j)] - numeric).abs() < 1e-9,
                "n = {n}, entry ({i}, {j}): {} vs {numeric}",
                analytic[(i, j)]
            );
        }
    }
}

#[test]
fn along_rotations_the_derivative_is_the_inverse_right_jacobian() {
    // d/dδ log(R·exp(δ)) at δ = 0, read from the graph, equals J_r⁻¹(log R), on both branches,
    // next to the switch (θ = π/2 ± 0.01), a micro-radian from π and at π: finite, and not
    // the zero gradient that autodiff through a clamped acos gives there.
    for theta in [
        0.0,
        1e-8,
        0.3,
        1.0,
        FRAC_PI_2 - 0.01,
        FRAC_PI_2 + 0.01,
        2.5,
        PI - 1e-6,
        PI,
    ] {
        let r0 = if theta == PI {
            half_turn(axis())
        } else {
            rotation(axis() * theta)
        };
        let g = Graph::<f64>::new();
        let delta = g.var(Vector3::zeros());
        let w = (g.constant(r0) * delta.so3_exp()).so3_log();
        let want = right_jacobian_inverse(w.value());
        for k in 0..3 {
            let row = *w.backward_with(Vector3::ith(k, 1.0)).wrt(delta);
            let want_row = want.row(k).transpose();
            assert!(
                (row - want_row).abs().max() < 1e-9,
                "θ = {theta}, row {k}: {row} vs {want_row}"
            );
        }
    }
}

#[test]
fn both_branches_agree_along_rotations_at_the_switch() {
    // At c = 0 (θ = π/2) the two formulas give different derivatives off SO(3), the same
    // along it: ⟨dR, R·[eₖ]ₓ⟩ is one number whichever branch computed dR.
    let mut rng = rng(902);
    for _ in 0..5 {
        let n = random::<3, 1>(&mut rng).normalize();
        let r = rotation(n * FRAC_PI_2);
        let upstream = random::<3, 1>(&mut rng);
        let (a, b) = (near(&r), antipodal(&r));
        assert!((value(&a) - value(&b)).abs().max() < 1e-15);
        let (d_a, d_b) = (pullback(&a, &upstream), pullback(&b, &upstream));
        assert!(
            (d_a - d_b).abs().max() > 1e-3,
            "the extensions do differ off SO(3)"
        );
        for k in 0..3 {
            let tangent = r * Vector3::ith(k, 1.0).cross_matrix();
            assert!((d_a.dot(&tangent) - d_b.dot(&tangent)).abs() < 1e-14);
        }
    }
}

#[test]
fn f32_has_no_nan_at_the_singular_points() {
    let g = Graph::<f32>::new();
    let n = axis().cast::<f32>();
    let rotations = [
        Matrix3::identity(),
        rotation(axis() * 1e-8).cast::<f32>(),
        rotation(axis() * (PI - 1e-6)).cast::<f32>(),
        half_turn(axis()).cast::<f32>(),
        (n * n.transpose() * 2.0 - Matrix3::identity()),
    ];
    for r in rotations {
        let rv = g.var(r);
        let w = rv.so3_log();
        let d = *w.backward_with(Vector3::new(1.0, -2.0, 0.5)).wrt(rv);
        assert!(
            w.value().iter().chain(d.iter()).all(|x| x.is_finite()),
            "{r}: {} {d}",
            w.value()
        );
    }
}

#[test]
fn exp_then_log_is_the_identity_map_with_the_identity_jacobian() {
    // log(exp(w)) = w for θ < π: its Jacobian is I, through both ops' backward passes.
    for w in [
        Vector3::zeros(),
        axis() * 1e-8,
        axis() * 0.5,
        axis() * 2.0,
        axis() * (PI - 1e-6),
    ] {
        let g = Graph::<f64>::new();
        let wv = g.var(w);
        let back = wv.so3_exp().so3_log();
        for k in 0..3 {
            let row = *back.backward_with(Vector3::ith(k, 1.0)).wrt(wv);
            assert!(
                (row - Vector3::ith(k, 1.0)).abs().max() < 1e-9,
                "{w}: row {k} = {row}"
            );
        }
    }
}
