// the flat Jacobian of a 3×3 value of a 2×3 input is 9×6: M = RO·CO = 9, not 8 (const assertion, cargo build)
use nalgebra::{Matrix2x3, Matrix3, SMatrix};
use shapegrad::second_order::forward_jacobian_flat;

fn main() {
    let (_, _j): (Matrix3<f64>, SMatrix<f64, 8, 6>) =
        forward_jacobian_flat(|x| x.transpose() * x, Matrix2x3::zeros());
}
