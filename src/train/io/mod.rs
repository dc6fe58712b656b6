//! Saving and loading parameters, by name, in the safetensors format. Feature `io` (on by
//! default; it brings in the crate `safetensors`).
//!
//! [safetensors](https://github.com/huggingface/safetensors) is the format of Hugging Face,
//! candle and burn: a JSON header naming each tensor with its dtype and shape, then the raw
//! little-endian data. [`save`] writes every parameter of a model ([`Parameters`]) under its
//! name (`dense1.weight`, …; see [`Graph::var_named`](crate::Graph::var_named)) as an `F64`
//! or `F32` tensor of shape `[rows, columns]`, row by row, so numpy and PyTorch read the
//! matrix as it is printed. [`load`] reads them into a model built afresh (any graph, any
//! initial values), and checks everything first: a missing name, a wrong shape, a wrong dtype
//! or a tensor the model does not have is a [`LoadError`] and the model is left untouched —
//! never a partial load.
//!
//! ```
//! use shapegrad::nn::Dense;
//! use shapegrad::{Graph, io};
//!
//! let g = Graph::<f64>::new();
//! let model = (Dense::<f64, 4, 8>::new(&g, "hidden", 1), Dense::<f64, 8, 2>::new(&g, "out", 2));
//! let path = std::env::temp_dir().join(format!("shapegrad-io-{}.safetensors", std::process::id()));
//! io::save(&model, &path)?;
//!
//! let fresh = Graph::<f64>::new();
//! let again = (Dense::<f64, 4, 8>::new(&fresh, "hidden", 7), Dense::<f64, 8, 2>::new(&fresh, "out", 8));
//! io::load(&again, &path)?;
//! assert_eq!(again.0.weight.value(), model.0.weight.value());
//!
//! // A model of another shape is refused, and keeps its values.
//! let wrong = Dense::<f64, 4, 9>::new(&fresh, "hidden", 9);
//! let err = io::load(&(wrong, again.1), &path).unwrap_err();
//! assert!(err.to_string().contains("tensor `hidden.weight` has shape [4, 8] in the file, but the parameter is 4×9"));
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! An optimizer's state (Adam's moments and step counts, the step count of a schedule) is
//! saved and loaded the same way, next to the model: see
//! [`Optimizer::save_state`](crate::optim::Optimizer::save_state).

mod crc32;
mod error;
pub(crate) mod file;
pub(crate) mod tensor;

pub use error::{LoadError, SaveError};

use std::collections::HashSet;
use std::path::Path;

use crate::graph::Var;
use crate::kernels::Real;
use crate::train::parameters::{ParameterVisitor, Parameters};
use tensor::{Reader, Tensor};

/// A scalar that safetensors stores: `f32` (dtype `F32`) and `f64` (`F64`).
pub trait Element: Real + sealed::Bytes {}

impl Element for f32 {}
impl Element for f64 {}

pub(crate) mod sealed {
    use safetensors::tensor::Dtype;

    /// How a scalar is stored (sealed).
    pub trait Bytes: Sized {
        const DTYPE: Dtype;
        const BYTES: usize;
        fn append_le(self, out: &mut Vec<u8>);
        fn from_le(bytes: &[u8]) -> Self;
    }

    impl Bytes for f32 {
        const DTYPE: Dtype = Dtype::F32;
        const BYTES: usize = 4;
        fn append_le(self, out: &mut Vec<u8>) {
            out.extend_from_slice(&self.to_le_bytes());
        }
        fn from_le(bytes: &[u8]) -> Self {
            f32::from_le_bytes(bytes.try_into().expect("4 bytes"))
        }
    }

    impl Bytes for f64 {
        const DTYPE: Dtype = Dtype::F64;
        const BYTES: usize = 8;
        fn append_le(self, out: &mut Vec<u8>) {
            out.extend_from_slice(&self.to_le_bytes());
        }
        fn from_le(bytes: &[u8]) -> Self {
            f64::from_le_bytes(bytes.try_into().expect("8 bytes"))
        }
    }
}

/// Writes every parameter of `params` to the safetensors file at `path`, each under its name.
///
/// The file is written atomically: to a temporary file in the same directory, flushed and
/// synced to the disk, then renamed over `path`. If anything fails (a full disk, a file-size
/// limit), the error is returned, the file that was at `path` is left as it was, and the
/// temporary file is removed: the last good checkpoint is never lost. The file carries a
/// CRC-32 of its tensors in its metadata (`shapegrad.crc32`), which [`load`] verifies.
///
/// # Errors
/// [`SaveError::Unnamed`] if a parameter has no name, [`SaveError::DuplicateName`] if two
/// share one, [`SaveError::Io`] if the file cannot be written.
pub fn save<'g, T: Element, P: Parameters<'g, T> + ?Sized>(
    params: &P,
    path: impl AsRef<Path>,
) -> Result<(), SaveError> {
    file::write_atomically(path.as_ref(), &to_bytes(params)?).map_err(SaveError::Io)
}

