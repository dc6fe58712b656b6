// grads.wrt(w) has w's shape (2×3); reading it as 3×2 is rejected
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let w = g.var(SMatrix::<f64, 2, 3>::zeros());
    let grads = w.sum().backward();
    let _d_w: &SMatrix<f64, 3, 2> = grads.wrt(w);
}
