// (2×3) on (4×5): vstack needs equal column counts, 3 ≠ 5
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 2, 3>::zeros());
    let b = g.var(SMatrix::<f64, 4, 5>::zeros());
    let _c = a.vstack(b);
}
