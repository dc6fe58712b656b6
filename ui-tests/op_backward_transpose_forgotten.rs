// In an op's backward, dW = dOut·xᵀ: mul(d_out, x) is (R×C)·(K×C), inner dimensions C ≠ K
use nalgebra::SMatrix;
use shapegrad::product::{mul, tr_mul};
use shapegrad::{Op, Real};

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
        let d_w = mul(d_out, x); // should be mul_tr(d_out, x): dOut·xᵀ
        (d_w, tr_mul(w, d_out))
    }
}

fn main() {}
