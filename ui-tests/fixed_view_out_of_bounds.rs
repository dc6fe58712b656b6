// a 2×2 block at (2, 1) of a 3×4 matrix needs rows 2..4, but there are 3 rows
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 3, 4>::zeros());
    let _b = a.fixed_view::<2, 2, 2, 1>();
}
