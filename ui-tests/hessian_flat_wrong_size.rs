// the flat Hessian of a 2×3 input is 6×6: N = R·C = 6, not 5 (const assertion, cargo build)
use nalgebra::{Matrix2x3, SMatrix};
use shapegrad::second_order::hessian_flat;

fn main() {
    let (_, _, _h): (f64, Matrix2x3<f64>, SMatrix<f64, 5, 5>) =
        hessian_flat(|w| w.norm_squared(), Matrix2x3::zeros());
}
