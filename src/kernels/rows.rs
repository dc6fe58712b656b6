//! Loops shared by the ops' fast paths: reductions with several accumulators (so the compiler
//! can keep them in vector registers without reordering a single running sum), and row-wise
//! softmax pieces that walk the column-major storage column by column.

use nalgebra::{SMatrix, SVector};

use crate::kernels::Real;

/// The columns of a column-major R×C matrix, as slices of R entries (also when R = 0).
pub(crate) fn columns<T: Real, const R: usize, const C: usize>(
    m: &SMatrix<T, R, C>,
) -> impl Iterator<Item = &[T]> {
    let data = m.as_slice();
    (0..C).map(move |j| &data[j * R..(j + 1) * R])
}

/// The number of independent accumulators of the reductions.
const LANES: usize = 8;

/// `Σ f(a[i], b[i])` with [`LANES`] accumulators.
fn reduce2<T: Real>(a: &[T], b: &[T], f: impl Fn(T, T) -> T) -> T {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [T::zero(); LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (a_rest, b_rest) = (a_chunks.remainder(), b_chunks.remainder());
    for (a, b) in a_chunks.zip(b_chunks) {
        for k in 0..LANES {
            acc[k] += f(a[k], b[k]);
        }
    }
    for (k, (&a, &b)) in a_rest.iter().zip(b_rest).enumerate() {
        acc[k] += f(a, b);
    }
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7))
}

/// `Σ x`.
pub(crate) fn sum<T: Real>(xs: &[T]) -> T {
    reduce2(xs, xs, |x, _| x)
}

/// `Σ a[i]·b[i]`.
pub(crate) fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    reduce2(a, b, |a, b| a * b)
}

/// Each row's maximum (NaN if the row holds one): an R×1 column, computed one column of `a`
/// at a time: the values at the places `RowwiseMax` picks. The rows must have entries
/// (`C > 0`): the ops that call it assert that where they are built.
pub(crate) fn row_max<T: Real, const R: usize, const C: usize>(
    a: &SMatrix<T, R, C>,
) -> SVector<T, R> {
    let is_nan = |x: T| x.partial_cmp(&x).is_none();
    let mut max = a.column(0).into_owned();
    for column in a.as_slice().chunks_exact(R.max(1)).skip(1) {
        for (m, &x) in max.iter_mut().zip(column) {
            if x > *m || (is_nan(x) && !is_nan(*m)) {
                *m = x;
            }
        }
    }
    max
}

/// `x − m` for an entry `x` of a row whose maximum is `m`, and 0 for an entry equal to an
/// infinite maximum: the limit of a shift by the maximum, where ∞ − ∞ would be NaN. So a row
/// with k entries at +∞ gives those entries e⁰ = 1 and the rest e⁻∞ = 0 (softmax 1/k each),
/// and a row of −∞ only is shifted to zeros (softmax uniform).
#[inline]
pub(crate) fn shifted<T: Real>(x: T, m: T) -> T {
    if !m.is_finite() && x == m {
        T::zero()
    } else {
        x - m
    }
}

/// Writes `e[r, c] = exp(a[r, c] − max[r])` into `e` and returns each row's sum of them.
pub(crate) fn exp_shifted_into<T: Real, const R: usize, const C: usize>(
    a: &SMatrix<T, R, C>,
    max: &SVector<T, R>,
    e: &mut SMatrix<T, R, C>,
) -> SVector<T, R> {
    let mut total = SVector::<T, R>::zeros();
    let columns = a.as_slice().chunks_exact(R.max(1));
    for (a_col, e_col) in columns.zip(e.as_mut_slice().chunks_exact_mut(R.max(1))) {
        for (((e, &x), &m), t) in e_col
            .iter_mut()
            .zip(a_col)
            .zip(max.iter())
            .zip(total.iter_mut())
        {
            *e = shifted(x, m).exp();
            *t += *e;
        }
    }
    total
}

/// Each row's `Σ_c exp(a[r, c] − max[r])`, without storing the exponentials.
pub(crate) fn exp_shifted_sums<T: Real, const R: usize, const C: usize>(
    a: &SMatrix<T, R, C>,
    max: &SVector<T, R>,
) -> SVector<T, R> {
    let mut total = SVector::<T, R>::zeros();
    for a_col in a.as_slice().chunks_exact(R.max(1)) {
        for ((&x, &m), t) in a_col.iter().zip(max.iter()).zip(total.iter_mut()) {
            *t += shifted(x, m).exp();
        }
    }
    total
}

