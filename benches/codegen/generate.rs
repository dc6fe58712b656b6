//! `cargo run -p shapegrad-benches --example codegen_generate`: writes the modules the codegen benchmark runs
//! (`benches/codegen/generated/`), generated from the workloads' graphs — shapegrad's second
//! code-generation workflow: a generator program whose output is checked into the repository,
//! with a test (`benches/codegen/checked_in.rs`) that fails when a file is stale.
//!
//! `cargo run -p shapegrad-benches --example codegen_generate -- --mpc STEPS PATH` writes instead W6's MPC cost
//! with `STEPS` (at most 100) of its steps, about 11 nodes each, as the module `mpc` with one
//! input `u` (2×100, the columns after `STEPS` unused): the modules whose compile time
//! `benches/codegen/compile_time/measure.sh` measures.

#[path = "../../examples/robot_arm/arm.rs"]
mod arm;
#[allow(dead_code)] // the benchmarks' helpers: this program uses the graphs only
#[path = "../workloads/common.rs"]
mod common;
#[path = "../support/medians.rs"]
#[allow(dead_code)]
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

use nalgebra::{Matrix1, SMatrix};
use shapegrad::Graph;
use shapegrad::codegen::{Error, Module};

/// The most steps `--mpc` takes: the width of its input.
const MAX_STEPS: usize = 100;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, steps, path] = args.as_slice()
        && flag == "--mpc"
    {
        let steps: usize = steps.parse().expect("--mpc STEPS PATH: STEPS is a number");
        assert!(
            (1..=MAX_STEPS).contains(&steps),
            "--mpc: 1 to {MAX_STEPS} steps"
        );
        return mpc(steps, Path::new(path));
    }
    assert!(
        args.is_empty(),
        "usage: codegen_generate [--mpc STEPS PATH]"
    );
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(modules::DIRECTORY);
    modules::each(|file, module| {
        let path = directory.join(file);
        let wrote = module.write_if_changed(&path)?;
        println!(
            "{} {}",
            if wrote { "wrote    " } else { "unchanged" },
            path.display()
        );
        Ok(())
    })
}

/// W6's rollout and cost (benches/workloads/w6.rs) over the first `steps` columns of one
/// 2×100 input.
fn mpc(steps: usize, path: &Path) -> Result<(), Error> {
    let g = Graph::<f64>::new();
    let sys = w6::system::<f64>();
    let (a, b) = (g.constant(sys.a), g.constant(sys.b));
    let (q, r) = (g.constant(sys.q), g.constant(sys.r));
    let u = g.var_named("u", SMatrix::<f64, 2, MAX_STEPS>::zeros());
    let mut x = g.constant(sys.x0);
    let mut cost = g.constant(Matrix1::zeros());
    for k in 0..steps {
        let u_k = u.column(k);
        x = a * x + b * u_k;
        cost = cost + x.dot(q * x) + u_k.dot(r * u_k);
    }
    let module = Module::new("mpc").input(u).output_named("cost", cost);
    module.write_if_changed(path)?;
    println!("{} nodes: {}", g.len(), path.display());
    Ok(())
}
