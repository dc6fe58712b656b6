//! `DataError`: what went wrong reading a data set or taking a typed view of it.

use std::fmt;

/// A data set that could not be read or does not have the shape asked for.
///
/// ```
/// use shapegrad::data::{DataError, Dataset};
///
/// let err = Dataset::<f64, 2, 3>::from_csv_classes("1,2,0\n3,x,1\n", false).unwrap_err();
/// assert_eq!(err.to_string(), "line 2, column 2: `x` is not a number");
/// assert!(matches!(err, DataError::Csv { line: 2, .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataError {
    /// A line of a CSV text could not be read.
    Csv {
        /// The line, counted from 1.
        line: usize,
        /// The column, counted from 1 (0: the line as a whole).
        column: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A typed view of the whole data set was asked for with another number of rows.
    Rows {
        /// The rows the type asked for.
        expected: usize,
        /// The rows the data set has.
        found: usize,
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Csv {
                line,
                column: 0,
                message,
            } => write!(f, "line {line}: {message}"),
            DataError::Csv {
                line,
                column,
                message,
            } => write!(f, "line {line}, column {column}: {message}"),
            DataError::Rows { expected, found } => write!(
                f,
                "the data set has {found} rows, but a matrix of {expected} rows was asked for \
                 (split it first: Dataset::split_at)"
            ),
        }
    }
}

impl std::error::Error for DataError {}

#[cfg(test)]
mod tests {
    use super::DataError;

    #[test]
    fn messages_name_the_place_and_the_numbers() {
        let csv = DataError::Csv {
            line: 3,
            column: 0,
            message: "expected 4 fields, found 2".into(),
        };
        assert_eq!(csv.to_string(), "line 3: expected 4 fields, found 2");
        let rows = DataError::Rows {
            expected: 10,
            found: 12,
        };
        assert!(rows.to_string().starts_with("the data set has 12 rows"));
    }
}
