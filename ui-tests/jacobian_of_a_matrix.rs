// jacobian(y, x) takes column vectors: a 2×3 output needs matrix_jacobian
use nalgebra::SMatrix;
use shapegrad::{Graph, jacobian::jacobian};

fn main() {
    let g = Graph::<f64>::new();
    let x = g.var(SMatrix::<f64, 3, 1>::zeros());
    let y = g.constant(SMatrix::<f64, 2, 1>::zeros()) * x.transpose(); // 2×3
    let _j = jacobian(y, x);
}
