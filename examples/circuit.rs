//! The notes' scalar circuit f = (x + y)·z at x = −2, y = 5, z = −4, with each forward value
//! and gradient: the add gate relays its upstream gradient, the multiply gate swaps its inputs.
//! Then a two-input sigmoid neuron, σ(w0·x0 + w1·x1 + w2). Both circuits are written to
//! `circuit.dot`, a Graphviz drawing with every value and gradient.
//!
//! Run: `cargo run --release --example circuit`, then `dot -Tsvg circuit.dot -o circuit.svg`.

use nalgebra::Matrix1;
use shapegrad::Graph;
use shapegrad::viz::{DotOptions, to_dot_many};

fn main() -> std::io::Result<()> {
    let g = Graph::<f64>::new();
    let x = g.var_named("x", Matrix1::new(-2.0));
    let y = g.var_named("y", Matrix1::new(5.0));
    let z = g.var_named("z", Matrix1::new(-4.0));
    let q = x + y; // add gate
    let f = q.component_mul(z); // multiply gate

    println!(
        "forward:  x = {}, y = {}, z = {}",
        x.value()[0],
        y.value()[0],
        z.value()[0]
    );
    println!("          q = x + y = {}", q.value()[0]);
    println!("          f = q·z   = {}", f.value()[0]);

    let grads = f.backward();
    println!("backward: ∂f/∂f = 1");
    println!("          ∂f/∂q = z = {}", grads.wrt(q)[0]);
    println!("          ∂f/∂z = q = {}", grads.wrt(z)[0]);
    println!("          ∂f/∂x = ∂f/∂q · 1 = {}", grads.wrt(x)[0]);
    println!("          ∂f/∂y = ∂f/∂q · 1 = {}", grads.wrt(y)[0]);
    drop(grads);

    // The notes' neuron: w = (2, −3, −3), x = (−1, −2); w0·x0 + w1·x1 + w2 = 1, σ(1) ≈ 0.7311.
    let n = Graph::<f64>::new();
    let w0 = n.var_named("w0", Matrix1::new(2.0));
    let x0 = n.var_named("x0", Matrix1::new(-1.0));
    let w1 = n.var_named("w1", Matrix1::new(-3.0));
    let x1 = n.var_named("x1", Matrix1::new(-2.0));
    let w2 = n.var_named("w2", Matrix1::new(-3.0));
    let dot = w0.component_mul(x0) + w1.component_mul(x1) + w2;
    let out = dot.sigmoid();
    let grads = out.backward();
    println!();
    println!(
        "neuron:   σ(w0·x0 + w1·x1 + w2) = σ({}) = {:.4}",
        dot.value()[0],
        out.value()[0]
    );
    println!(
        "backward: ∂/∂w = ({:.4}, {:.4}, {:.4}), ∂/∂x = ({:.4}, {:.4})",
        grads.wrt(w0)[0],
        grads.wrt(w1)[0],
        grads.wrt(w2)[0],
        grads.wrt(x0)[0],
        grads.wrt(x1)[0]
    );
    drop(grads);

    let drawing = to_dot_many(&[
        (&g, &DotOptions::new().title("f = (x + y)·z")),
        (
            &n,
            &DotOptions::new().title("sigmoid neuron σ(w0·x0 + w1·x1 + w2)"),
        ),
    ]);
    std::fs::write("circuit.dot", drawing)?;
    println!();
    println!("wrote circuit.dot; render it with: dot -Tsvg circuit.dot -o circuit.svg");
    Ok(())
}
