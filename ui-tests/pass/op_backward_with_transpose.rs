// The correct version of op_backward_transpose_forgotten: it builds, runs and checks out.
// (Its presence also makes trybuild build the suite, not just check it, so errors raised at
// monomorphization, such as const assertions, are caught too.)
use nalgebra::SMatrix;
use shapegrad::product::{mul, mul_tr, tr_mul};
use shapegrad::{Graph, Op, Real};

struct Linear;

type Inputs<T, const R: usize, const K: usize, const C: usize> = (SMatrix<T, R, K>, SMatrix<T, K, C>);

impl<T: Real, const R: usize, const K: usize, const C: usize> Op<T, Inputs<T, R, K, C>> for Linear {
    type Output = SMatrix<T, R, C>;

    fn forward(&self, (w, x): (&SMatrix<T, R, K>, &SMatrix<T, K, C>)) -> SMatrix<T, R, C> {
        mul(w, x)
    }

    fn backward(
        &self,
        (w, x): (&SMatrix<T, R, K>, &SMatrix<T, K, C>),
        _y: &SMatrix<T, R, C>,
        d_out: &SMatrix<T, R, C>,
    ) -> Inputs<T, R, K, C> {
        (mul_tr(d_out, x), tr_mul(w, d_out))
    }
}

fn main() {
    let g = Graph::<f64>::new();
    let w = g.var(SMatrix::<f64, 5, 10>::from_fn(|r, c| (r as f64 - c as f64) / 10.0));
    let x = g.var(SMatrix::<f64, 10, 3>::from_fn(|r, c| (r * c) as f64 / 30.0));
    let loss = g.apply(Linear, (w, x)).component_mul(g.apply(Linear, (w, x))).sum();
    let report = shapegrad::check::gradcheck(loss, &Default::default());
    assert!(report.passed(), "{report}");
}
