//! The integration tests, as one test binary: one module per behaviour, each the file of the
//! same name in this folder (they were separate binaries, `tests/<name>.rs`, each linking
//! shapegrad and every dependency on its own). `cargo test --test integration` runs them all,
//! `cargo test --test integration optim::` one module.
//!
//! Adding a test file: put it in this folder as `tests/integration/<name>.rs` and add one
//! `mod <name>;` line below, in alphabetical order. Inside it, the shared helpers are
//! `use crate::common;` (not `mod common;`), and a `#[path]` or `include_str!` path is
//! relative to this folder (`../../examples/…`). A file that needs an optional part gets
//! `#[cfg(feature = "…")]` on its `mod` line (where it had `required-features` in Cargo.toml),
//! so `cargo test --no-default-features` leaves it out. A test that needs a process of its
//! own (a `#[global_allocator]`, a re-executed binary, a resource limit) stays a binary of
//! its own in `tests/`.

// Each former binary compiled the example it tests by path (`#[path = "../../examples/…"]
// mod digits;` in checkpoint and digits, `mod arm;` in three second_order files); the modules
// keep doing so, so that each file still reads alone and moves stay renames in git.
#![allow(clippy::duplicate_mod, clippy::module_inception)]

#[path = "../common/mod.rs"]
mod common;

mod anomaly;
#[cfg(all(feature = "data", feature = "io"))]
mod batch_sizes;
mod big_matrices;
mod big_matrices_linalg;
mod big_matrices_rows;
mod big_matrices_shapes;
mod caller_location;
#[cfg(all(feature = "data", feature = "io"))]
mod checkpoint;
mod compositions;
mod deprecated;
#[cfg(all(feature = "data", feature = "io"))]
mod digits;
mod dot;
mod dual_scalars;
mod graph;
mod infinities;
mod jacobian;
mod layering;
#[cfg(feature = "second-order")]
mod linalg_second_order;
mod matrix_jacobian;
mod optim;
mod optim_identity;
mod optim_rules;
mod readme;
mod rotations_regression;
#[cfg(feature = "second-order")]
mod rotations_second_order;
#[cfg(feature = "second-order")]
mod second_order;
#[cfg(feature = "second-order")]
mod second_order_compositions;
#[cfg(feature = "second-order")]
mod second_order_f32;
#[cfg(feature = "second-order")]
mod second_order_matrix;
#[cfg(feature = "second-order")]
mod second_order_plain;
mod stack;
mod tape;
#[cfg(feature = "data")]
mod training;
mod two_layer;
