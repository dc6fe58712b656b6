//! Layer 7, training: what a model's parameters are (`parameters`, re-exported by [`optim`]),
//! layers with typed sizes ([`nn`]), optimizers ([`optim`]), data sets and mini-batches
//! ([`data`], [`datasets`]), saving and loading ([`io`]). Inside the layer, `parameters` comes
//! first; `io` uses it, and `optim` uses both (optimizer states are saved through `io`).

pub mod data;
pub mod datasets;
pub mod io;
pub mod nn;
pub mod optim;
pub(crate) mod parameters;
