//! The Jacobian of a matrix → matrix function, a four-index object.

use approx::{AbsDiffEq, RelativeEq, UlpsEq};
use nalgebra::SMatrix;

use crate::contract::shape::{Message, fail};
use crate::kernels::Real;

/// `∂Y[i,j]/∂X[k,l]` for a function from Ri×Ci matrices X to Ro×Co matrices Y.
///
/// It is stored typed, as one Ri×Ci gradient per entry of Y (what one backward pass seeded with
/// that entry gives), so all four dimensions are in the type. [`MatrixJacobian::flatten`]
/// turns it into an ordinary (Ro·Co)×(Ri·Ci) matrix, in nalgebra's column-major order:
///
/// ```text
/// flat[(i + j·Ro, k + l·Ri)] = ∂Y[i,j]/∂X[k,l]
/// ```
///
/// that is, ∂vec(Y)/∂vec(X) where vec stacks the columns, the order of `as_slice()`. With this
/// order the Jacobian of Y = A·X·B is the Kronecker product Bᵀ ⊗ A.
///
/// ```
/// use nalgebra::{Matrix2, SMatrix};
/// use shapegrad::{Graph, jacobian::matrix_jacobian};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
/// let y = x.component_mul(x); // X∘X: ∂Y[i,j]/∂X[k,l] = 2·X[i,j] if (i,j) = (k,l), else 0
/// let jac = matrix_jacobian(y, x);
/// assert_eq!(jac.get(0, 1, 0, 1), 4.0);
/// assert_eq!(jac.get(0, 1, 1, 0), 0.0);
/// let flat: SMatrix<f64, 4, 4> = jac.flatten();
/// assert_eq!(flat.diagonal().as_slice(), &[2.0, 6.0, 4.0, 8.0]); // 2·X, column-major
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatrixJacobian<
    T: Real,
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
> {
    /// Entry (i, j) is ∂Y[i,j]/∂X.
    gradients: SMatrix<SMatrix<T, RI, CI>, RO, CO>,
}

