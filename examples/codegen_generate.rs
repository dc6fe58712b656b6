//! `cargo run --example codegen_generate`: writes the modules the codegen benchmark runs
//! (`benches/codegen/generated/`), generated from the workloads' graphs — shapegrad's second
//! code-generation workflow: a generator program whose output is checked into the repository,
//! with a test (`tests/codegen_checked_in.rs`) that fails when a file is stale.

#[path = "robot_arm/arm.rs"]
mod arm;
#[allow(dead_code)] // the benchmarks' helpers: this program uses the graphs only
#[path = "../benches/workloads/common.rs"]
mod common;
#[path = "../benches/support/medians.rs"]
#[allow(dead_code)]
mod medians;
#[path = "../benches/codegen/modules.rs"]
mod modules;
#[allow(dead_code)]
#[path = "../benches/workloads/w2.rs"]
mod w2;
#[allow(dead_code)]
#[path = "../benches/workloads/w3.rs"]
mod w3;
#[allow(dead_code)]
#[path = "../benches/workloads/w5.rs"]
mod w5;
#[allow(dead_code)]
#[path = "../benches/workloads/w6.rs"]
mod w6;

use std::path::Path;

fn main() -> Result<(), shapegrad::codegen::Error> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join(modules::DIRECTORY);
    modules::each(|file, module| {
        let path = directory.join(file);
        let wrote = module.write_if_changed(&path)?;
        println!("{} {}", if wrote { "wrote    " } else { "unchanged" }, path.display());
        Ok(())
    })
}
