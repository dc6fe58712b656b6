//! Typed matrix products for backward code: A·B, Aᵀ·B and A·Bᵀ on plain `SMatrix` values, each
//! one generic function whose shape rule is its signature.
//!
//! In an op's [`backward`](crate::Op::backward), the gradients are products of `d_out` with the
//! inputs, one of them transposed: for `y = w·x`, `d_w = d_out·xᵀ` and `d_x = wᵀ·d_out`. With
//! nalgebra's `*` a forgotten transpose is caught too, but inside nalgebra's `Mul` impl: in code
//! generic over the sizes, rustc first prints some twenty lines about
//! `ShapeConstraint: DimEq<Const<C>, Const<K>>` and the impls it tried. These functions state
//! the rule with one set of letters, so the same mistake is one "mismatched types" error,
//! `expected `K`, found `C``, at the argument that breaks it:
//!
//! | function | computes | shapes |
//! |---|---|---|
//! | [`mul(a, b)`](mul) | A·B | (R×K)·(K×C) → R×C |
//! | [`tr_mul(a, b)`](tr_mul) | Aᵀ·B | (K×R)ᵀ·(K×C) → R×C |
//! | [`mul_tr(a, b)`](mul_tr) | A·Bᵀ | (R×K)·(C×K)ᵀ → R×C |
//!
//! The transposes are not materialised, and large products take the same blocked GEMM as the
//! graph's own [`MatMul`](crate::ops::MatMul) (every side ≥ 16 in `f64`).
//!
//! ```
//! use nalgebra::SMatrix;
//! use shapegrad::product::{mul, mul_tr, tr_mul};
//!
//! let w = SMatrix::<f64, 5, 10>::repeat(0.5); // W: 5×10
//! let x = SMatrix::<f64, 10, 3>::repeat(2.0); // x: 10×3
//! let d: SMatrix<f64, 5, 3> = mul(&w, &x); // D = W·x
//! let d_d = SMatrix::<f64, 5, 3>::repeat(1.0);
//! let d_w: SMatrix<f64, 5, 10> = mul_tr(&d_d, &x); // dW = dD·xᵀ (5×3)·(3×10)
//! let d_x: SMatrix<f64, 10, 3> = tr_mul(&w, &d_d); // dx = Wᵀ·dD (10×5)·(5×3)
//! assert_eq!((d[0], d_w[0], d_x[0]), (10.0, 6.0, 2.5));
//! // let wrong = mul(&d_d, &x); // does not compile: (5×3)·(10×3), expected `3`, found `10`
//! ```

use nalgebra::SMatrix;

use crate::kernels::Real;
use crate::kernels::gemm::{mul_nn, mul_nt, mul_tn};

/// A·B.
///
/// ```text
/// Shape: (R×K)·(K×C) → (R×C)
/// ```
///
/// ```
/// use nalgebra::{Matrix1x2, Matrix2};
/// let a = Matrix1x2::new(1.0, 2.0);
/// let b = Matrix2::new(1.0, 0.0, 0.0, 3.0);
/// assert_eq!(shapegrad::product::mul(&a, &b), Matrix1x2::new(1.0, 6.0));
/// ```
pub fn mul<T: Real, const R: usize, const K: usize, const C: usize>(
    a: &SMatrix<T, R, K>,
    b: &SMatrix<T, K, C>,
) -> SMatrix<T, R, C> {
    let mut out = SMatrix::zeros();
    mul_nn(&mut out, a, b, false);
    out
}

/// Aᵀ·B, without materialising Aᵀ: the gradient of the right factor of a product,
/// `d_x = wᵀ·d_out`.
///
/// ```text
/// Shape: (K×R)ᵀ·(K×C) → (R×C)
/// ```
///
/// ```
/// use nalgebra::{Matrix2x3, Vector2, Vector3};
/// let w = Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// let d_out = Vector2::new(1.0, -1.0);
/// assert_eq!(shapegrad::product::tr_mul(&w, &d_out), Vector3::new(-3.0, -3.0, -3.0));
/// ```
pub fn tr_mul<T: Real, const R: usize, const K: usize, const C: usize>(
    a: &SMatrix<T, K, R>,
    b: &SMatrix<T, K, C>,
) -> SMatrix<T, R, C> {
    let mut out = SMatrix::zeros();
    mul_tn(&mut out, a, b, false);
    out
}

/// A·Bᵀ, without materialising Bᵀ: the gradient of the left factor of a product,
/// `d_w = d_out·xᵀ`.
///
/// ```text
/// Shape: (R×K)·(C×K)ᵀ → (R×C)
/// ```
///
/// ```
/// use nalgebra::{Matrix2x3, RowVector3, Vector2};
/// let d_out = Vector2::new(1.0, 2.0);
/// let x = RowVector3::new(1.0, 0.0, -1.0).transpose(); // 3×1
/// let d_w: Matrix2x3<f64> = shapegrad::product::mul_tr(&d_out, &x);
/// assert_eq!(d_w, Matrix2x3::new(1.0, 0.0, -1.0, 2.0, 0.0, -2.0));
/// ```
pub fn mul_tr<T: Real, const R: usize, const K: usize, const C: usize>(
    a: &SMatrix<T, R, K>,
    b: &SMatrix<T, C, K>,
) -> SMatrix<T, R, C> {
    let mut out = SMatrix::zeros();
    mul_nt(&mut out, a, b, false);
    out
}

#[cfg(test)]
mod tests {
    use nalgebra::SMatrix;

    use super::{mul, mul_tr, tr_mul};
    use crate::diff::testing::{assert_close, random, rng};

    fn agree_with_nalgebra<const R: usize, const K: usize, const C: usize>(seed: u64) {
        let mut rng = rng(seed);
        let a: SMatrix<f64, R, K> = random(&mut rng);
        let b: SMatrix<f64, K, C> = random(&mut rng);
        let (a_t, b_t) = (a.transpose(), b.transpose());
        assert_close("mul", &mul(&a, &b), &(a * b), 1e-14);
        assert_close("tr_mul", &tr_mul(&a_t, &b), &(a * b), 1e-14);
        assert_close("mul_tr", &mul_tr(&a, &b_t), &(a * b), 1e-14);
        let (a32, b32) = (a.cast::<f32>(), b.cast::<f32>());
        let want = (a32 * b32).cast::<f64>();
        assert_close("mul f32", &mul(&a32, &b32).cast(), &want, 1e-5);
        assert_close(
            "tr_mul f32",
            &tr_mul(&a32.transpose(), &b32).cast(),
            &want,
            1e-5,
        );
        assert_close(
            "mul_tr f32",
            &mul_tr(&a32, &b32.transpose()).cast(),
            &want,
            1e-5,
        );
    }

    #[test]
    fn products_agree_with_nalgebra_small_and_blocked() {
        agree_with_nalgebra::<2, 3, 4>(1);
        agree_with_nalgebra::<1, 1, 1>(2);
        agree_with_nalgebra::<5, 1, 3>(3);
        agree_with_nalgebra::<20, 17, 33>(4); // past the GEMM threshold: the blocked path
    }
}
