//! Factorisations of small static square matrices, for the linear-algebra ops: LU with partial
//! pivoting (solve, inverse, determinant) and Cholesky, with their triangular solves.
//!
//! Written here rather than taken from nalgebra because nalgebra's `lu()`, `determinant()` and
//! `try_inverse()` on `SMatrix<T, N, N>` need `Const<N>: DimMin<Const<N>, Output = Const<N>>`,
//! which goes through typenum: generic code over `const N: usize` would have to repeat that
//! bound (without it: "`Const<N>: ToTypenum` is not satisfied"). These functions need none, so
//! neither do the ops nor their users. They are generic over [`Real`], so they run on dual
//! numbers too (pivots are chosen by the real part, as `PartialOrd` compares it).

use nalgebra::SMatrix;

use crate::kernels::Real;

/// NaN, for any [`Real`] (`RealField` has no constant for it): 0/0.
pub(crate) fn nan<T: Real>() -> T {
    T::zero() / T::zero()
}

/// `P·A = L·U`: `L` unit lower triangular (below the diagonal of `lu`), `U` upper triangular
/// (on and above it), rows exchanged by partial pivoting (the largest |entry| of each column).
///
/// The factors are computed in place of a matrix the caller owns: a copy of `A` on the stack
/// for small `N`, a scratch buffer on the heap for large ones (`with_scratch`). The row
/// exchanges are kept as a sequence of swaps, so the solves permute their right-hand sides in
/// place, without a copy.
pub(crate) struct Lu<'a, T: Real, const N: usize> {
    lu: &'a SMatrix<T, N, N>,
    /// Step `k` exchanged rows `k` and `swaps[k]` (`k` itself when none).
    swaps: [usize; N],
    /// An odd number of row exchanges.
    odd: bool,
    /// A column had no nonzero pivot candidate: `A` is singular (exactly, in floating point).
    singular: bool,
}

impl<'a, T: Real, const N: usize> Lu<'a, T, N> {
    /// Factorises the matrix in `lu`, overwriting it with its factors. Never fails: a column
    /// without a nonzero pivot is left as it is (its `U` diagonal entry is 0) and the
    /// factorisation is marked [`singular`](Lu::is_singular).
    pub(crate) fn new(lu: &'a mut SMatrix<T, N, N>) -> Self {
        let mut swaps = [0; N];
        let (mut odd, mut singular) = (false, false);
        for k in 0..N {
            swaps[k] = k;
            let m = lu.as_mut_slice();
            let column = &m[k * N..(k + 1) * N];
            let mut pivot_row = k;
            let mut largest = column[k].abs();
            for (r, &x) in column.iter().enumerate().skip(k + 1) {
                let candidate = x.abs();
                if candidate > largest {
                    (pivot_row, largest) = (r, candidate);
                }
            }
            if largest == T::zero() {
                singular = true;
                continue;
            }
            if pivot_row != k {
                for c in 0..N {
                    m.swap(c * N + k, c * N + pivot_row);
                }
                swaps[k] = pivot_row;
                odd = !odd;
            }
            let pivot = m[k * N + k];
            for r in k + 1..N {
                m[k * N + r] /= pivot;
            }
            let (left, right) = m.split_at_mut((k + 1) * N);
            let factors = &left[k * N + k + 1..];
            for column in right.chunks_exact_mut(N) {
                let u = column[k];
                for (x, &factor) in column[k + 1..].iter_mut().zip(factors) {
                    *x -= factor * u;
                }
            }
        }
        Lu {
            lu,
            swaps,
            odd,
            singular,
        }
    }

    /// Whether a pivot was exactly 0 (then [`determinant`](Lu::determinant) is 0 and the
    /// solves divide by 0).
    pub(crate) fn is_singular(&self) -> bool {
        self.singular
    }

    /// ±∏ Uᵢᵢ.
    pub(crate) fn determinant(&self) -> T {
        let product = (0..N).fold(T::one(), |p, i| p * self.lu[(i, i)]);
        if self.odd { -product } else { product }
    }

