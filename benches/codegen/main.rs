//! `cargo bench -p shapegrad-benches --bench codegen`: the code `shapegrad::codegen` generates from the workloads'
//! graphs (`benches/codegen/generated/`, checked in), timed in the same run as the workloads'
//! own hand-written baselines (`benches/workloads/`, included here, not rewritten) and the
//! replayed graph, in f64 and f32. Before timing, each contender's results are checked against
//! the hand-written ones (1e-10 relative in f64, 1e-4 in f32).
//!
//! The run ends with the ratio lines `ratio W1 generated/hand 1.02 f64` (the contender's
//! median over the baseline's), for W1, W4, W6 (against `hand`), W5 (against `analytic`,
//! reverse mode `generated` and forward mode on dual numbers over the generated `value`,
//! `generated-fwd`), and W2, W3 (also against `replay`).
//!
//! `cargo bench -p shapegrad-benches --bench codegen -- W5` runs one workload (criterion's filter).

#[path = "../../examples/robot_arm/arm.rs"]
mod arm;
#[allow(dead_code)] // the workloads' helpers: this benchmark uses some
#[path = "../workloads/common.rs"]
mod common;
#[path = "../support/medians.rs"]
mod medians;
#[allow(dead_code)] // the workloads: this benchmark uses their data, baselines and graphs
#[path = "../workloads/w1.rs"]
mod w1;
#[allow(dead_code)]
#[path = "../workloads/w2.rs"]
mod w2;
#[allow(dead_code)]
#[path = "../workloads/w3.rs"]
mod w3;
#[allow(dead_code)]
#[path = "../workloads/w4.rs"]
mod w4;
#[allow(dead_code)]
#[path = "../workloads/w5.rs"]
mod w5;
#[allow(dead_code)]
#[path = "../workloads/w6.rs"]
mod w6;

mod big;
mod small;

include!("generated/w1.rs");
include!("generated/w2.rs");
include!("generated/w3.rs");
include!("generated/w4.rs");
include!("generated/w5.rs");
include!("generated/w6.rs");

use criterion::Criterion;

fn main() {
    let mut c = common::criterion().configure_from_args();
    small::w1::<f64>(&mut c, "f64");
    small::w1::<f32>(&mut c, "f32");
    small::w4::<f64>(&mut c, "f64");
    small::w4::<f32>(&mut c, "f32");
    small::w5::<f64>(&mut c, "f64");
    small::w5::<f32>(&mut c, "f32");
    small::w6::<f64>(&mut c, "f64");
    small::w6::<f32>(&mut c, "f32");
    big::w2::<f64>(&mut c, "f64");
    big::w2::<f32>(&mut c, "f32");
    big::w3::<f64>(&mut c, "f64");
    big::w3::<f32>(&mut c, "f32");
    Criterion::final_summary(&c);
    common::print_ratios();
}
