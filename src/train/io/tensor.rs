//! Matrices as safetensors tensors: row-major little-endian bytes of shape [R, C]; the
//! checksum of a file's tensors, written and verified.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use nalgebra::SMatrix;
use safetensors::tensor::{Dtype, SafeTensors, View};

use super::crc32::Crc32;
use super::{Element, LoadError};

/// The metadata key of the checksum: the CRC-32 (IEEE, as `zlib.crc32`) of the tensors' data
/// bytes, the tensors taken in the byte order of their names, as eight lowercase hex digits.
pub(crate) const CHECKSUM: &str = "shapegrad.crc32";

/// The checksum of named data, in the byte order of the names.
fn checksum<'a>(mut tensors: Vec<(&'a str, &'a [u8])>) -> u32 {
    tensors.sort_unstable_by_key(|&(name, _)| name);
    let mut crc = Crc32::new();
    for (_, data) in tensors {
        crc.update(data);
    }
    crc.value()
}

/// One tensor to write: dtype, shape and its bytes.
pub(crate) struct Tensor {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for &Tensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

impl Tensor {
    /// An R×C matrix, stored row by row (as numpy and PyTorch read it).
    pub(crate) fn matrix<T: Element, const R: usize, const C: usize>(m: &SMatrix<T, R, C>) -> Self {
        let mut bytes = Vec::with_capacity(R * C * T::BYTES);
        for r in 0..R {
            for c in 0..C {
                m[(r, c)].append_le(&mut bytes);
            }
        }
        Tensor {
            dtype: T::DTYPE,
            shape: vec![R, C],
            bytes,
        }
    }

    /// A counter, a U64 scalar (shape []).
    pub(crate) fn counter(n: u64) -> Self {
        Tensor {
            dtype: Dtype::U64,
            shape: Vec::new(),
            bytes: n.to_le_bytes().to_vec(),
        }
    }
}

/// A parsed file and the names read from it so far (to find the tensors nobody asked for).
pub(crate) struct Reader<'a> {
    file: SafeTensors<'a>,
    metadata: HashMap<String, String>,
    read: HashSet<String>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Self, LoadError> {
        let format = |e: safetensors::SafeTensorError| LoadError::Format(e.to_string());
        let file = SafeTensors::deserialize(bytes).map_err(format)?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(format)?;
        let reader = Reader {
            file,
            metadata: header.metadata().clone().unwrap_or_default(),
            read: HashSet::new(),
        };
        reader.verify()?;
        Ok(reader)
    }

    /// Checks the tensors against the file's checksum, if it has one (files written by other
    /// tools, or by shapegrad before it wrote checksums, have none and are not checked).
    fn verify(&self) -> Result<(), LoadError> {
        let Some(stored) = self.metadata(CHECKSUM) else {
            return Ok(());
        };
        let stored = u32::from_str_radix(stored, 16).map_err(|_| {
            LoadError::Format(format!(
                "the checksum `{stored}` in the metadata is not 8 hex digits"
            ))
        })?;
        let tensors = self.file.tensors();
        let computed = checksum(
            tensors
                .iter()
                .map(|(n, v)| (n.as_str(), v.data()))
                .collect(),
        );
        if computed == stored {
            Ok(())
        } else {
            Err(LoadError::Checksum { stored, computed })
        }
    }

    /// The file's metadata entry `key`, if any.
    pub(crate) fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// Tensor `name` as an R×C matrix of `T`.
    pub(crate) fn matrix<T: Element, const R: usize, const C: usize>(
        &mut self,
        name: &str,
    ) -> Result<Vec<T>, LoadError> {
        let expected = vec![R, C];
        let bytes = self.bytes(name, T::DTYPE, expected)?;
        // Row-major in the file, column-major in nalgebra.
        let mut out = vec![T::zero(); R * C];
        for (k, chunk) in bytes.chunks_exact(T::BYTES).enumerate() {
            let (r, c) = (k / C.max(1), k % C.max(1));
            out[r + c * R] = T::from_le(chunk);
        }
        Ok(out)
    }

    /// Tensor `name` as a U64 counter.
    pub(crate) fn counter(&mut self, name: &str) -> Result<u64, LoadError> {
        let bytes = self.bytes(name, Dtype::U64, Vec::new())?;
        Ok(u64::from_le_bytes(
            bytes.try_into().expect("a U64 scalar is 8 bytes"),
        ))
    }

    fn bytes(
        &mut self,
        name: &str,
        dtype: Dtype,
        expected: Vec<usize>,
    ) -> Result<&'a [u8], LoadError> {
        let view = self.file.tensor(name).map_err(|_| LoadError::Missing {
            name: name.to_owned(),
            expected: expected.clone(),
        })?;
        if view.dtype() != dtype {
            return Err(LoadError::WrongDtype {
                name: name.to_owned(),
                expected: dtype_name(dtype),
                found: format!("{:?}", view.dtype()),
            });
        }
        if view.shape() != expected.as_slice() {
            return Err(LoadError::WrongShape {
                name: name.to_owned(),
                expected,
                found: view.shape().to_vec(),
            });
        }
        self.read.insert(name.to_owned());
        Ok(view.data())
    }

    /// An error naming the tensors of the file that were not read, if any.
    pub(crate) fn finish(&self) -> Result<(), LoadError> {
        let mut names: Vec<String> = self
            .file
            .names()
            .into_iter()
            .filter(|name| !self.read.contains(*name))
            .map(str::to_owned)
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        names.sort();
        Err(LoadError::Unexpected { names })
    }
}

fn dtype_name(dtype: Dtype) -> &'static str {
    match dtype {
        Dtype::F32 => "F32",
        Dtype::F64 => "F64",
        _ => "U64",
    }
}

/// Writes named tensors, with string metadata and the tensors' [`CHECKSUM`], to safetensors
/// bytes.
pub(crate) fn serialize(
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>, super::SaveError> {
    let mut metadata = metadata;
    let data = tensors
        .iter()
        .map(|(n, t)| (n.as_str(), t.bytes.as_slice()));
    let crc = checksum(data.collect());
    metadata.insert(CHECKSUM.to_owned(), format!("{crc:08x}"));
    safetensors::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), Some(metadata))
        .map_err(|e| super::SaveError::Format(e.to_string()))
}
