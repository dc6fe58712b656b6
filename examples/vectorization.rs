//! The notes' vectorised backprop example, with the dimensional analysis done by the compiler.
//!
//! W (5×10), x (10×3), D = W·x (5×3), an upstream gradient dD (5×3) drawn at random. The graph
//! computes dW and dx; the notes derive them by hand: dW = dD·xᵀ (5×10), dx = Wᵀ·dD (10×3).
//! The hand-written products use `shapegrad::product`, whose signatures are the shape rules:
//! writing `mul(&d_d, &x)` instead of `mul_tr(&d_d, &x)` (dD·x for dD·xᵀ) is one compile
//! error, "expected `3`, found `10`".
//!
//! Run: `cargo run --release --example vectorization`

use nalgebra::SMatrix;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shapegrad::Graph;
use shapegrad::product::{mul_tr, tr_mul};

fn randn<const R: usize, const C: usize>(rng: &mut StdRng) -> SMatrix<f64, R, C> {
    // Box–Muller: two uniforms to one standard normal.
    SMatrix::from_fn(|_, _| {
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        let v: f64 = rng.random_range(0.0..1.0);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    })
}

fn main() {
    let mut rng = StdRng::seed_from_u64(231);
    let g = Graph::<f64>::new();
    let w = g.var_named("W", randn::<5, 10>(&mut rng)); // W: 5×10
    let x = g.var_named("x", randn::<10, 3>(&mut rng)); // x: 10×3
    let d = w * x; // D: 5×3

    let d_d: SMatrix<f64, 5, 3> = randn(&mut rng); // dD = randn(*D.shape)
    let grads = d.backward_with(d_d);
    let graph_d_w: &SMatrix<f64, 5, 10> = grads.wrt(w);
    let graph_d_x: &SMatrix<f64, 10, 3> = grads.wrt(x);

    // The notes' hand-written backward pass.
    let hand_d_w: SMatrix<f64, 5, 10> = mul_tr(&d_d, &x.value()); // dD·xᵀ
    let hand_d_x: SMatrix<f64, 10, 3> = tr_mul(&w.value(), &d_d); // Wᵀ·dD

    println!("dW from the graph (5×10):{graph_d_w:.4}");
    println!("dW = dD·xᵀ by hand (5×10):{hand_d_w:.4}");
    println!("dx from the graph (10×3):{graph_d_x:.4}");
    println!("dx = Wᵀ·dD by hand (10×3):{hand_d_x:.4}");

    let diff_w = (graph_d_w - hand_d_w).amax();
    let diff_x = (graph_d_x - hand_d_x).amax();
    println!("max |dW(graph) − dW(hand)| = {diff_w:e}");
    println!("max |dx(graph) − dx(hand)| = {diff_x:e}");
    assert!(
        diff_w <= 1e-12 && diff_x <= 1e-12,
        "the graph's gradients differ from the hand-written ones"
    );
    println!("graph and hand-written gradients agree to 1e-12");
}
