//! Data sets of rows, and typed mini-batches drawn from them. Feature `data` (on by
//! default).
//!
//! A [`Dataset<T, I, O>`] holds any number of rows (known at run time, e.g. read from a CSV
//! file), each with `I` inputs and `O` targets: for classification the one-hot row of a class
//! in `0..O`, for regression the target values. [`Dataset::batches`] draws mini-batches of a
//! size `B` fixed in the type: a [`Batch<T, B, I, O>`] holds a B×I input matrix, B×O targets
//! and B×1 row weights, ready for a graph built once for batches of B rows. Typed views of a
//! whole data set ([`Dataset::inputs`], [`Dataset::labels`]) check its row count against the
//! type and return a [`DataError`] if they differ.
//!
//! ```
//! use shapegrad::data::{Dataset, LastBatch};
//!
//! // Ten rows of 3 inputs, class = row % 2.
//! let mut data = Dataset::<f64, 3, 2>::new();
//! for row in 0..10 {
//!     data.push_class(&nalgebra::Matrix1x3::repeat(row as f64), row % 2);
//! }
//! let (train, held_out) = data.split_at(8);
//!
//! let mut batches = train.batches::<3>().shuffle(7); // the default: LastBatch::Pad
//! let sizes: Vec<usize> = batches.epoch(0).map(|batch| batch.rows).collect();
//! assert_eq!(sizes, [3, 3, 2]); // 8 rows: the last batch has 2 real rows and 1 of padding
//! assert_eq!(train.batches::<3>().last_batch(LastBatch::Drop).per_epoch(), 2);
//!
//! let x = held_out.inputs::<2>()?; // the held-out rows as one 2×3 matrix
//! assert_eq!(x[(1, 0)], 9.0);
//! # Ok::<(), shapegrad::data::DataError>(())
//! ```

mod batches;
mod csv;
mod error;

pub use batches::{Batch, BatchVars, Batches, Epoch, LastBatch};
pub use error::DataError;

use nalgebra::SMatrix;

use crate::kernels::Real;
use crate::ops::Labels;

/// Rows of `I` inputs with `O` targets each; the number of rows is known at run time.
///
/// Rows are kept in the order they were added. For classification, [`Dataset::push_class`]
/// stores the class as a one-hot row of `O` entries and [`Dataset::class`] reads it back; the
/// weighted losses ([`Var::softmax_cross_entropy_weighted`](crate::Var::softmax_cross_entropy_weighted),
/// [`Var::mse_weighted`](crate::Var::mse_weighted)) take the targets as a matrix, so one
/// graph serves every batch.
///
/// ```
/// use nalgebra::{Matrix1x2, Matrix2};
/// use shapegrad::{Labels, data::Dataset};
///
/// let points = Matrix2::new(0.0, 1.0, 2.0, 3.0);
/// let data = Dataset::<f64, 2, 3>::from_labels(&points, &Labels::new([2, 0])?);
/// assert_eq!((data.len(), data.class(0), data.class(1)), (2, 2, 0));
/// assert_eq!(data.input(1), Matrix1x2::new(2.0, 3.0));
/// # Ok::<(), shapegrad::LabelError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset<T: Real, const I: usize, const O: usize> {
    /// Row-major: row `n`'s inputs are `inputs[n·I .. (n + 1)·I]`.
    inputs: Vec<T>,
    /// Row-major: row `n`'s targets are `targets[n·O .. (n + 1)·O]`.
    targets: Vec<T>,
}

