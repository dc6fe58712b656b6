// A backward must return gradients of exactly the inputs' shapes: 2×3 in, so not 3×2.
use nalgebra::SMatrix;
use shapegrad::Op;

struct Double;

impl Op<f64, (SMatrix<f64, 2, 3>,)> for Double {
    type Output = SMatrix<f64, 2, 3>;

    fn forward(&self, (x,): (&SMatrix<f64, 2, 3>,)) -> SMatrix<f64, 2, 3> {
        x * 2.0
    }

    fn backward(
        &self,
        _inputs: (&SMatrix<f64, 2, 3>,),
        _out: &SMatrix<f64, 2, 3>,
        d_out: &SMatrix<f64, 2, 3>,
    ) -> (SMatrix<f64, 2, 3>,) {
        (d_out.transpose() * 2.0,)
    }
}

fn main() {}
