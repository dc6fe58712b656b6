//! The matrix type a graph stores: `Value`, implemented for every `SMatrix`.

use std::fmt::Debug;

use nalgebra::SMatrix;

use crate::kernels::Real;

/// A matrix value a graph stores: implemented for every `SMatrix<T, R, C>` and nothing else.
///
/// An [`Op`](crate::Op)'s output is a `Value`. The methods give a shape-erased view of the
/// matrix (its entries in nalgebra's column-major order) for the generic parts of the library,
/// such as [`gradcheck`](crate::check::gradcheck).
///
/// ```
/// use nalgebra::SMatrix;
/// use shapegrad::Value;
///
/// fn first_entries<V: Value<f64>>(v: &V) -> ((usize, usize), Vec<f64>) {
///     (v.shape(), v.as_slice()[..3].to_vec())
/// }
///
/// let m = SMatrix::<f64, 2, 3>::from_fn(|r, c| (10 * r + c) as f64);
/// // Column-major: the first column (0, 10) comes first.
/// assert_eq!(first_entries(&m), ((2, 3), vec![0.0, 10.0, 1.0]));
/// ```
pub trait Value<T: Real>: Debug + Send + Sync + 'static + flat::Flat<T> {
    /// `(R, C)`: the number of rows and columns.
    fn shape(&self) -> (usize, usize);
    /// The `R·C` entries in column-major order: entry `(r, c)` is at `r + c·R`.
    fn as_slice(&self) -> &[T];
    /// The entries in column-major order, mutably.
    fn as_mut_slice(&mut self) -> &mut [T];
}

pub(crate) mod flat {
    /// How a graph finds a matrix in its flat buffer of scalars (sealed: shapegrad implements
    /// it for `SMatrix` only).
    pub trait Flat<T>: Sized {
        /// Rows.
        const ROWS: usize;
        /// Columns.
        const COLS: usize;
        /// The matrix stored in the first `ROWS·COLS` entries of `flat`.
        fn from_flat(flat: &[T]) -> &Self;
        /// The same, mutably.
        fn from_flat_mut(flat: &mut [T]) -> &mut Self;
    }
}

impl<T: Real, const R: usize, const C: usize> flat::Flat<T> for SMatrix<T, R, C> {
    const ROWS: usize = R;
    const COLS: usize = C;
    #[inline(always)]
    fn from_flat(flat: &[T]) -> &Self {
        crate::contract::layout::matrix(flat)
    }
    #[inline(always)]
    fn from_flat_mut(flat: &mut [T]) -> &mut Self {
        crate::contract::layout::matrix_mut(flat)
    }
}

impl<T: Real, const R: usize, const C: usize> Value<T> for SMatrix<T, R, C> {
    fn shape(&self) -> (usize, usize) {
        (R, C)
    }
    fn as_slice(&self) -> &[T] {
        nalgebra::Matrix::as_slice(self)
    }
    fn as_mut_slice(&mut self) -> &mut [T] {
        nalgebra::Matrix::as_mut_slice(self)
    }
}
