// flattening the Jacobian of a 2×3 → 3×2 function needs (3·2)×(2·3), not 6×5
use nalgebra::{Matrix2x3, SMatrix};
use shapegrad::{Graph, jacobian::matrix_jacobian};

fn main() {
    let g = Graph::<f64>::new();
    let x = g.var(Matrix2x3::<f64>::zeros());
    let jac = matrix_jacobian(x.transpose(), x);
    let _flat: SMatrix<f64, 6, 5> = jac.flatten();
}