/// `Σ_r ln Σ_c exp(a[r, c] − m_r) − (a[r, label_r] − m_r)` with `m_r` row r's maximum: the
/// summed softmax cross-entropy, one exponential per entry.
pub(crate) fn cross_entropy_sum<T: Real, const R: usize, const C: usize>(
    a: &SMatrix<T, R, C>,
    labels: &[usize; R],
) -> T {
    let max = row_max(a);
    let total = exp_shifted_sums(a, &max);
    let mut loss = T::zero();
    for (r, &label) in labels.iter().enumerate() {
        loss += total[r].ln() - shifted(a[(r, label)], max[r]);
    }
    loss
}

/// Writes `(P − Y)·scale` into `d` (adds it if `add`, else overwrites `d`'s stale contents),
/// with `P` the row-wise softmax of `a` and `Y` the one-hot `labels`, one exponential per entry
/// when `d` is overwritten.
pub(crate) fn softmax_minus_one_hot<T: Real, const R: usize, const C: usize>(
    a: &SMatrix<T, R, C>,
    labels: &[usize; R],
    scale: T,
    (d, add): (&mut SMatrix<T, R, C>, bool),
) {
    let max = row_max(a);
    // Overwriting: the exponentials go into `d` first, then become the gradient in place.
    let total = if add {
        exp_shifted_sums(a, &max)
    } else {
        exp_shifted_into(a, &max, d)
    };
    let d_columns = d.as_mut_slice().chunks_exact_mut(R.max(1));
    for (j, (d_col, a_col)) in d_columns.zip(columns(a)).enumerate() {
        for (r, (d, &x)) in d_col.iter_mut().zip(a_col).enumerate() {
            let e = if add { shifted(x, max[r]).exp() } else { *d };
            let one_hot = if labels[r] == j { T::one() } else { T::zero() };
            let g = (e / total[r] - one_hot) * scale;
            *d = if add { *d + g } else { g };
        }
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::SMatrix;

    use super::{dot, exp_shifted_into, exp_shifted_sums, row_max, sum};

    #[test]
    fn sums_and_dots_of_every_length_up_to_three_chunks() {
        for n in 0..=25 {
            let a: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
            let b: Vec<f64> = (0..n).map(|i| 1.0 - i as f64).collect();
            let want_sum: f64 = (0..n).map(|i| i as f64 + 0.5).sum();
            let want_dot: f64 = (0..n).map(|i| (i as f64 + 0.5) * (1.0 - i as f64)).sum();
            assert_eq!(sum(&a), want_sum, "n = {n}");
            assert_eq!(dot(&a, &b), want_dot, "n = {n}");
        }
    }

    #[test]
    fn row_max_and_shifted_exponentials_by_rows() {
        let a = SMatrix::<f64, 2, 3>::new(1.0, 5.0, 2.0, -1.0, -3.0, -2.0);
        let max = row_max(&a);
        assert_eq!(max.as_slice(), &[5.0, -1.0]);
        let mut e = SMatrix::<f64, 2, 3>::zeros();
        let total = exp_shifted_into(&a, &max, &mut e);
        assert_eq!(e[(0, 1)], 1.0);
        assert!((e[(1, 2)] - (-1f64).exp()).abs() < 1e-15);
        assert_eq!(total, exp_shifted_sums(&a, &max));
        assert!((total[0] - ((-4f64).exp() + 1.0 + (-3f64).exp())).abs() < 1e-15);
    }

    #[test]
    fn a_nan_anywhere_in_a_row_makes_its_max_nan() {
        let a = SMatrix::<f64, 2, 3>::new(f64::NAN, 1.0, 2.0, 0.0, f64::NAN, 1.0);
        let max = row_max(&a);
        assert!(max[0].is_nan() && max[1].is_nan());
        assert_eq!(
            row_max(&SMatrix::<f64, 1, 2>::new(-1.0, f64::INFINITY))[0],
            f64::INFINITY
        );
    }
}
