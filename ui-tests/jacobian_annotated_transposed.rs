// tip: R⁴ → R² has a 2×4 Jacobian; annotated 4×2 it is rejected at the annotation, not the arguments
use nalgebra::{SMatrix, Vector4};
use shapegrad::{Graph, jacobian::jacobian};

fn main() {
    let g = Graph::<f64>::new();
    let q = g.var(Vector4::new(0.1, 0.2, 0.3, 0.4));
    let tip = g.constant(SMatrix::<f64, 2, 4>::repeat(1.0)) * q.sin(); // 2×1
    let _j: SMatrix<f64, 4, 2> = jacobian(tip, q);
}