    /// `A⁻¹·B`, in place of `b`: `P·b`, then `L·y = P·b` (forward substitution, `L` has a unit
    /// diagonal), then `U·x = y` (back substitution).
    pub(crate) fn solve_in_place<const K: usize>(&self, b: &mut SMatrix<T, N, K>) {
        for (k, &s) in self.swaps.iter().enumerate() {
            if s != k {
                b.swap_rows(k, s);
            }
        }
        let lu = self.lu.as_slice();
        for x in b.as_mut_slice().chunks_exact_mut(N) {
            for i in 0..N {
                let mut s = x[i];
                for j in 0..i {
                    s -= lu[j * N + i] * x[j];
                }
                x[i] = s;
            }
            for i in (0..N).rev() {
                let mut s = x[i];
                for j in i + 1..N {
                    s -= lu[j * N + i] * x[j];
                }
                x[i] = s / lu[i * N + i];
            }
        }
    }

    /// `A⁻ᵀ·B`, in place of `b`: `Aᵀ = Uᵀ·Lᵀ·P`, so `Uᵀ·z = b`, `Lᵀ·w = z`, `x = Pᵀ·w`.
    pub(crate) fn solve_transpose_in_place<const K: usize>(&self, b: &mut SMatrix<T, N, K>) {
        let lu = self.lu.as_slice();
        for x in b.as_mut_slice().chunks_exact_mut(N) {
            for i in 0..N {
                let u = &lu[i * N..i * N + i];
                let mut s = x[i];
                for (&u, &x) in u.iter().zip(&x[..i]) {
                    s -= u * x;
                }
                x[i] = s / lu[i * N + i];
            }
            for i in (0..N).rev() {
                let l = &lu[i * N + i + 1..(i + 1) * N];
                let mut s = x[i];
                for (&l, &x) in l.iter().zip(&x[i + 1..]) {
                    s -= l * x;
                }
                x[i] = s;
            }
        }
        for (k, &s) in self.swaps.iter().enumerate().rev() {
            if s != k {
                b.swap_rows(k, s);
            }
        }
    }
}

/// The Cholesky factor `L` (lower triangular, positive diagonal, zeros above) of the symmetric
/// part `(A + Aᵀ)/2` of `a`, written into `l` without a temporary matrix (only the lower
/// triangle of the symmetric part is read), or `Err(j)` when the pivot of column `j` is not
/// positive (or NaN): the matrix is not positive definite, to working precision. On `Err(j)`
/// the contents of `l` are unspecified.
pub(crate) fn cholesky_into<T: Real, const N: usize>(
    a: &SMatrix<T, N, N>,
    l: &mut SMatrix<T, N, N>,
) -> Result<(), usize> {
    let half: T = nalgebra::convert(0.5);
    let symmetric = |i: usize, j: usize| (a[(i, j)] + a[(j, i)]) * half;
    l.fill(T::zero());
    let l = l.as_mut_slice();
    for j in 0..N {
        let mut d = symmetric(j, j);
        for k in 0..j {
            d -= l[k * N + j] * l[k * N + j];
        }
        let positive = d > T::zero();
        if !positive {
            return Err(j);
        }
        let d = d.sqrt();
        l[j * N + j] = d;
        for i in j + 1..N {
            let mut s = symmetric(i, j);
            for k in 0..j {
                s -= l[k * N + i] * l[k * N + j];
            }
            l[j * N + i] = s / d;
        }
    }
    Ok(())
}

/// `L⁻¹·B` in place of `b`, reading only the lower triangle of `l` (forward substitution), on
/// the entries as slices (nalgebra's indexing costs much more in a debug build).
pub(crate) fn solve_lower_in_place<T: Real, const N: usize, const K: usize>(
    l: &SMatrix<T, N, N>,
    b: &mut SMatrix<T, N, K>,
) {
    let l = l.as_slice();
    for x in b.as_mut_slice().chunks_exact_mut(N) {
        for i in 0..N {
            let mut s = x[i];
            for j in 0..i {
                s -= l[j * N + i] * x[j];
            }
            x[i] = s / l[i * N + i];
        }
    }
}

