// mean of a 3×0 matrix: 0 entries have no mean (const assertion, cargo build)
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let x = g.var(SMatrix::<f64, 3, 0>::zeros());
    let _m = x.mean();
}
