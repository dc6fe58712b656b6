// (2×3) + (3×2): element-wise ops need equal shapes
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 2, 3>::zeros());
    let b = g.var(SMatrix::<f64, 3, 2>::zeros());
    let _c = a + b;
}
