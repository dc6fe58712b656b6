//! One gradient step of a small two-layer net, y = tanh(x·W₁)·W₂, loss = Σ y², written with
//! shapegrad's `Graph` and a few ops (features `shapegrad` or `shapegrad-default`) or by hand
//! with nalgebra (no feature): the program whose clean build `measure.sh` times.

use nalgebra::SMatrix;

type X = SMatrix<f64, 4, 3>;
type W1 = SMatrix<f64, 3, 8>;
type W2 = SMatrix<f64, 8, 2>;

fn inputs() -> (X, W1, W2) {
    let x = X::from_fn(|r, c| (r as f64 - 1.5) * 0.3 + c as f64 * 0.1);
    let w1 = W1::from_fn(|r, c| ((r * 8 + c) % 7) as f64 * 0.05 - 0.15);
    let w2 = W2::from_fn(|r, c| ((r + 3 * c) % 5) as f64 * 0.1 - 0.2);
    (x, w1, w2)
}

/// The loss and its gradients with respect to W₁ and W₂.
#[cfg(feature = "shapegrad")]
fn step(x: X, w1: W1, w2: W2) -> (f64, W1, W2) {
    let g = shapegrad::Graph::<f64>::new();
    let (x, w1, w2) = (g.constant(x), g.var(w1), g.var(w2));
    let y = (x * w1).tanh() * w2;
    let loss = y.component_mul(y).sum();
    let grads = loss.backward();
    (loss.value()[(0, 0)], *grads.wrt(w1), *grads.wrt(w2))
}

/// The loss and its gradients with respect to W₁ and W₂.
#[cfg(not(feature = "shapegrad"))]
fn step(x: X, w1: W1, w2: W2) -> (f64, W1, W2) {
    let h = (x * w1).map(f64::tanh);
    let y = h * w2;
    let d_y = y * 2.0;
    let d_w2 = h.transpose() * d_y;
    let d_h = (d_y * w2.transpose()).component_mul(&h.map(|t| 1.0 - t * t));
    let d_w1 = x.transpose() * d_h;
    (y.norm_squared(), d_w1, d_w2)
}

fn main() {
    let (x, w1, w2) = inputs();
    let (loss, d_w1, d_w2) = step(x, w1, w2);
    println!(
        "loss {loss:.6}, |dW1| {:.6}, |dW2| {:.6}",
        d_w1.norm(),
        d_w2.norm()
    );
}
