// The correct version of op_backward_transpose_forgotten: it builds, runs and checks out.
// (Its presence also makes trybuild build the suite, not just check it, so errors raised at
// monomorphization, such as const assertions, are caught too.)
use nalgebra::SMatrix;
use shapegrad::{Graph, Op};

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
        (d_out * x.transpose(), w.transpose() * d_out)
    }
}

fn main() {
    let g = Graph::<f64>::new();
    let w = g.var(SMatrix::<f64, 5, 10>::from_fn(|r, c| (r as f64 - c as f64) / 10.0));
    let x = g.var(SMatrix::<f64, 10, 3>::from_fn(|r, c| (r * c) as f64 / 30.0));
    let loss = g.apply(Product, (w, x)).component_mul(g.apply(Product, (w, x))).sum();
    let report = shapegrad::check::gradcheck(loss, &Default::default());
    assert!(report.passed(), "{report}");
}
