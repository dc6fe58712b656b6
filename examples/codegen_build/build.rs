//! Builds graphs and writes the code generated from them to `$OUT_DIR`: the arm and the MPC
//! cost that the crate includes (`src/lib.rs`), and, for the tests, one module per built-in
//! op and one per random composition, each with a function that calls it on shape-erased
//! inputs.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use shapegrad::Graph;

#[path = "../../tests/integration/compositions/builder.rs"]
mod builder;
#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "src/compositions.rs"]
mod compositions;
#[path = "src/graphs.rs"]
mod graphs;
#[path = "src/op_cases.rs"]
mod op_cases;
#[path = "../../tests/integration/compositions/steps.rs"]
mod steps;
#[path = "src/support.rs"]
mod support;

fn main() {
    for file in [
        "build.rs",
        "src/compositions.rs",
        "src/graphs.rs",
        "src/op_cases.rs",
        "src/support.rs",
        "../robot_arm/arm.rs",
        "../../tests/integration/compositions/builder.rs",
        "../../tests/integration/compositions/steps.rs",
        "../../tests/common/mod.rs",
    ] {
        println!("cargo::rerun-if-changed={file}");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

    // The crate's own modules: the arm and the MPC cost.
    let g = Graph::<f64>::new();
    let (q, p) = graphs::arm(&g);
    write(graphs::arm_module(q, p), &out.join("arm.rs"));
    let g = Graph::<f64>::new();
    let (x0, u, cost) = graphs::mpc(&g);
    write(graphs::mpc_module(x0, u, cost), &out.join("mpc.rs"));

    // One module per op case, and the functions that call them.
    let mut drivers = String::new();
    let mut names = Vec::new();
    for k in 0..op_cases::COUNT {
        let g = Graph::<f64>::new();
        let case = op_cases::build(&g, k);
        let file = format!("op_{}.rs", case.name);
        write(case.module, &out.join(&file));
        let shapes: Vec<_> = case.inputs.iter().map(|i| i.shape).collect();
        include(&mut drivers, &file);
        drivers.push_str(&support::driver(case.name, &shapes, case.output.shape));
        names.push(case.name);
    }
    table(&mut drivers, "OPS", &names);
    std::fs::write(out.join("ops.rs"), drivers).expect("OUT_DIR is writable");

    // One module per composition.
    let mut drivers = String::new();
    let mut names = Vec::new();
    for (k, composition) in compositions::all().iter().enumerate() {
        let g = Graph::<f64>::new();
        let built = compositions::build(&g, composition);
        let name = format!("composition{k}");
        let file = format!("{name}.rs");
        write(compositions::module(&built, k), &out.join(&file));
        let shapes: Vec<_> = built.vars.iter().map(|v| v.shape).collect();
        include(&mut drivers, &file);
        drivers.push_str(&support::driver(&name, &shapes, (1, 1)));
        names.push(name);
    }
    table(&mut drivers, "COMPOSITIONS", &names);
    std::fs::write(out.join("compositions.rs"), drivers).expect("OUT_DIR is writable");
}

fn write(module: shapegrad::codegen::Module<'_, f64>, path: &Path) {
    if let Err(e) = module.write_if_changed(path) {
        panic!("{e}");
    }
}

fn include(drivers: &mut String, file: &str) {
    let _ = writeln!(
        drivers,
        "include!(concat!(env!(\"OUT_DIR\"), \"/{file}\"));"
    );
}

/// `pub const OPS: [(&str, Driver, Driver); N]`: each module's driver in f64 and in f32.
fn table(drivers: &mut String, name: &str, modules: &[impl AsRef<str>]) {
    let _ = writeln!(
        drivers,
        "pub const {name}: [(&str, crate::support::Driver, crate::support::Driver); {}] = [",
        modules.len()
    );
    for module in modules {
        let module = module.as_ref();
        let _ = writeln!(
            drivers,
            "    (\"{module}\", {module}_vjp::<f64>, {module}_vjp::<f32>),"
        );
    }
    drivers.push_str("];\n");
}
