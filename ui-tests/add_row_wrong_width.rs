// (2×3).add_row(1×4): the bias row must be as wide as the matrix, 4 ≠ 3
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let x = g.var(SMatrix::<f64, 2, 3>::zeros());
    let bias = g.var(SMatrix::<f64, 1, 4>::zeros());
    let _y = x.add_row(bias);
}
