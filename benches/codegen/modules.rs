//! The modules `cargo bench -p shapegrad-benches --bench codegen` runs, generated from the workloads' own graphs
//! (`benches/workloads/`) and checked in under `benches/codegen/generated/`: written by
//! `cargo run -p shapegrad-benches --example codegen_generate`, and `benches/codegen/checked_in.rs` fails when one of
//! them is no longer what its graph generates. Included by path in those three crates, after
//! the workloads' modules.

use nalgebra::{Matrix1, SMatrix};
use shapegrad::Graph;
use shapegrad::codegen::{Error, Module};

/// Where the generated files are, relative to the crate's root.
pub const DIRECTORY: &str = "benches/codegen/generated";

/// Calls `visit` with each module's file name and the module, on its graph.
pub fn each(
    mut visit: impl FnMut(&str, &Module<'_, f64>) -> Result<(), Error>,
) -> Result<(), Error> {
    // W1: D = W (5×10)·x (10×3), loss = sum(D ∘ G), G a parameter without a gradient (as in
    // benches/workloads/w1.rs).
    let g = Graph::<f64>::new();
    let w = g.var_named("w", SMatrix::<f64, 5, 10>::zeros());
    let x = g.var_named("x", SMatrix::<f64, 10, 3>::zeros());
    let weights = g.constant_named("g", SMatrix::<f64, 5, 3>::zeros());
    let loss = (w * x).component_mul(weights).sum();
    let module = Module::new("w1_generated").input(w).input(x).input(weights);
    visit("w1.rs", &module.output_named("loss", loss))?;

    // W4: (x + y)·z on 1×1 matrices (benches/workloads/w4.rs).
    let g = Graph::<f64>::new();
    let (x, y, z) = (
        g.var_named("x", Matrix1::zeros()),
        g.var_named("y", Matrix1::zeros()),
        g.var_named("z", Matrix1::zeros()),
    );
    let f = (x + y).component_mul(z);
    let module = Module::new("w4_generated").input(x).input(y).input(z);
    visit("w4.rs", &module.output_named("f", f))?;

    // W5: the arm's tip (benches/workloads/w5.rs).
    let g = Graph::<f64>::new();
    let (q, tip) = crate::w5::arm(&g);
    let module = Module::new("w5_generated").input_named("q", q);
    visit("w5.rs", &module.output_named("tip", tip))?;

    // W6: the 20-step MPC cost and its 20 commands (benches/workloads/w6.rs).
    let g = Graph::<f64>::new();
    let (u, cost) = crate::w6::rollout(&g, &crate::w6::system());
    let mut module = Module::new("w6_generated");
    for (k, u_k) in u.iter().enumerate() {
        module = module.input_named(&format!("u{k}"), *u_k);
    }
    visit("w6.rs", &module.output_named("cost", cost))?;

    // W2: the spiral classifier on its data set, the parameters its inputs
    // (benches/workloads/w2.rs).
    let g = Graph::<f64>::new();
    let net = crate::w2::build(&g, &crate::w2::spiral());
    let module = Module::new("w2_generated")
        .input_named("w1", net.w1)
        .input_named("b1", net.b1)
        .input_named("w2", net.w2)
        .input_named("b2", net.b2);
    visit("w2.rs", &module.output_named("loss", net.loss))?;

    // W3: 8 dense tanh layers on a fixed batch (benches/workloads/w3.rs).
    let g = Graph::<f64>::new();
    let net = crate::w3::build(&g, &crate::w3::data(), false);
    let mut module = Module::new("w3_generated");
    for (k, (w, b)) in net.w.iter().zip(&net.b).enumerate() {
        module = module
            .input_named(&format!("w{k}"), *w)
            .input_named(&format!("b{k}"), *b);
    }
    visit("w3.rs", &module.output_named("loss", net.loss))?;
    Ok(())
}
