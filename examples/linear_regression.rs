//! Linear regression by gradient descent: fit y = X·w + b to noise-free synthetic data and
//! recover w and b to 1e-6.
//!
//! ```text
//! cargo run --release --example linear_regression
//! ```
//!
//! The model is one `Dense<f64, 3, 1>` layer (weight w: 3×1, bias b: 1×1), the loss the mean
//! squared error; the graph is built once and replayed for every step of momentum SGD.

use nalgebra::{Matrix1, SMatrix, Vector3};
use shapegrad::Graph;
use shapegrad::nn::{Dense, Init};
use shapegrad::optim::{Momentum, Optimizer};

/// Samples and features.
pub const N: usize = 200;
pub const D: usize = 3;
pub const STEPS: usize = 500;

/// What the fit found, next to the truth.
pub struct Fit {
    pub w: Vector3<f64>,
    pub b: f64,
    pub true_w: Vector3<f64>,
    pub true_b: f64,
    pub loss: f64,
}

impl Fit {
    /// The largest error over the entries of w and b.
    pub fn max_error(&self) -> f64 {
        (self.w - self.true_w)
            .amax()
            .max((self.b - self.true_b).abs())
    }
}

/// Generates the data (standard normal features, seeded) and fits it.
pub fn fit() -> Fit {
    let true_w = Vector3::new(2.0, -3.5, 0.5);
    let true_b = 1.25;
    // Standard normal features, drawn from seed 7.
    let features: SMatrix<f64, N, D> = Init::Gaussian { std: 1.0 }.sample(7);
    let targets = features * true_w + SMatrix::<f64, N, 1>::repeat(true_b);

    let g = Graph::<f64>::new();
    let x = g.constant_named("X", features);
    let y = g.constant_named("y", targets);
    let linear = Dense::<f64, D, 1>::new(&g, "linear", 1);
    let loss = linear.forward(x).mse(y);

    let mut optimizer = Optimizer::new(Momentum {
        lr: 0.1,
        momentum: 0.5,
    });
    for _ in 0..STEPS {
        let grads = loss.backward();
        optimizer.step(&linear, &grads);
    }
    let b: Matrix1<f64> = linear.bias.value();
    Fit {
        w: linear.weight.value(),
        b: b[0],
        true_w,
        true_b,
        loss: loss.value()[0],
    }
}

fn main() {
    let fit = fit();
    println!("y = X·w + b, {N} samples, {D} features, {STEPS} steps of SGD with momentum");
    println!(
        "true      w = {:?}, b = {}",
        fit.true_w.as_slice(),
        fit.true_b
    );
    println!("recovered w = {:?}, b = {}", fit.w.as_slice(), fit.b);
    println!(
        "final mse {:.3e}, largest error {:.3e}",
        fit.loss,
        fit.max_error()
    );
    assert!(
        fit.max_error() <= 1e-6,
        "w and b should be recovered to 1e-6"
    );
}
