// f: R⁴ → R³ has a 3×4 Jacobian (one column per input); 3×3 would need 3 inputs, x has 4
use nalgebra::{SMatrix, Vector4};
use shapegrad::{Graph, jacobian::jacobian};

fn main() {
    let g = Graph::<f64>::new();
    let x = g.var(Vector4::new(1.0, 2.0, 3.0, 4.0));
    let w = g.constant(SMatrix::<f64, 3, 4>::repeat(1.0));
    let y = w * x; // y: 3×1
    let _jac: SMatrix<f64, 3, 3> = jacobian(y, x);
}