impl<T: Real, const I: usize, const O: usize> Dataset<T, I, O> {
    /// An empty data set.
    ///
    /// ```
    /// assert!(shapegrad::data::Dataset::<f64, 4, 1>::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Dataset {
            inputs: Vec::new(),
            targets: Vec::new(),
        }
    }

    /// The rows of `inputs` with the rows of `targets` (N rows each).
    ///
    /// ```
    /// use nalgebra::{Matrix3x2, Vector3};
    /// let data = shapegrad::data::Dataset::from_rows(&Matrix3x2::repeat(1.0), &Vector3::new(1.0, 2.0, 3.0));
    /// assert_eq!(data.target(2)[0], 3.0);
    /// ```
    pub fn from_rows<const N: usize>(
        inputs: &SMatrix<T, N, I>,
        targets: &SMatrix<T, N, O>,
    ) -> Self {
        let mut data = Dataset::new();
        for n in 0..N {
            data.push(
                &inputs.fixed_rows::<1>(n).into_owned(),
                &targets.fixed_rows::<1>(n).into_owned(),
            );
        }
        data
    }

    /// The rows of `inputs` with `labels` as one-hot targets.
    ///
    /// ```
    /// let (x, labels) = shapegrad::datasets::spiral::<30, 3>(0);
    /// let data = shapegrad::data::Dataset::from_labels(&x, &labels);
    /// assert_eq!(data.class(29), 2);
    /// ```
    pub fn from_labels<const N: usize>(inputs: &SMatrix<T, N, I>, labels: &Labels<N, O>) -> Self {
        let mut data = Dataset::new();
        for (n, &label) in labels.as_array().iter().enumerate() {
            data.push_class(&inputs.fixed_rows::<1>(n).into_owned(), label);
        }
        data
    }

    /// Adds a row.
    ///
    /// ```
    /// use nalgebra::{Matrix1, Matrix1x2};
    /// let mut data = shapegrad::data::Dataset::<f64, 2, 1>::new();
    /// data.push(&Matrix1x2::new(1.0, 2.0), &Matrix1::new(3.0));
    /// assert_eq!(data.len(), 1);
    /// ```
    pub fn push(&mut self, input: &SMatrix<T, 1, I>, target: &SMatrix<T, 1, O>) {
        self.inputs.extend_from_slice(input.as_slice());
        self.targets.extend_from_slice(target.as_slice());
    }

    /// Adds a row of class `class`, stored as a one-hot target.
    ///
    /// ```
    /// let mut data = shapegrad::data::Dataset::<f32, 1, 4>::new();
    /// data.push_class(&nalgebra::Matrix1::new(0.5), 3);
    /// assert_eq!(data.target(0), nalgebra::Matrix1x4::new(0.0, 0.0, 0.0, 1.0));
    /// ```
    ///
    /// # Panics
    /// If `class` is not below `O`.
    #[track_caller]
    pub fn push_class(&mut self, input: &SMatrix<T, 1, I>, class: usize) {
        assert!(
            class < O,
            "shapegrad: class {class} is out of range for a data set of {O} classes (0..{O})"
        );
        let one_hot =
            SMatrix::<T, 1, O>::from_fn(|_, c| if c == class { T::one() } else { T::zero() });
        self.push(input, &one_hot);
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.targets
            .len()
            .checked_div(O)
            .unwrap_or(self.inputs.len() / I.max(1))
    }

    /// Whether the data set has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `n`'s inputs, 1×I.
    ///
    /// # Panics
    /// If `n` is not below [`Dataset::len`].
    #[track_caller]
    pub fn input(&self, n: usize) -> SMatrix<T, 1, I> {
        self.check_row(n);
        SMatrix::from_row_slice(&self.inputs[n * I..(n + 1) * I])
    }

    /// Row `n`'s targets, 1×O.
    ///
    /// # Panics
    /// If `n` is not below [`Dataset::len`].
    #[track_caller]
    pub fn target(&self, n: usize) -> SMatrix<T, 1, O> {
        self.check_row(n);
        SMatrix::from_row_slice(&self.targets[n * O..(n + 1) * O])
    }

    /// Row `n`'s class: the column of its largest target (the first one on ties).
    ///
    /// # Panics
    /// If `n` is not below [`Dataset::len`].
    #[track_caller]
    pub fn class(&self, n: usize) -> usize {
        crate::ops::Labels::argmax(&self.target(n)).as_array()[0]
    }

    /// Rows `..n` and rows `n..`, in order.
    ///
    /// ```
    /// let (x, labels) = shapegrad::datasets::spiral::<30, 3>(0);
    /// let (a, b) = shapegrad::data::Dataset::from_labels(&x, &labels).split_at(20);
    /// assert_eq!((a.len(), b.len(), b.class(0)), (20, 10, 2));
    /// ```
    ///
    /// # Panics
    /// If `n` is larger than [`Dataset::len`].
    #[track_caller]
    pub fn split_at(&self, n: usize) -> (Self, Self) {
        assert!(
            n <= self.len(),
            "shapegrad: split_at({n}) of a data set of {} rows",
            self.len()
        );
        let part = |inputs: &[T], targets: &[T]| Dataset {
            inputs: inputs.to_vec(),
            targets: targets.to_vec(),
        };
        (
            part(&self.inputs[..n * I], &self.targets[..n * O]),
            part(&self.inputs[n * I..], &self.targets[n * O..]),
        )
    }

    /// Applies `f` to every input entry (scaling, say).
    ///
    /// ```
    /// let mut data = shapegrad::data::Dataset::<f64, 1, 1>::new();
    /// data.push(&nalgebra::Matrix1::new(16.0), &nalgebra::Matrix1::new(0.0));
    /// data.map_inputs(|x| x / 16.0);
    /// assert_eq!(data.input(0)[0], 1.0);
    /// ```
    pub fn map_inputs(&mut self, f: impl Fn(T) -> T) {
        self.inputs.iter_mut().for_each(|x| *x = f(*x));
    }

    /// All rows' inputs as one N×I matrix (boxed: large data sets do not fit on the stack),
    /// for evaluating a model on the whole data set.
    ///
    /// ```
    /// let (x, labels) = shapegrad::datasets::spiral::<30, 3>(0);
    /// let data = shapegrad::data::Dataset::from_labels(&x, &labels);
    /// assert_eq!(*data.inputs::<30>()?, x);
    /// assert!(data.inputs::<31>().is_err());
    /// # Ok::<(), shapegrad::data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// [`DataError::Rows`] if the data set does not have `N` rows.
    pub fn inputs<const N: usize>(&self) -> Result<Box<SMatrix<T, N, I>>, DataError> {
        self.check_len(N)?;
        Ok(from_rows(&self.inputs))
    }

    /// All rows' targets as one N×O matrix (boxed). See [`Dataset::inputs`].
    ///
    /// # Errors
    /// [`DataError::Rows`] if the data set does not have `N` rows.
    pub fn targets<const N: usize>(&self) -> Result<Box<SMatrix<T, N, O>>, DataError> {
        self.check_len(N)?;
        Ok(from_rows(&self.targets))
    }

    /// All rows' classes ([`Dataset::class`]) as [`Labels`] of N rows, for
    /// [`nn::accuracy`](crate::nn::accuracy) on the whole data set.
    ///
    /// ```
    /// let (x, labels) = shapegrad::datasets::spiral::<30, 3>(0);
    /// let data = shapegrad::data::Dataset::from_labels(&x, &labels);
    /// assert_eq!(data.labels::<30>()?, labels);
    /// # Ok::<(), shapegrad::data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// [`DataError::Rows`] if the data set does not have `N` rows.
    pub fn labels<const N: usize>(&self) -> Result<Labels<N, O>, DataError> {
        self.check_len(N)?;
        Ok(Labels::new(std::array::from_fn(|n| self.class(n)))
            .expect("a column of an O-column row is below O"))
    }

    /// Mini-batches of `B` rows; see [`Batches`] for the order (in order unless
    /// [`shuffle`](Batches::shuffle)d) and the last partial batch ([`LastBatch::Pad`] unless
    /// told otherwise).
    pub fn batches<const B: usize>(&self) -> Batches<'_, T, B, I, O> {
        Batches::new(self)
    }

    fn check_len(&self, n: usize) -> Result<(), DataError> {
        if self.len() == n {
            Ok(())
        } else {
            Err(DataError::Rows {
                expected: n,
                found: self.len(),
            })
        }
    }

    #[track_caller]
    fn check_row(&self, n: usize) {
        assert!(
            n < self.len(),
            "shapegrad: row {n} of a data set of {} rows",
            self.len()
        );
    }

    /// Row `n`'s inputs and targets, row-major slices.
    fn row(&self, n: usize) -> (&[T], &[T]) {
        (
            &self.inputs[n * I..(n + 1) * I],
            &self.targets[n * O..(n + 1) * O],
        )
    }
}

