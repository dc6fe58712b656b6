// A user-defined op's backward: dW = dOut·xᵀ, and forgetting the transpose (dOut·x) is rejected.
use nalgebra::SMatrix;
use shapegrad::Op;

struct Product;

impl Op<f64, (SMatrix<f64, 5, 10>, SMatrix<f64, 10, 3>)> for Product {
    type Output = SMatrix<f64, 5, 3>;

    fn forward(&self, (w, x): (&SMatrix<f64, 5, 10>, &SMatrix<f64, 10, 3>)) -> SMatrix<f64, 5, 3> {
        w * x
    }

    fn backward(
        &self,
        (w, x): (&SMatrix<f64, 5, 10>, &SMatrix<f64, 10, 3>),
        _out: &SMatrix<f64, 5, 3>,
        d_out: &SMatrix<f64, 5, 3>,
    ) -> (SMatrix<f64, 5, 10>, SMatrix<f64, 10, 3>) {
        let d_w = d_out * x; // (5×3)·(10×3): should be d_out * x.transpose()
        (d_w, w.transpose() * d_out)
    }
}

fn main() {}
