//! The notes' scalar circuit f = (x + y)·z at x = −2, y = 5, z = −4, with each forward value
//! and gradient: the add gate relays its upstream gradient, the multiply gate swaps its inputs.
//!
//! Run: `cargo run --release --example circuit`

use nalgebra::Matrix1;
use shapegrad::Graph;

fn main() {
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
}