/// The N×W matrix of the first N rows of `rows` (row-major, W entries a row), boxed.
fn from_rows<T: Real, const N: usize, const W: usize>(rows: &[T]) -> Box<SMatrix<T, N, W>> {
    let mut out = Box::new(SMatrix::<T, N, W>::zeros());
    for (n, row) in rows.chunks_exact(W.max(1)).take(N).enumerate() {
        for (w, &x) in row.iter().enumerate() {
            out[(n, w)] = x;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1x2, SMatrix};

    use super::Dataset;
    use crate::ops::Labels;

    #[test]
    fn rows_come_back_as_they_went_in_and_typed_views_check_the_count() {
        let x = SMatrix::<f64, 4, 2>::from_fn(|r, c| (10 * r + c) as f64);
        let labels = Labels::<4, 3>::new([2, 1, 0, 2]).unwrap();
        let data = Dataset::from_labels(&x, &labels);
        assert_eq!(data.input(2), Matrix1x2::new(20.0, 21.0));
        assert_eq!(*data.inputs::<4>().unwrap(), x);
        assert_eq!(*data.targets::<4>().unwrap(), labels.one_hot());
        assert_eq!(data.labels::<4>().unwrap(), labels);
        let err = data.labels::<5>().unwrap_err();
        assert_eq!(
            err,
            super::DataError::Rows {
                expected: 5,
                found: 4
            }
        );
        let (a, b) = data.split_at(1);
        assert_eq!((a.len(), b.len(), b.class(0)), (1, 3, 1));
        assert_eq!(data.split_at(4).1.len(), 0);
    }

    #[test]
    #[should_panic(expected = "class 3 is out of range for a data set of 3 classes")]
    fn a_class_out_of_range_is_rejected() {
        Dataset::<f64, 1, 3>::new().push_class(&nalgebra::Matrix1::new(0.0), 3);
    }

    #[test]
    #[should_panic(expected = "row 2 of a data set of 2 rows")]
    fn a_row_out_of_range_is_rejected() {
        let (x, labels) = crate::train::datasets::spiral::<2, 1>(0);
        Dataset::from_labels(&x, &labels).input(2);
    }
}
