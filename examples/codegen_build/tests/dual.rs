//! The generated functions are generic over the scalar: forward mode over the generated
//! `value` on num-dual's dual numbers gives the arm's Jacobian, which equals the graph's
//! (`shapegrad::jacobian::jacobian`, two backward passes) to 1e-15, and the generated reverse
//! mode equals the graph's bit for bit; second derivatives come from hyper-dual numbers.
//!
//! (The `second_order` entry points that take a plain function are being added; until then
//! this calls `num_dual::jacobian` directly.)

use codegen_build::{arm, graphs, mpc};
use nalgebra::{SMatrix, Vector3, Vector4};
use shapegrad::Graph;
use shapegrad::num_dual::HyperDual64;
use shapegrad::second_order::jacobian_of_fn;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn forward_mode_over_the_generated_value_is_the_graphs_jacobian() {
    let g = Graph::<f64>::new();
    let (qv, p) = graphs::arm(&g);
    for k in 0..50 {
        let q = Vector3::new(
            0.1 * k as f64,
            1.0 - 0.07 * k as f64,
            (0.3 * k as f64).sin(),
        );
        qv.set_value(q);
        let want = shapegrad::jacobian::jacobian(p, qv);
        let (value, forward) = jacobian_of_fn(arm::value, q);
        assert_eq!(value, p.value());
        for (a, b) in forward.iter().zip(want.iter()) {
            assert!(close(*a, *b, 1e-15), "forward {a} vs graph {b} at {q:?}");
        }
        assert_eq!(arm::jacobian(&q), want, "reverse mode: the graph's bits");
    }
}

#[test]
fn hyper_dual_numbers_give_exact_second_derivatives_of_the_mpc_cost() {
    // The MPC cost is quadratic in u: ∂²J/∂u₀₀∂u₀₁ (the first axis's commands at steps 0 and 1) is a constant that central differences of the
    // generated gradient recover to rounding.
    let x0 = Vector4::new(1.0, 0.0, -0.5, 0.2);
    let u = SMatrix::<f64, 2, 20>::from_fn(|r, c| ((r + 3 * c) as f64 * 0.37).sin());
    let lift = |m: &SMatrix<f64, 2, 20>, a: f64, b: f64| {
        SMatrix::<HyperDual64, 2, 20>::from_fn(|r, c| {
            let mut x = HyperDual64::from_re(m[(r, c)]);
            if (r, c) == (0, 0) {
                x.eps1 = a;
            }
            if (r, c) == (0, 1) {
                x.eps2 = b;
            }
            x
        })
    };
    let x0d = x0.map(HyperDual64::from_re);
    let cost = mpc::value(&x0d, &lift(&u, 1.0, 1.0));
    let h = 1e-4;
    let mut plus = u;
    plus[(0, 0)] += h;
    let mut minus = u;
    minus[(0, 0)] -= h;
    let d_plus = mpc::gradient(&x0, &plus)[(0, 1)];
    let d_minus = mpc::gradient(&x0, &minus)[(0, 1)];
    let numeric = (d_plus - d_minus) / (2.0 * h);
    assert!(
        close(cost[0].eps1eps2, numeric, 1e-9),
        "{} vs {numeric}",
        cost[0].eps1eps2
    );
    assert_eq!(cost[0].re, mpc::value(&x0, &u)[0]);
}
