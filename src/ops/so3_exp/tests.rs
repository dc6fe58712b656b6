use std::f64::consts::PI;

use nalgebra::{Matrix3, Rotation3, Vector3};

use super::So3Exp;
use crate::diff::testing::{check_unary, random, rng};
use crate::graph::Graph;

/// A unit axis with no zero component, so no entry of R is exactly 0 or 1 by accident.
fn axis() -> Vector3<f64> {
    Vector3::new(2.0, -3.0, 6.0) / 7.0
}

fn exp(w: Vector3<f64>) -> Matrix3<f64> {
    Graph::<f64>::new().var(w).so3_exp().value()
}

#[test]
fn equals_nalgebras_rotation_and_is_a_rotation() {
    let mut rng = rng(800);
    for scale in [1e-9, 1e-3, 0.1, 0.3, 1.0, 3.0, 10.0] {
        for _ in 0..5 {
            let w = random::<3, 1>(&mut rng) * scale;
            let r = exp(w);
            let want = *Rotation3::new(w).matrix();
            assert!(
                (r - want).abs().max() < 4e-16,
                "‖w‖ = {}: {r} vs {want}",
                w.norm()
            );
            assert!((r.transpose() * r - Matrix3::identity()).abs().max() < 1e-15);
            assert!((r.determinant() - 1.0).abs() < 1e-15);
            assert!((exp(-w) - r.transpose()).abs().max() < 1e-16);
        }
    }
}

#[test]
fn known_rotations() {
    assert_eq!(exp(Vector3::zeros()), Matrix3::identity());
    let r = exp(Vector3::new(PI, 0.0, 0.0));
    assert!(
        (r - Matrix3::from_diagonal(&Vector3::new(1.0, -1.0, -1.0)))
            .abs()
            .max()
            < 1e-15
    );
    let r = exp(Vector3::new(0.0, 2.0 * PI, 0.0));
    assert!((r - Matrix3::identity()).abs().max() < 1e-15);
    let r = exp(Vector3::new(0.0, PI / 2.0, 0.0)); // z ↦ x
    assert!((r * Vector3::z() - Vector3::x()).abs().max() < 1e-15);
}

#[test]
fn gradcheck_random() {
    let mut rng = rng(801);
    for scale in [0.05, 0.3, 1.0, 2.0, 4.0] {
        check_unary(So3Exp, So3Exp, random::<3, 1>(&mut rng) * scale);
    }
}

#[test]
fn gradcheck_at_the_singular_points_and_the_series_switch() {
    let n = axis();
    for theta in [
        0.0,
        1e-8,
        1e-4,
        0.3082,
        0.3083,
        1.4832,
        1.4833,
        PI - 1e-6,
        PI,
        2.0 * PI,
    ] {
        check_unary(So3Exp, So3Exp, n * theta);
    }
    // The switch: u = θ² = 0.095 (f64; 0.3082² < 0.095 < 0.3083²) and 2.2 (f32; 1.4832² <
    // 2.2 < 1.4833²), each side checked in both precisions by the harness.
}

#[test]
fn at_zero_the_gradient_is_that_of_i_plus_hat_w() {
    let mut rng = rng(802);
    let upstream: Matrix3<f64> = random(&mut rng);
    let g = Graph::<f64>::new();
    let w = g.var(Vector3::zeros());
    let grads = w.so3_exp().backward_with(upstream);
    let want = Vector3::new(
        upstream[(2, 1)] - upstream[(1, 2)],
        upstream[(0, 2)] - upstream[(2, 0)],
        upstream[(1, 0)] - upstream[(0, 1)],
    );
    assert_eq!(*grads.wrt(w), want);
    // And in f32, with no NaN anywhere.
    let g = Graph::<f32>::new();
    let w = g.var(Vector3::<f32>::zeros());
    let r = w.so3_exp();
    assert_eq!(r.value(), Matrix3::identity());
    let upstream = upstream.cast::<f32>();
    let grads = r.backward_with(upstream);
    let want = Vector3::new(
        upstream[(2, 1)] - upstream[(1, 2)],
        upstream[(0, 2)] - upstream[(2, 0)],
        upstream[(1, 0)] - upstream[(0, 1)],
    );
    assert_eq!(*grads.wrt(w), want);
}

#[test]
fn tiny_angles_keep_full_precision_in_f32() {
    // θ = 1e-8 and 1e-20 (θ² = 1e-40 is subnormal in f32): R = I + [w]ₓ to rounding, value
    // and gradient finite.
    let g = Graph::<f32>::new();
    for theta in [1e-8_f32, 1e-20] {
        let w = g.var(axis().cast::<f32>() * theta);
        let r = w.so3_exp();
        let v = r.value();
        assert!(v.iter().all(|x| x.is_finite()));
        assert!(
            (v - Matrix3::identity() - w.value().cross_matrix())
                .abs()
                .max()
                < 1e-7
        );
        let d = *r.backward_with(Matrix3::repeat(1.0)).wrt(w);
        assert!(d.iter().all(|x| x.is_finite()), "{d}");
    }
}

#[test]
fn the_jacobian_is_the_left_jacobian_of_so3() {
    // ∂exp(w)/∂wₖ = [J_l(w)·eₖ]ₓ·exp(w), with J_l = I + (1 − cos θ)/θ²·W + (θ − sin θ)/θ³·W².
    for theta in [0.2, 1.0, PI - 1e-6, PI] {
        let w = axis() * theta + Vector3::new(0.0, 0.0, 0.01);
        let (t, big_w) = (w.norm(), w.cross_matrix());
        let j_l = Matrix3::identity()
            + big_w * ((1.0 - t.cos()) / (t * t))
            + big_w * big_w * ((t - t.sin()) / (t * t * t));
        let r = exp(w);
        for k in 0..3 {
            let g = Graph::<f64>::new();
            let wv = g.var(w);
            let out = wv.so3_exp();
            // The derivative along eₖ, read from reverse mode one entry at a time.
            let want = (j_l * Vector3::ith(k, 1.0)).cross_matrix() * r;
            for i in 0..3 {
                for j in 0..3 {
                    let grads = out.backward_with(Matrix3::from_fn(|a, b| {
                        if (a, b) == (i, j) { 1.0 } else { 0.0 }
                    }));
                    let got = grads.wrt(wv)[k];
                    assert!(
                        (got - want[(i, j)]).abs() < 1e-14,
                        "θ = {theta}, ({i}, {j}), k = {k}"
                    );
                }
            }
        }
    }
}