impl<T: Real, const RO: usize, const CO: usize, const RI: usize, const CI: usize>
    MatrixJacobian<T, RO, CO, RI, CI>
{
    /// The zero Jacobian: Y does not depend on X.
    ///
    /// ```
    /// let jac = shapegrad::jacobian::MatrixJacobian::<f64, 2, 3, 3, 1>::zeros();
    /// assert_eq!(jac.get(1, 2, 2, 0), 0.0);
    /// ```
    pub fn zeros() -> Self {
        MatrixJacobian {
            gradients: SMatrix::from_element(SMatrix::zeros()),
        }
    }

    /// `∂Y[i,j]/∂X[k,l]`.
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// use shapegrad::{Graph, jacobian::matrix_jacobian};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// let jac = matrix_jacobian(x.transpose(), x);
    /// assert_eq!(jac.get(0, 1, 1, 0), 1.0); // Yᵀ[0,1] = X[1,0]
    /// ```
    ///
    /// # Panics
    /// If an index is out of range (`i < Ro`, `j < Co`, `k < Ri`, `l < Ci`).
    #[track_caller]
    pub fn get(&self, i: usize, j: usize, k: usize, l: usize) -> T {
        self.gradient(i, j)[Self::input_entry(k, l)]
    }

    /// `∂Y[i,j]/∂X`, the gradient of one output entry, in X's shape.
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// use shapegrad::{Graph, jacobian::matrix_jacobian};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// let jac = matrix_jacobian(x * x, x);
    /// // (X·X)[0,0] = X[0,0]² + X[0,1]·X[1,0]
    /// assert_eq!(*jac.gradient(0, 0), Matrix2::new(2.0, 3.0, 2.0, 0.0));
    /// ```
    ///
    /// # Panics
    /// If `i ≥ Ro` or `j ≥ Co`.
    #[track_caller]
    pub fn gradient(&self, i: usize, j: usize) -> &SMatrix<T, RI, CI> {
        &self.gradients[Self::output_entry(i, j)]
    }

    /// `∂Y[i,j]/∂X`, mutably.
    ///
    /// ```
    /// let mut jac = shapegrad::jacobian::MatrixJacobian::<f64, 1, 2, 2, 1>::zeros();
    /// jac.gradient_mut(0, 1)[1] = 5.0;
    /// assert_eq!(jac.get(0, 1, 1, 0), 5.0);
    /// ```
    ///
    /// # Panics
    /// If `i ≥ Ro` or `j ≥ Co`.
    #[track_caller]
    pub fn gradient_mut(&mut self, i: usize, j: usize) -> &mut SMatrix<T, RI, CI> {
        &mut self.gradients[Self::output_entry(i, j)]
    }

    /// `(i, j)`, checked against the output's Ro×Co at the caller's line.
    #[track_caller]
    fn output_entry(i: usize, j: usize) -> (usize, usize) {
        assert!(
            i < RO && j < CO,
            "shapegrad: the output entry ({i}, {j}) is out of range for a {RO}×{CO} output \
             (a Jacobian of a {RO}×{CO} output by a {RI}×{CI} input)"
        );
        (i, j)
    }

    /// `(k, l)`, checked against the input's Ri×Ci at the caller's line.
    #[track_caller]
    fn input_entry(k: usize, l: usize) -> (usize, usize) {
        assert!(
            k < RI && l < CI,
            "shapegrad: the input entry ({k}, {l}) is out of range for a {RI}×{CI} input \
             (a Jacobian of a {RO}×{CO} output by a {RI}×{CI} input)"
        );
        (k, l)
    }

    /// The flat (Ro·Co)×(Ri·Ci) Jacobian, `flat[(i + j·Ro, k + l·Ri)] = ∂Y[i,j]/∂X[k,l]`.
    ///
    /// Stable Rust cannot compute Ro·Co in a type, so the result's shape `M×N` is declared by
    /// the caller (a type annotation) and checked by const assertions `M == Ro·Co`,
    /// `N == Ri·Ci`: a wrong shape fails `cargo build` (not `cargo check`, which stops before
    /// the assertions are evaluated).
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, SMatrix};
    /// use shapegrad::{Graph, jacobian::matrix_jacobian};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    /// let flat: SMatrix<f64, 6, 6> = matrix_jacobian(x.transpose(), x).flatten();
    /// assert_eq!(flat[(1, 2)], 1.0); // Y[1,0] (row 1) is X[0,1] (column 0 + 1·2)
    /// // let bad: SMatrix<f64, 6, 5> = matrix_jacobian(x.transpose(), x).flatten(); // 5 ≠ 2·3
    /// ```
    pub fn flatten<const M: usize, const N: usize>(&self) -> SMatrix<T, M, N> {
        let () = FlatShape::<RO, CO, RI, CI, M, N>::ASSERT;
        SMatrix::from_fn(|r, c| self.get(r % RO, r / RO, c % RI, c / RI))
    }

    /// The inverse of [`MatrixJacobian::flatten`]: reads a flat (Ro·Co)×(Ri·Ci) Jacobian in
    /// the same column-major order. The shapes are checked by the same const assertions.
    ///
    /// ```
    /// use nalgebra::SMatrix;
    /// use shapegrad::jacobian::MatrixJacobian;
    ///
    /// let flat = SMatrix::<f64, 6, 4>::from_fn(|r, c| (10 * r + c) as f64);
    /// let jac = MatrixJacobian::<f64, 3, 2, 2, 2>::from_flat(&flat);
    /// assert_eq!(jac.get(1, 1, 0, 1), flat[(1 + 1 * 3, 0 + 1 * 2)]);
    /// let back: SMatrix<f64, 6, 4> = jac.flatten();
    /// assert_eq!(back, flat);
    /// ```
    pub fn from_flat<const M: usize, const N: usize>(flat: &SMatrix<T, M, N>) -> Self {
        let () = FlatShape::<RO, CO, RI, CI, M, N>::ASSERT;
        MatrixJacobian {
            gradients: SMatrix::from_fn(|i, j| {
                SMatrix::from_fn(|k, l| flat[(i + j * RO, k + l * RI)])
            }),
        }
    }
}

/// Entry by entry, as approx compares nalgebra's matrices: two Jacobians are equal within
/// `epsilon` when every `∂Y[i,j]/∂X[k,l]` is. With [`RelativeEq`] (`assert_relative_eq!`) and
/// [`UlpsEq`] (`assert_ulps_eq!`) they compare analytic and numerical Jacobians, or forward and
/// reverse mode, without flattening them. (The crate `approx` is re-exported as
/// `shapegrad::approx`, so its version matches.)
///
/// ```
/// use nalgebra::Matrix2;
/// use shapegrad::approx::{assert_abs_diff_eq, assert_relative_eq};
/// use shapegrad::{Graph, jacobian::{matrix_jacobian, numerical_matrix_jacobian}};
///
/// let g = Graph::<f64>::new();
/// let x = g.var(Matrix2::new(1.0, 2.0, 3.0, 4.0));
/// let y = x * x;
/// let exact = matrix_jacobian(y, x);
/// let numeric = numerical_matrix_jacobian(y, x, 1e-5);
/// assert_abs_diff_eq!(exact, numeric, epsilon = 1e-9);
/// assert_relative_eq!(exact, numeric, epsilon = 1e-12, max_relative = 1e-9);
/// ```
impl<T: Real, const RO: usize, const CO: usize, const RI: usize, const CI: usize> AbsDiffEq
    for MatrixJacobian<T, RO, CO, RI, CI>
{
    type Epsilon = T;

    fn default_epsilon() -> T {
        T::default_epsilon()
    }

    fn abs_diff_eq(&self, other: &Self, epsilon: T) -> bool {
        let mut pairs = self.gradients.iter().zip(other.gradients.iter());
        pairs.all(|(a, b)| a.abs_diff_eq(b, epsilon))
    }
}

