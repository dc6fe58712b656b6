//! Position and orientation inverse kinematics of a 6-DOF arm with UR5 Denavit–Hartenberg
//! parameters, from its 6×6 Jacobian.
//!
//! The residual is `(p(q) − p_target, log(R_targetᵀ·R(q)))`, 6×1, built from shapegrad's ops
//! (`ur5_ik/arm.rs`: joint rotations by `so3_exp`, the attitude error by `so3_log`). Its
//! Jacobian comes from the replayed graph by reverse mode (`jacobian(r, q)`, six backward
//! passes), and is checked against forward mode (`second_order::ForwardJacobian`, the same
//! function on dual scalars) and the exact Jacobian written by hand (the geometric Jacobian
//! times the inverse right Jacobian of SO(3)). Newton's method, `J·Δq = −r`, then drives the
//! residual to rounding level from a start 0.4 rad away in every joint; the example asserts
//! that it converges, quadratically, for three targets.
//!
//! Run: `cargo run --release --example ur5_ik`

#[path = "ur5_ik/arm.rs"]
mod arm;

use arm::Pose;
use nalgebra::{Matrix6, Vector6};
use shapegrad::Graph;
use shapegrad::jacobian::jacobian;
use shapegrad::second_order::ForwardJacobian;

fn main() {
    let targets = [
        Vector6::new(0.3, -1.2, 1.4, -0.6, 1.1, 0.4),
        Vector6::new(-1.0, -0.5, -1.8, 2.0, -0.7, 2.5),
        Vector6::new(2.2, -2.0, 0.6, 0.3, 1.6, -1.3),
    ];
    for (n, q_target) in targets.iter().enumerate() {
        // The target is data of the graph (constants): one graph per target, replayed for
        // every Newton step.
        let target = arm::pose_by_hand(q_target);
        let g = Graph::<f64>::new();
        let q = g.var(q_target + Vector6::repeat(0.4));
        let r = arm::residual(q, &target);

        // 1. Three Jacobians of the same residual agree.
        let q0 = q.value();
        let reverse: Matrix6<f64> = jacobian(r, q);
        let forward = ForwardJacobian::new(|q| arm::residual(q, &target), q0);
        let (r_forward, by_forward) = forward.at(q0);
        let (r_hand, by_hand) = arm::residual_and_jacobian(&q0, &target);
        let (d_forward, d_hand) = ((reverse - by_forward).amax(), (reverse - by_hand).amax());
        let d_residual = (r.value() - r_hand).amax().max((r_forward - r_hand).amax());
        println!(
            "target {n}: ‖r(q₀)‖ = {:.3}; Jacobian by reverse mode vs forward mode {d_forward:.1e}, \
             vs by hand {d_hand:.1e}; residuals {d_residual:.1e}",
            r_hand.norm()
        );
        assert!(d_forward < 1e-13 && d_hand < 1e-12 && d_residual < 1e-14);

        // 2. Newton: J·Δq = −r, on the replayed graph.
        let mut errors = Vec::new();
        for _ in 0..20 {
            let error = r.value().norm();
            errors.push(error);
            if error < 1e-13 {
                break;
            }
            let jac: Matrix6<f64> = jacobian(r, q);
            let step = jac
                .lu()
                .solve(&-r.value())
                .expect("the Jacobian is regular here");
            q.update_value(|q| *q += step);
        }
        let line: Vec<String> = errors.iter().map(|e| format!("{e:.1e}")).collect();
        println!("  Newton ‖r‖: {}", line.join(" → "));
        let reached: Pose = arm::pose_by_hand(&q.value());
        let position_error = (reached.position - target.position).norm();
        let attitude_error =
            arm::log_by_hand(&(target.rotation.transpose() * reached.rotation)).norm();
        println!(
            "  reached in {} iterations: position error {position_error:.1e} m, attitude error \
             {attitude_error:.1e} rad; q = {:.4?}",
            errors.len() - 1,
            q.value().as_slice()
        );
        assert!(
            errors.last().unwrap() < &1e-13,
            "target {n} not reached: {errors:?}"
        );
        assert!(
            errors.len() <= 10,
            "target {n}: slow convergence {errors:?}"
        );
        assert!(position_error < 1e-13 && attitude_error < 1e-13);
        // Quadratic convergence: once below 1e-2, each error is at most ~its square (× a
        // constant of the arm's size).
        for pair in errors.windows(2) {
            if pair[0] < 1e-2 && pair[1] > 1e-15 {
                assert!(
                    pair[1] < 100.0 * pair[0] * pair[0],
                    "not quadratic: {errors:?}"
                );
            }
        }
    }
    println!("all three targets reached");
}
