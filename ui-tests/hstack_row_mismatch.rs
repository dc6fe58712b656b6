// (2×3) beside (4×5): hstack needs equal row counts, 2 ≠ 4
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 2, 3>::zeros());
    let b = g.var(SMatrix::<f64, 4, 5>::zeros());
    let _c = a.hstack(b);
}
