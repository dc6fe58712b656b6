// backward() needs a 1×1 loss; a 2×3 output needs backward_with(seed)
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let w = g.var(SMatrix::<f64, 2, 3>::zeros());
    let y = w.relu();
    let _grads = y.backward();
}
