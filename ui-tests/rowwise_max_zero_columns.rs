// (2×0).rowwise_max(): a row with no entries has no maximum (const assertion, cargo build)
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let x = g.var(SMatrix::<f64, 2, 0>::zeros());
    let _m = x.rowwise_max();
}
