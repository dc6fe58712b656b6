// (2×3) ⊘ (2×4): component_div needs equal shapes, 3 ≠ 4 columns
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 2, 3>::repeat(1.0));
    let b = g.var(SMatrix::<f64, 2, 4>::repeat(2.0));
    let _c = a.component_div(b);
}
