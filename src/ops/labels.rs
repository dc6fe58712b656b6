//! Class labels for classification losses: one class index per row, checked once, on creation.

use std::fmt;

use nalgebra::SMatrix;

use crate::kernels::Real;

/// One class index in `0..C` for each of `R` rows (samples): the targets of
/// [`softmax_cross_entropy`](crate::Var::softmax_cross_entropy).
///
/// The row count and class count are in the type, so labels for the wrong number of rows or
/// classes do not compile with R×C logits; the indices themselves are checked by
/// [`Labels::new`], which returns a [`LabelError`] for one that is out of range. A `Labels`
/// therefore always holds valid indices, and the loss that takes it cannot fail.
///
/// ```
/// use shapegrad::{LabelError, Labels};
///
/// let labels = Labels::<4, 3>::new([0, 2, 1, 2])?;
/// assert_eq!(labels.as_array(), &[0, 2, 1, 2]);
///
/// let err = Labels::<4, 3>::new([0, 2, 1, 3]).unwrap_err();
/// assert_eq!(err.to_string(), "label 3 in row 3 is out of range: there are 3 classes (0..=2)");
/// # Ok::<(), LabelError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Labels<const R: usize, const C: usize> {
    classes: [usize; R],
}

impl<const R: usize, const C: usize> Labels<R, C> {
    /// Labels for `R` rows from their class indices, each of which must be in `0..C`.
    ///
    /// `C` is usually inferred from the logits the labels are used with.
    ///
    /// ```
    /// let err = shapegrad::Labels::<3, 3>::new([0, 1, 7]).unwrap_err();
    /// assert_eq!((err.row(), err.label(), err.classes()), (2, 7, 3));
    /// ```
    ///
    /// # Errors
    /// A [`LabelError`] naming the first row whose label is `≥ C`.
    pub fn new(classes: [usize; R]) -> Result<Self, LabelError> {
        match classes.iter().position(|&label| label >= C) {
            Some(row) => Err(LabelError {
                row,
                label: classes[row],
                classes: C,
            }),
            None => Ok(Labels { classes }),
        }
    }

    /// The class index of each row.
    ///
    /// ```
    /// let labels = shapegrad::Labels::<2, 5>::new([4, 0]).unwrap();
    /// assert_eq!(labels.as_array()[0], 4);
    /// ```
    pub fn as_array(&self) -> &[usize; R] {
        &self.classes
    }

    /// The predicted class of each row of `scores`: the column of the row's largest score
    /// (the first one on ties; a row of NaNs predicts class 0). The inverse of
    /// [`Labels::one_hot`] for one-hot rows.
    ///
    /// ```
    /// use nalgebra::Matrix2x3;
    /// use shapegrad::Labels;
    ///
    /// let scores = Matrix2x3::new(0.1, 2.0, -1.0, 5.0, 5.0, 4.0);
    /// assert_eq!(Labels::argmax(&scores).as_array(), &[1, 0]);
    /// ```
    pub fn argmax<T: Real>(scores: &SMatrix<T, R, C>) -> Self {
        let classes = std::array::from_fn(|r| {
            let row = scores.row(r);
            (1..C).fold(0, |best, c| if row[c] > row[best] { c } else { best })
        });
        Labels { classes }
    }

    /// The one-hot matrix of the labels: `Y[r, c] = 1` if row `r`'s label is `c`, else 0.
    ///
    /// ```
    /// use nalgebra::Matrix2x3;
    /// let labels = shapegrad::Labels::<2, 3>::new([2, 0]).unwrap();
    /// assert_eq!(labels.one_hot::<f64>(), Matrix2x3::new(0.0, 0.0, 1.0, 1.0, 0.0, 0.0));
    /// ```
    pub fn one_hot<T: Real>(&self) -> SMatrix<T, R, C> {
        SMatrix::from_fn(|r, c| {
            if self.classes[r] == c {
                T::one()
            } else {
                T::zero()
            }
        })
    }
}

/// A class label outside `0..C`, found by [`Labels::new`].
///
/// ```
/// let err = shapegrad::Labels::<3, 3>::new([0, 1, 7]).unwrap_err();
/// assert_eq!(err.to_string(), "label 7 in row 2 is out of range: there are 3 classes (0..=2)");
/// let boxed: Box<dyn std::error::Error> = Box::new(err); // a std error
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LabelError {
    row: usize,
    label: usize,
    classes: usize,
}

impl LabelError {
    /// The row (sample) whose label is out of range.
    ///
    /// ```
    /// assert_eq!(shapegrad::Labels::<2, 2>::new([0, 2]).unwrap_err().row(), 1);
    /// ```
    pub fn row(&self) -> usize {
        self.row
    }

    /// The out-of-range label.
    ///
    /// ```
    /// assert_eq!(shapegrad::Labels::<2, 2>::new([0, 9]).unwrap_err().label(), 9);
    /// ```
    pub fn label(&self) -> usize {
        self.label
    }

    /// The number of classes, `C`: valid labels are `0..C`.
    ///
    /// ```
    /// assert_eq!(shapegrad::Labels::<1, 4>::new([4]).unwrap_err().classes(), 4);
    /// ```
    pub fn classes(&self) -> usize {
        self.classes
    }
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (label, row) = (self.label, self.row);
        match self.classes {
            0 => write!(
                f,
                "label {label} in row {row} is out of range: there are no classes (C = 0)"
            ),
            1 => write!(
                f,
                "label {label} in row {row} is out of range: there is 1 class (0)"
            ),
            n => write!(
                f,
                "label {label} in row {row} is out of range: there are {n} classes (0..={})",
                n - 1
            ),
        }
    }
}

impl std::error::Error for LabelError {}

#[cfg(test)]
mod tests {
    use super::{LabelError, Labels};

    #[test]
    fn valid_labels_are_kept_in_order() {
        let labels = Labels::<5, 3>::new([2, 0, 1, 1, 0]).unwrap();
        assert_eq!(labels.as_array(), &[2, 0, 1, 1, 0]);
        let y = labels.one_hot::<f32>();
        for (r, &label) in labels.as_array().iter().enumerate() {
            assert_eq!(y.row(r).sum(), 1.0);
            assert_eq!(y[(r, label)], 1.0);
        }
    }

    #[test]
    fn the_first_out_of_range_label_is_reported() {
        let err = Labels::<4, 3>::new([0, 3, 1, 100]).unwrap_err();
        assert_eq!(
            err,
            LabelError {
                row: 1,
                label: 3,
                classes: 3
            }
        );
        assert_eq!(
            err.to_string(),
            "label 3 in row 1 is out of range: there are 3 classes (0..=2)"
        );
    }

    #[test]
    fn messages_for_one_and_zero_classes() {
        let one = Labels::<2, 1>::new([0, 1]).unwrap_err();
        assert_eq!(
            one.to_string(),
            "label 1 in row 1 is out of range: there is 1 class (0)"
        );
        let none = Labels::<1, 0>::new([0]).unwrap_err();
        assert_eq!(
            none.to_string(),
            "label 0 in row 0 is out of range: there are no classes (C = 0)"
        );
    }

    #[test]
    fn usize_max_is_rejected_and_works_with_question_mark() {
        fn build() -> Result<Labels<2, 10>, Box<dyn std::error::Error>> {
            Ok(Labels::new([9, usize::MAX])?)
        }
        let err = build().unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("label {} in row 1", usize::MAX))
        );
    }
}
