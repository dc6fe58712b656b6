//! Reading a data set from CSV text: `I` numbers per line, then the target.

use nalgebra::SMatrix;

use super::{DataError, Dataset};
use crate::kernels::Real;

impl<T: Real, const I: usize, const O: usize> Dataset<T, I, O> {
    /// A classification data set from CSV text: each line holds `I` numbers (the inputs) and
    /// then a class index in `0..O` (the label, stored one-hot). Fields are separated by
    /// commas; blank lines are skipped; with `header` the first line is skipped.
    ///
    /// ```
    /// use shapegrad::data::Dataset;
    ///
    /// let text = "x0,x1,class\n0.5,1.0,2\n-1,0,0\n";
    /// let data = Dataset::<f64, 2, 3>::from_csv_classes(text, true)?;
    /// assert_eq!(data.len(), 2);
    /// assert_eq!(data.class(0), 2);
    /// assert_eq!(data.input(1), nalgebra::Matrix1x2::new(-1.0, 0.0));
    /// # Ok::<(), shapegrad::data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// A [`DataError::Csv`] naming the line and column of the first field that is not a
    /// number, a label that is not an integer in `0..O`, or a line with another number of
    /// fields than `I + 1`.
    pub fn from_csv_classes(text: &str, header: bool) -> Result<Self, DataError> {
        let mut data = Dataset::new();
        for (line, fields) in lines(text, header, I + 1)? {
            let input = parse_row::<T, I>(line, &fields[..I])?;
            let class = fields[I].trim();
            let label = class
                .parse::<usize>()
                .ok()
                .filter(|&c| c < O)
                .ok_or_else(|| DataError::Csv {
                    line,
                    column: I + 1,
                    message: format!("`{class}` is not a class index in 0..{O}"),
                })?;
            data.push_class(&input, label);
        }
        Ok(data)
    }

    /// A data set from CSV text whose lines hold `I` inputs and then `O` target values (a
    /// regression target, or class probabilities). As [`Dataset::from_csv_classes`]
    /// otherwise.
    ///
    /// ```
    /// let text = "1,2,0.5\n3,4,-0.5\n";
    /// let data = shapegrad::data::Dataset::<f64, 2, 1>::from_csv_targets(text, false)?;
    /// assert_eq!(data.target(1)[0], -0.5);
    /// # Ok::<(), shapegrad::data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// A [`DataError::Csv`] naming the line and column of the first bad field or the line
    /// with the wrong number of fields.
    pub fn from_csv_targets(text: &str, header: bool) -> Result<Self, DataError> {
        let mut data = Dataset::new();
        for (line, fields) in lines(text, header, I + O)? {
            let input = parse_row::<T, I>(line, &fields[..I])?;
            let target = parse_row::<T, O>(line, &fields[I..]).map_err(|e| shift(e, I))?;
            data.push(&input, &target);
        }
        Ok(data)
    }
}

/// The non-blank lines (numbered from 1) split into exactly `fields` fields.
fn lines(text: &str, header: bool, fields: usize) -> Result<Vec<(usize, Vec<&str>)>, DataError> {
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate().skip(usize::from(header)) {
        if line.trim().is_empty() {
            continue;
        }
        let split: Vec<&str> = line.split(',').collect();
        if split.len() != fields {
            return Err(DataError::Csv {
                line: index + 1,
                column: 0,
                message: format!("expected {fields} fields, found {}", split.len()),
            });
        }
        rows.push((index + 1, split));
    }
    Ok(rows)
}

/// `N` fields as a 1×N row.
fn parse_row<T: Real, const N: usize>(
    line: usize,
    fields: &[&str],
) -> Result<SMatrix<T, 1, N>, DataError> {
    let mut row = SMatrix::<T, 1, N>::zeros();
    for (column, (entry, field)) in row.iter_mut().zip(fields).enumerate() {
        let field = field.trim();
        let value: f64 = field.parse().map_err(|_| DataError::Csv {
            line,
            column: column + 1,
            message: format!("`{field}` is not a number"),
        })?;
        *entry = nalgebra::convert(value);
    }
    Ok(row)
}

/// The same error with its column moved right by `by` (for the target fields).
fn shift(error: DataError, by: usize) -> DataError {
    match error {
        DataError::Csv {
            line,
            column,
            message,
        } => DataError::Csv {
            line,
            column: column + by,
            message,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DataError, Dataset};

    #[test]
    fn every_mistake_names_its_line_and_column() {
        let err = |text: &str| Dataset::<f64, 2, 3>::from_csv_classes(text, false).unwrap_err();
        assert_eq!(
            err("1,2,0\n\n1,2\n").to_string(),
            "line 3: expected 3 fields, found 2"
        );
        assert_eq!(
            err("1,2,3\n").to_string(),
            "line 1, column 3: `3` is not a class index in 0..3"
        );
        assert_eq!(
            err("1,2,-1\n").to_string(),
            "line 1, column 3: `-1` is not a class index in 0..3"
        );
        let targets = Dataset::<f64, 1, 2>::from_csv_targets("1,2,3\n4,5,z\n", false);
        assert_eq!(
            targets.unwrap_err(),
            DataError::Csv {
                line: 2,
                column: 3,
                message: "`z` is not a number".into()
            }
        );
    }

    #[test]
    fn blank_lines_spaces_and_a_header_are_skipped() {
        let text = "a,b,label\n 1 , 2 , 1 \n\n3,4,0\n";
        let data = Dataset::<f32, 2, 2>::from_csv_classes(text, true).unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(data.input(0), nalgebra::Matrix1x2::new(1.0, 2.0));
        assert_eq!((data.class(0), data.class(1)), (1, 0));
        assert_eq!(data.target(0), nalgebra::Matrix1x2::new(0.0, 1.0));
    }
}