/// Entry by entry, as the `AbsDiffEq` impl.
impl<T: Real, const RO: usize, const CO: usize, const RI: usize, const CI: usize> RelativeEq
    for MatrixJacobian<T, RO, CO, RI, CI>
{
    fn default_max_relative() -> T {
        T::default_max_relative()
    }

    fn relative_eq(&self, other: &Self, epsilon: T, max_relative: T) -> bool {
        let mut pairs = self.gradients.iter().zip(other.gradients.iter());
        pairs.all(|(a, b)| a.relative_eq(b, epsilon, max_relative))
    }
}

/// Entry by entry, as the `AbsDiffEq` impl.
impl<T: Real, const RO: usize, const CO: usize, const RI: usize, const CI: usize> UlpsEq
    for MatrixJacobian<T, RO, CO, RI, CI>
{
    fn default_max_ulps() -> u32 {
        T::default_max_ulps()
    }

    fn ulps_eq(&self, other: &Self, epsilon: T, max_ulps: u32) -> bool {
        let mut pairs = self.gradients.iter().zip(other.gradients.iter());
        pairs.all(|(a, b)| a.ulps_eq(b, epsilon, max_ulps))
    }
}

/// The rule of a flat Jacobian's declared shape: M = Ro·Co rows, N = Ri·Ci columns. Evaluated
/// when the code is built; the message leads with the numbers.
struct FlatShape<
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
    const M: usize,
    const N: usize,
>;

impl<
    const RO: usize,
    const CO: usize,
    const RI: usize,
    const CI: usize,
    const M: usize,
    const N: usize,
> FlatShape<RO, CO, RI, CI, M, N>
{
    const ASSERT: () = if M != RO * CO || N != RI * CI {
        fail(Self::message())
    };

    const fn message() -> Message {
        Message::new("the Jacobian of a ")
            .shape(RO, CO)
            .text(" output by a ")
            .shape(RI, CI)
            .text(" input flattens to ")
            .shape(RO * CO, RI * CI)
            .text(", not ")
            .shape(M, N)
            .text(" (Ro·Co rows, Ri·Ci columns)")
    }
}

#[cfg(test)]
mod tests {
    use approx::{AbsDiffEq, RelativeEq, UlpsEq};

    use super::MatrixJacobian;

    #[test]
    fn approx_compares_every_entry() {
        let mut a = MatrixJacobian::<f64, 2, 1, 1, 3>::zeros();
        for (i, l) in [(0, 0), (1, 2), (0, 1)] {
            a.gradient_mut(i, 0)[(0, l)] = 1.0 + (i + l) as f64;
        }
        let mut b = a;
        assert!(a.abs_diff_eq(&b, 0.0) && a.relative_eq(&b, 0.0, 0.0) && a.ulps_eq(&b, 0.0, 0));
        // One entry, the last one visited, moves by 1e-6 relative: every comparison sees it.
        b.gradient_mut(1, 0)[(0, 2)] *= 1.0 + 1e-6;
        assert!(!a.abs_diff_eq(&b, 1e-7) && a.abs_diff_eq(&b, 1e-5));
        assert!(!a.relative_eq(&b, 0.0, 1e-7) && a.relative_eq(&b, 0.0, 1e-5));
        assert!(!a.ulps_eq(&b, 0.0, 1000));
        approx::assert_relative_eq!(a, b, max_relative = 1e-5);
        // One ulp apart: equal within 4 ulps, not within 0.
        let mut c = a;
        let entry = &mut c.gradient_mut(1, 0)[(0, 2)];
        *entry = f64::from_bits(entry.to_bits() + 1);
        assert!(a.ulps_eq(&c, 0.0, 4) && !a.ulps_eq(&c, 0.0, 0));
    }
}
