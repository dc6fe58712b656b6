//! `cargo bench -p shapegrad-benches --bench robotics`: the 6-DOF arm of `examples/ur5_ik` (UR5 DH parameters),
//! its IK residual (position error and `so3_log` attitude error) and 6×6 Jacobian, each
//! contender against a hand-written baseline in the same run, ending with lines such as
//! `ratio ARM6 reverse/by_hand 12.3 f64`. Before timing, every contender's result is checked
//! against the baseline's.
//!
//! ARM6: residual + 6×6 Jacobian at a new q. Baseline `by_hand`
//!     (`arm::residual_and_jacobian`: six `sin_cos`, the DH chain with nalgebra's 3×3
//!     products, the geometric Jacobian's columns zᵢ × (p − oᵢ) and J_r⁻¹(φ)·Rᵀ·zᵢ, written
//!     carefully); contenders `reverse` (the residual's graph, built once, replayed: set q,
//!     read r, `jacobian(r, q)`, i.e. six backward passes) and `forward`
//!     (`second_order::ForwardJacobian`, the same function over `DualSVec64<6>`, replayed: one
//!     forward pass).
//! POSE6: the residual alone (forward kinematics and the attitude error). Baseline `by_hand`
//!     (`arm::pose_by_hand` and `arm::log_by_hand`); contender `graph` (set q, read r on the
//!     replayed graph): how much of ARM6's time is the forward pass.

#[path = "support/medians.rs"]
mod medians;

#[path = "../examples/ur5_ik/arm.rs"]
mod arm;

use std::hint::black_box;
use std::sync::Mutex;
use std::time::Duration;

use criterion::Criterion;
use nalgebra::{Matrix6, SMatrix, Vector6};
use shapegrad::Graph;
use shapegrad::jacobian::jacobian;
use shapegrad::second_order::ForwardJacobian;

/// The (workload, baseline, contender) triples that ran.
static RAN: Mutex<Vec<(&'static str, &'static str, &'static str)>> = Mutex::new(Vec::new());

/// Times `step` as `name` in the group `workload`_f64, and records it against `baseline`.
fn run<O>(
    c: &mut Criterion,
    (workload, baseline): (&'static str, &'static str),
    name: &'static str,
    mut step: impl FnMut() -> O,
) {
    c.benchmark_group(format!("{workload}_f64"))
        .bench_function(name, |b| {
            RAN.lock().unwrap().push((workload, baseline, name));
            b.iter(&mut step)
        });
}

fn assert_close<const R: usize, const C: usize>(
    what: &str,
    got: &SMatrix<f64, R, C>,
    want: &SMatrix<f64, R, C>,
) {
    let err = (got - want).amax();
    assert!(
        err <= 1e-12 * want.amax().max(1.0),
        "{what}: differs from the baseline by {err}"
    );
}

fn arm6(c: &mut Criterion) {
    let q_target = Vector6::new(0.3, -1.2, 1.4, -0.6, 1.1, 0.4);
    let target = arm::pose_by_hand(&q_target);
    let q0 = q_target + Vector6::repeat(0.4);

    let g = Graph::<f64>::new();
    let q = g.var(q0);
    let r = arm::residual(q, &target);
    let forward = ForwardJacobian::new(|q| arm::residual(q, &target), q0);
    let (r_hand, j_hand) = arm::residual_and_jacobian(&q0, &target);
    let j_reverse: Matrix6<f64> = jacobian(r, q);
    assert_close("reverse residual", &r.value(), &r_hand);
    assert_close("reverse Jacobian", &j_reverse, &j_hand);
    let (r_forward, j_forward) = forward.at(q0);
    assert_close("forward residual", &r_forward, &r_hand);
    assert_close("forward Jacobian", &j_forward, &j_hand);

    let key = ("ARM6", "by_hand");
    run(c, key, "by_hand", || {
        arm::residual_and_jacobian(black_box(&q0), &target)
    });
    run(c, key, "reverse", || {
        q.set_value(black_box(q0));
        let residual = r.value();
        let jac: Matrix6<f64> = jacobian(r, q);
        (residual, jac)
    });
    run(c, key, "forward", || forward.at(black_box(q0)));

    let key = ("POSE6", "by_hand");
    run(c, key, "by_hand", || {
        let pose = arm::pose_by_hand(black_box(&q0));
        let attitude = arm::log_by_hand(&(target.rotation.transpose() * pose.rotation));
        (pose.position - target.position, attitude)
    });
    run(c, key, "graph", || {
        q.set_value(black_box(q0));
        r.value()
    });
}

fn main() {
    let mut c = Criterion::default()
        .output_directory(&medians::output_directory())
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    arm6(&mut c);
    c.final_summary();
    println!();
    let mut ran = RAN.lock().unwrap().clone();
    ran.dedup();
    for (workload, baseline, name) in ran {
        if name == baseline {
            continue;
        }
        let group = format!("{workload}_f64");
        if let (Some(base), Some(time)) = (
            medians::median_ns(&group, baseline),
            medians::median_ns(&group, name),
        ) {
            println!(
                "ratio {workload} {name}/{baseline} {:.2} f64 ({time:.0} ns vs {base:.0} ns)",
                time / base
            );
        }
    }
}
