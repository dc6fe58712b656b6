// (100×2) on (50×2): 150 rows, past the 127 up to which shapegrad computes A + B
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 100, 2>::zeros());
    let b = g.var(SMatrix::<f64, 50, 2>::zeros());
    let _c = a.vstack(b);
}