/// `L⁻ᵀ·B` in place of `b`, reading only the lower triangle of `l` (back substitution with
/// `Lᵀ`), on the entries as slices.
pub(crate) fn solve_lower_transpose_in_place<T: Real, const N: usize, const K: usize>(
    l: &SMatrix<T, N, N>,
    b: &mut SMatrix<T, N, K>,
) {
    let l = l.as_slice();
    for x in b.as_mut_slice().chunks_exact_mut(N) {
        for i in (0..N).rev() {
            let column = &l[i * N + i + 1..(i + 1) * N];
            let mut s = x[i];
            for (&l, &x) in column.iter().zip(&x[i + 1..]) {
                s -= l * x;
            }
            x[i] = s / l[i * N + i];
        }
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix3, Matrix4, SMatrix, Vector3};

    use super::{Lu, cholesky_into, solve_lower_in_place, solve_lower_transpose_in_place};
    use crate::diff::testing::{random, rng};

    /// The factor of a symmetric `a` (its symmetric part is itself), or the failing column.
    fn cholesky<const N: usize>(a: &SMatrix<f64, N, N>) -> Result<SMatrix<f64, N, N>, usize> {
        let mut l = SMatrix::zeros();
        cholesky_into(a, &mut l).map(|()| l)
    }

    #[test]
    fn lu_solves_and_agrees_with_nalgebra() {
        let mut rng = rng(900);
        for _ in 0..20 {
            let a: SMatrix<f64, 5, 5> = random(&mut rng);
            let b: SMatrix<f64, 5, 3> = random(&mut rng);
            let mut factors = a;
            let lu = Lu::new(&mut factors);
            assert!(!lu.is_singular());
            let mut x = b;
            lu.solve_in_place(&mut x);
            assert!((a * x - b).amax() < 1e-12, "{}", a * x - b);
            let mut y = b;
            lu.solve_transpose_in_place(&mut y);
            assert!((a.transpose() * y - b).amax() < 1e-12);
            let det = a.determinant();
            assert!((lu.determinant() - det).abs() < 1e-13 * det.abs().max(1.0));
        }
    }

    #[test]
    fn pivoting_handles_a_zero_leading_entry() {
        let a = Matrix3::<f64>::new(0.0, 1.0, 2.0, 1.0, 0.0, 3.0, 4.0, -3.0, 8.0);
        let mut factors = a;
        let lu = Lu::new(&mut factors);
        let mut x = Vector3::new(1.0, 2.0, 3.0);
        lu.solve_in_place(&mut x);
        assert!((a * x - Vector3::new(1.0, 2.0, 3.0)).amax() < 1e-14);
        assert!((lu.determinant() - a.determinant()).abs() < 1e-14);
    }

    #[test]
    fn an_exactly_singular_matrix_is_flagged_with_determinant_zero() {
        // Rank 2: the third row is the sum of the first two; and a zero column.
        let mut a = Matrix3::new(1.0, 2.0, 3.0, 3.0, -2.0, 1.0, 4.0, 0.0, 4.0);
        let lu = Lu::new(&mut a);
        assert!(lu.is_singular());
        assert_eq!(lu.determinant(), 0.0);
        let mut zero_column = Matrix3::new(1.0, 0.0, 3.0, 4.0, 0.0, 6.0, 5.0, 0.0, 9.0);
        assert!(Lu::new(&mut zero_column).is_singular());
        assert!(!Lu::new(&mut Matrix3::<f64>::identity()).is_singular());
    }

    #[test]
    fn cholesky_factorises_and_rejects_indefinite_matrices() {
        let mut rng = rng(901);
        let m: SMatrix<f64, 4, 4> = random(&mut rng);
        let a = m * m.transpose() + Matrix4::identity();
        let l = cholesky(&a).unwrap();
        assert!((l * l.transpose() - a).amax() < 1e-14);
        assert_eq!(l.lower_triangle(), l);
        let b: SMatrix<f64, 4, 2> = random(&mut rng);
        let mut x = b;
        solve_lower_in_place(&l, &mut x);
        assert!((l * x - b).amax() < 1e-14);
        let mut y = b;
        solve_lower_transpose_in_place(&l, &mut y);
        assert!((l.transpose() * y - b).amax() < 1e-14);

        let indefinite = Matrix3::new(1.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0);
        assert_eq!(cholesky(&indefinite), Err(1));
        assert_eq!(cholesky(&Matrix3::<f64>::zeros()), Err(0));
        let nan = Matrix3::new(f64::NAN, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0);
        assert_eq!(cholesky(&nan), Err(0));
    }
}
