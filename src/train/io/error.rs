//! `SaveError` and `LoadError`: what went wrong writing or reading a safetensors file.

use std::fmt;

/// A model or optimizer state that could not be saved.
#[derive(Debug)]
#[non_exhaustive]
pub enum SaveError {
    /// A parameter has no name to store it under.
    Unnamed {
        /// The parameter's node id.
        node: usize,
        /// Its (rows, columns).
        shape: (usize, usize),
    },
    /// Two parameters have the same name.
    DuplicateName(String),
    /// The file could not be written.
    Io(std::io::Error),
    /// The safetensors library refused the tensors (its message).
    Format(String),
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaveError::Unnamed { node, shape } => write!(
                f,
                "parameter node {node} ({}×{}) has no name to save it under; create it with \
                 Graph::var_named (nn::Dense names its weight and bias)",
                shape.0, shape.1
            ),
            SaveError::DuplicateName(name) => write!(
                f,
                "two parameters are named `{name}`; give each layer its own name"
            ),
            SaveError::Io(e) => write!(f, "could not write the file: {e}"),
            SaveError::Format(e) => write!(f, "could not serialize the tensors: {e}"),
        }
    }
}

impl std::error::Error for SaveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SaveError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// A safetensors file that does not fit the model (or optimizer) it is loaded into. Nothing
/// is changed when loading fails: either every tensor is loaded, or none is.
///
/// ```
/// use nalgebra::{Matrix2, Matrix2x3};
/// use shapegrad::{Graph, io};
///
/// let g = Graph::<f64>::new();
/// let w = g.var_named("w", Matrix2::<f64>::identity());
/// let bytes = io::to_bytes(&w)?;
///
/// let other = Graph::<f64>::new();
/// let wide = other.var_named("w", Matrix2x3::zeros());
/// let err = io::from_bytes(&wide, &bytes).unwrap_err();
/// assert_eq!(err.to_string(), "tensor `w` has shape [2, 2] in the file, but the parameter is 2×3");
/// assert_eq!(wide.value(), Matrix2x3::zeros()); // untouched
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The bytes are not a safetensors file (the safetensors library's message).
    Format(String),
    /// The model has a parameter of this name, but the file has no tensor of it.
    Missing {
        /// The tensor's name.
        name: String,
        /// The shape the model expects, [rows, columns] (`[]` for a counter).
        expected: Vec<usize>,
    },
    /// The file's tensor has another shape than the parameter.
    WrongShape {
        /// The tensor's name.
        name: String,
        /// The shape the model expects, [rows, columns].
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// The file's tensor has another element type than the graph's scalar.
    WrongDtype {
        /// The tensor's name.
        name: String,
        /// The safetensors dtype the graph's scalar needs: `F32`, `F64` (or `U64` for a
        /// counter).
        expected: &'static str,
        /// The dtype in the file.
        found: String,
    },
    /// The file has tensors the model does not (a file of another model, or of a model with
    /// more layers).
    Unexpected {
        /// Their names, sorted.
        names: Vec<String>,
    },
    /// A parameter of the model has no name, or two have the same name (see [`SaveError`]).
    Names(String),
    /// The tensors' data does not match the checksum the file carries: the file was damaged
    /// (a flipped bit, a truncated copy) after it was written. Files without a checksum are
    /// not checked.
    Checksum {
        /// The CRC-32 stored in the file's metadata.
        stored: u32,
        /// The CRC-32 of the tensors as read.
        computed: u32,
    },
    /// An optimizer state file that was saved by another rule, or is not one.
    WrongRule {
        /// The rule of the optimizer loading it.
        expected: &'static str,
        /// The rule recorded in the file (empty if none).
        found: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "could not read the file: {e}"),
            LoadError::Format(e) => write!(f, "not a safetensors file: {e}"),
            LoadError::Missing { name, expected } => write!(
                f,
                "the file has no tensor `{name}` (the model expects one of shape {expected:?})"
            ),
            LoadError::WrongShape {
                name,
                expected,
                found,
            } => match expected.as_slice() {
                [r, c] => write!(
                    f,
                    "tensor `{name}` has shape {found:?} in the file, but the parameter is {r}×{c}"
                ),
                _ => write!(
                    f,
                    "tensor `{name}` has shape {found:?} in the file, but {expected:?} is expected"
                ),
            },
            LoadError::WrongDtype {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` holds {found} in the file, but the graph needs {expected}"
            ),
            LoadError::Unexpected { names } => write!(
                f,
                "the file has {} tensor(s) the model does not: {}",
                names.len(),
                names.join(", ")
            ),
            LoadError::Names(message) => f.write_str(message),
            LoadError::Checksum { stored, computed } => write!(
                f,
                "the tensors do not match the file's checksum (CRC-32 {stored:08x} stored, \
                 {computed:08x} computed): the file was damaged after it was written"
            ),
            LoadError::WrongRule { expected, found } if found.is_empty() => write!(
                f,
                "the file holds no optimizer state (no `rule` in its metadata); this optimizer's \
                 rule is {expected}"
            ),
            LoadError::WrongRule { expected, found } => write!(
                f,
                "the file holds the state of a {found} optimizer, but this optimizer's rule is \
                 {expected}"
            ),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Io(e) => Some(e),
            _ => None,
        }
    }
}
