//! Layer 7, training: what a model's parameters are (`parameters`, re-exported by [`optim`]),
//! layers with typed sizes ([`nn`]), optimizers ([`optim`]), data sets and mini-batches
//! (`data`, `datasets`: feature `data`), saving and loading (`io`: feature `io`, which also
//! gates the optimizers' `checkpoint`). Inside the layer, `parameters` comes first; `io` uses
//! it, and `optim` uses both (optimizer states are saved through `io`).

#[cfg(feature = "data")]
pub mod data;
#[cfg(feature = "data")]
pub mod datasets;
#[cfg(feature = "io")]
pub mod io;
pub mod nn;
pub mod optim;
pub(crate) mod parameters;