/// The safetensors bytes [`save`] writes.
///
/// ```
/// let g = shapegrad::Graph::<f32>::new();
/// let w = g.var_named("w", nalgebra::Matrix2x3::<f32>::zeros());
/// let bytes = shapegrad::io::to_bytes(&w)?;
/// assert_eq!(bytes.len() % 8, 0); // header padded to 8 bytes, then 6 × 4 bytes of data
/// # Ok::<(), shapegrad::io::SaveError>(())
/// ```
///
/// # Errors
/// As [`save`], but for the file.
pub fn to_bytes<'g, T: Element, P: Parameters<'g, T> + ?Sized>(
    params: &P,
) -> Result<Vec<u8>, SaveError> {
    tensor::serialize(&named_tensors(params)?, std::collections::HashMap::new())
}

/// Each parameter's name and tensor, in visiting order; an error for a missing or repeated
/// name.
pub(crate) fn named_tensors<'g, T: Element, P: Parameters<'g, T> + ?Sized>(
    params: &P,
) -> Result<Vec<(String, Tensor)>, SaveError> {
    struct Collect {
        tensors: Vec<(String, Tensor)>,
        error: Option<SaveError>,
    }
    impl<'g, T: Element> ParameterVisitor<'g, T> for Collect {
        fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>) {
            if self.error.is_none() {
                match param_name(param) {
                    Ok(name) => self.tensors.push((name, Tensor::matrix(&param.value()))),
                    Err(e) => self.error = Some(e),
                }
            }
        }
    }
    let mut collect = Collect {
        tensors: Vec::new(),
        error: None,
    };
    params.visit(&mut collect);
    let mut seen = HashSet::new();
    for (name, _) in &collect.tensors {
        if !seen.insert(name.as_str()) {
            return Err(SaveError::DuplicateName(name.clone()));
        }
    }
    match collect.error {
        Some(e) => Err(e),
        None => Ok(collect.tensors),
    }
}

/// The parameter's name, or [`SaveError::Unnamed`].
pub(crate) fn param_name<T: Real, const R: usize, const C: usize>(
    param: Var<'_, T, R, C>,
) -> Result<String, SaveError> {
    param.name().ok_or(SaveError::Unnamed {
        node: param.id(),
        shape: (R, C),
    })
}

/// Reads the parameters of `params` from the safetensors file at `path`, by name.
///
/// Every parameter must be in the file with its shape and the graph's dtype, and the file
/// must hold nothing else; otherwise nothing is loaded and the error says what differs.
///
/// # Errors
/// [`LoadError::Io`] if the file cannot be read, [`LoadError::Format`] if it is not
/// safetensors, [`LoadError::Checksum`] if its tensors do not match the checksum it carries
/// (a file without one, as other tools write them, is not checked), [`LoadError::Missing`], [`LoadError::WrongShape`], [`LoadError::WrongDtype`]
/// or [`LoadError::Unexpected`] if it does not fit the model, [`LoadError::Names`] if the
/// model's names are missing or repeated.
pub fn load<'g, T: Element, P: Parameters<'g, T> + ?Sized>(
    params: &P,
    path: impl AsRef<Path>,
) -> Result<(), LoadError> {
    from_bytes(params, &std::fs::read(path).map_err(LoadError::Io)?)
}

/// [`load`] from safetensors bytes.
///
/// # Errors
/// As [`load`], but for the file.
pub fn from_bytes<'g, T: Element, P: Parameters<'g, T> + ?Sized>(
    params: &P,
    bytes: &[u8],
) -> Result<(), LoadError> {
    let mut reader = Reader::new(bytes)?;
    // Read and check everything first…
    struct Read<'r, 'a> {
        reader: &'r mut Reader<'a>,
        names: HashSet<String>,
        staged: Vec<Box<dyn std::any::Any>>,
        error: Option<LoadError>,
    }
    impl<'g, T: Element> ParameterVisitor<'g, T> for Read<'_, '_> {
        fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>) {
            if self.error.is_some() {
                return;
            }
            let read = checked_name(param, &mut self.names)
                .and_then(|name| self.reader.matrix::<T, R, C>(&name));
            match read {
                Ok(values) => self.staged.push(Box::new(values)),
                Err(e) => self.error = Some(e),
            }
        }
    }
    let mut read = Read {
        reader: &mut reader,
        names: HashSet::new(),
        staged: Vec::new(),
        error: None,
    };
    params.visit(&mut read);
    if let Some(e) = read.error {
        return Err(e);
    }
    let staged = read.staged;
    reader.finish()?;
    // …then write.
    struct Write(std::vec::IntoIter<Box<dyn std::any::Any>>);
    impl<'g, T: Element> ParameterVisitor<'g, T> for Write {
        fn param<const R: usize, const C: usize>(&mut self, param: Var<'g, T, R, C>) {
            let values = self.0.next().expect("one staged value per parameter");
            let values = values.downcast::<Vec<T>>().expect("staged as Vec<T>");
            param.update_in_place(|m| m.copy_from_slice(&values));
        }
    }
    params.visit(&mut Write(staged.into_iter()));
    Ok(())
}

/// The parameter's name, checked to be there and not seen before, as a [`LoadError`].
pub(crate) fn checked_name<T: Real, const R: usize, const C: usize>(
    param: Var<'_, T, R, C>,
    seen: &mut HashSet<String>,
) -> Result<String, LoadError> {
    let name = param_name(param).map_err(|e| LoadError::Names(e.to_string()))?;
    if !seen.insert(name.clone()) {
        return Err(LoadError::Names(SaveError::DuplicateName(name).to_string()));
    }
    Ok(name)
}
