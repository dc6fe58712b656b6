// (2×3)·(2×4): inner dimensions 3 ≠ 2
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 2, 3>::zeros());
    let b = g.var(SMatrix::<f64, 2, 4>::zeros());
    let _c = a * b;
}
