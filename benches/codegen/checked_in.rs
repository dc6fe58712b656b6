//! The generated modules checked into `benches/codegen/generated/` are what their graphs
//! generate now: a file goes stale when a workload's graph, an op's constructor or the
//! generator changes, and this test then fails with the file and the reason. Regenerate with
//! `cargo run -p shapegrad-benches --example codegen_generate`.
//!
//! A test of the benchmarks' package (it compiles the workloads' files, which use criterion):
//! `cargo test -p shapegrad-benches --test codegen_checked_in`, run by CI.

#[path = "../../examples/robot_arm/arm.rs"]
mod arm;
#[allow(dead_code)]
#[path = "../workloads/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../support/medians.rs"]
mod medians;
#[path = "modules.rs"]
mod modules;
#[allow(dead_code)]
#[path = "../workloads/w2.rs"]
mod w2;
#[allow(dead_code)]
#[path = "../workloads/w3.rs"]
mod w3;
#[allow(dead_code)]
#[path = "../workloads/w5.rs"]
mod w5;
#[allow(dead_code)]
#[path = "../workloads/w6.rs"]
mod w6;

use std::path::Path;

#[test]
fn the_checked_in_modules_are_not_stale() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(modules::DIRECTORY);
    let mut checked = 0;
    let mut stale = Vec::new();
    modules::each(|file, module| {
        checked += 1;
        if let Err(e) = module.check_file(directory.join(file)) {
            stale.push(e.to_string());
        }
        Ok(())
    })
    .expect("the modules generate");
    assert_eq!(checked, 6);
    assert!(
        stale.is_empty(),
        "{}\nregenerate with `cargo run -p shapegrad-benches --example codegen_generate`",
        stale.join("\n")
    );
}

#[test]
fn a_changed_graph_makes_its_file_stale() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(modules::DIRECTORY);
    let g = shapegrad::Graph::<f64>::new();
    let (q, tip) = w5::arm(&g);
    let changed = shapegrad::codegen::Module::new("w5_generated")
        .input_named("q", q)
        .output_named("tip", tip.scale(2.0));
    let err = changed.check_file(directory.join("w5.rs")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("w5.rs is stale: it was generated from another graph"),
        "{message}"
    );
}
