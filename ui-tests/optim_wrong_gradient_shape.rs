// An optimizer steps a 2×3 parameter only with a 2×3 gradient: a 3×2 one does not compile
use nalgebra::SMatrix;
use shapegrad::Graph;
use shapegrad::optim::{Optimizer, Sgd};

fn main() {
    let g = Graph::<f64>::new();
    let w = g.var(SMatrix::<f64, 2, 3>::zeros());
    let transposed = SMatrix::<f64, 3, 2>::zeros();
    let mut optimizer = Optimizer::new(Sgd { lr: 0.1 });
    optimizer.step_param(w, &transposed);
}
