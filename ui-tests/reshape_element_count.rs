// (2×3) has 6 entries, (4×2) has 8: reshape must keep the element count
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 2, 3>::zeros());
    let _b = a.reshape::<4, 2>();
}
