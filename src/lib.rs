//! Reverse-mode automatic differentiation in which every matrix carries its dimensions in its
//! type, so the compiler does the dimensional analysis of backprop.
//!
//! Matrices are nalgebra's static matrices, `SMatrix<T, R, C>`. Each op has a typed forward
//! and a typed backward ([`Op`]): the backward accepts only a gradient of the output's shape
//! and returns gradients of exactly the inputs' shapes. A [`Graph`] records ops on [`Var`]
//! handles, caches their values, runs backward in reverse and adds gradients where a value
//! forks; [`Gradients::wrt`] hands back each gradient in its variable's own shape.
//!
//! ```
//! use nalgebra::{SMatrix, Matrix5x3};
//! use shapegrad::Graph;
//!
//! let g = Graph::<f64>::new();
//! let w = g.var(SMatrix::<f64, 5, 10>::repeat(0.1)); // W: 5×10
//! let x = g.var(SMatrix::<f64, 10, 3>::repeat(1.0)); // x: 10×3
//! let d = w * x;                                      // D: 5×3
//! let loss = d.relu().sum();
//!
//! let grads = loss.backward();
//! let d_w: &SMatrix<f64, 5, 10> = grads.wrt(w);     // dW has W's shape
//! assert_eq!(*d_w, SMatrix::<f64, 5, 10>::repeat(3.0));
//! // let oops: &Matrix5x3<f64> = grads.wrt(w);      // does not compile: 5×10 is not 5×3
//! # let _ = Matrix5x3::<f64>::zeros();
//! ```
//!
//! # The layers
//!
//! The crate reads top-down as eight layers, one folder each; a folder uses only the folders
//! above it in this list (`tests/integration/layering.rs` checks every `use crate::` path):
//!
//! ```text
//! kernels/   numerics that know nothing of graphs: the scalar trait Real, GEMM, vectorised
//!            exp/ln/tanh/…, reductions, scratch buffers
//! contract/  the typed op contract: Value, the flat layout (the only unsafe), Inputs,
//!            GradSlot, Op, typed products (product), shape arithmetic (shape)
//! tape/      type-erased storage and walks: nodes, versions, plans, gradient buffers
//! graph/     Graph, Var, VarTuple, Handle, Gradients
//! ops/       one file per op, with its sugar on Var; Activation, Labels
//! diff/      numerical checks (check), Jacobians (jacobian), second order (second_order),
//!            code generation (codegen)
//! train/     layers (nn), optimizers (optim), data sets (data, datasets), saving (io)
//! viz/       Graphviz drawings of a graph
//! ```
//!
//! The public paths are flat re-exports (`shapegrad::Graph`, `shapegrad::ops::MatMul`,
//! `shapegrad::optim::Adam`, …): the folders are how the source is organised, not how it is
//! used.
//!
//! # Notation
//!
//! `T` scalar (`f32`, `f64`, or a dual number, see [`second_order`]), `R` rows, `C` columns,
//! `K` a contracted dimension;
//! `dOut` is ∂loss/∂output and `dA`, `dB` are ∂loss/∂input; `·` is the matrix product, `∘` the
//! element-wise product, `[p]` is 1 where `p` holds and 0 elsewhere.
//!
//! # The ops
//!
//! See [`ops`] for the table of ops with their shape and gradient rules. Your own op
//! implements [`Op`]; write the products of its backward with [`product`]'s `mul`, `tr_mul`
//! and `mul_tr`, whose signatures are the shape rules.
//!
//! # Replay and what it costs
//!
//! A built graph is replayed by giving its leaves new values ([`Var::set_value`],
//! [`Var::update_value`]) and reading values or running backward again; a replayed step (set
//! leaves, backward, read gradients) makes no heap allocation. It costs what changed and what
//! is read, not the whole tape: a read recomputes only the ancestors whose inputs changed, and
//! a backward pass visits only the nodes between its root and the vars, so outputs that are
//! not read (an evaluation head, an unrelated product) cost nothing. See [`Graph`] for the cost
//! model and examples. For a loop over a small graph, [`Graph::replay`] gives a [`Replay`]
//! that holds the graph across steps and reads and writes by offsets found once ([`Place`]).
//!
//! # Owning a graph
//!
//! A [`Graph`] is `Send` and has an identity; [`Var::handle`] gives a lifetime-free
//! [`Handle`] (`Copy`, `Send`, `'static`, the shape in its type) that [`Graph::at`] turns back
//! into a [`Var`], so a controller or a model can own its graph next to the handles of its
//! nodes and move to another thread.
//!
//! # Checking gradients, Jacobians, drawings
//!
//! [`check::gradcheck`] compares every analytic gradient of a graph with central differences
//! and reports the worst entry; [`jacobian`] gives Jacobians with their dimensions in the types
//! (M×N for f: Rᴺ → Rᴹ, and the four-index ∂Y\[i,j\]/∂X\[k,l\] of a matrix function), Jacobian
//! products and Hessians; [`Graph::to_dot`] draws the graph with its values and gradients.
//!
//! # Robotics and second order
//!
//! [`ops`] has the kinematics pieces (`sin`, `cos`, `atan2`, `cross`, `norm` with gradient 0
//! at 0, `clamp`, `minimum`, `detach`). [`second_order`] runs a graph on dual-number scalars
//! (the crate [`num_dual`]) for exact Hessians in one backward pass, Hessian-vector products
//! and forward-mode Jacobians, of a function you write once, generic over the scalar, in
//! `f64` or `f32`, for vector or matrix inputs; its `…_of_fn` entry points do the same for a
//! plain nalgebra function with no graph (hand-written, or generated from a graph):
//! `cargo run --release --example robot_arm` does inverse kinematics and Newton steps with
//! them.
//!
//! # Training
//!
//! [`nn::Dense`] layers with typed sizes and the optimizers of [`optim`] (SGD, momentum, Adam
//! and AdamW, whose per-parameter states have each parameter's shape; learning-rate schedules
//! and gradient clipping) train a model on one graph, replayed every step. [`data`] holds
//! data sets of rows and draws typed mini-batches from them (shuffled per epoch, the last one
//! padded with zero-weight rows for the weighted losses); [`io`] saves and loads parameters
//! and optimizer states by name in safetensors. [`datasets::spiral`] is the course notes'
//! toy data set, [`datasets::digits`] UCI's optical digits. The examples
//! `cargo run --release --example spiral` (the notes' two-layer classifier) and
//! `cargo run --release --example digits` (a real data set, mini-batches, save and reload)
//! show the whole loop; [`nn`] shows one model used at several batch sizes.
//!
//! # Features
//!
//! Four optional parts, all on by default; with `default-features = false` shapegrad is the
//! graph, the ops, the checks, the Jacobians, the layers and the optimizers (without saving),
//! and pulls in none of the crates of the table's last column.
//!
//! | feature | gates | pulls in |
//! |---|---|---|
//! | `io` | [`io`], [`Optimizer::save_state`] and the other methods that save or load, the trait [`SaveState`] | `safetensors` (with serde, serde_json, tempfile) |
//! | `second-order` | [`second_order`], the re-export [`num_dual`] | `num-dual` |
//! | `data` | [`data`], [`datasets`] (with the digits data compiled in) | nothing |
//! | `simd` | the run-time CPU dispatch of the matrix product and of exp, ln, tanh, sigmoid and softplus | `multiversion` (a proc macro: syn) |
//!
//! Without `simd` the same loops run, compiled for the target the crate is built for (the
//! x86-64 baseline unless `-C target-cpu` says more). The element-wise functions give the same
//! bits with and without it (they use no fused multiply-add; a test compares the versions);
//! the matrix product's AVX2 and AVX-512 versions use fused multiply-adds, so its results can
//! differ in the last bits. A dependent crate's clean debug build, with and without the
//! default features: README, "Features and build time".
// The links to the optional parts; without a feature, its links point at the table above.
#![cfg_attr(
    feature = "io",
    doc = "",
    doc = "[`io`]: crate::io",
    doc = "[`Optimizer::save_state`]: crate::optim::Optimizer::save_state",
    doc = "[`SaveState`]: crate::optim::SaveState"
)]
#![cfg_attr(
    not(feature = "io"),
    doc = "",
    doc = "[`io`]: #features",
    doc = "[`Optimizer::save_state`]: #features",
    doc = "[`SaveState`]: #features"
)]
#![cfg_attr(
    feature = "second-order",
    doc = "[`second_order`]: crate::second_order",
    doc = "[`num_dual`]: crate::num_dual"
)]
#![cfg_attr(
    not(feature = "second-order"),
    doc = "[`second_order`]: #features",
    doc = "[`num_dual`]: #features"
)]
#![cfg_attr(
    feature = "data",
    doc = "[`data`]: crate::data",
    doc = "[`datasets`]: crate::datasets",
    doc = "[`datasets::spiral`]: crate::datasets::spiral",
    doc = "[`datasets::digits`]: crate::datasets::digits"
)]
#![cfg_attr(
    not(feature = "data"),
    doc = "[`data`]: #features",
    doc = "[`datasets`]: #features",
    doc = "[`datasets::spiral`]: #features",
    doc = "[`datasets::digits`]: #features"
)]
// `unsafe` is denied everywhere but `src/contract/layout.rs`, which reads matrices in place in
// a graph's flat buffers (its module docs give the invariants and the benchmark that needs it:
// `cargo bench -p shapegrad-benches --bench storage`).
#![deny(unsafe_code)]
#![warn(missing_docs)]
// Doc examples may not drop what is pointless to drop (a `Var`, `Gradients`, a report, options).
#![doc(test(attr(deny(unused_must_use))))]

// The layers, in order: each uses only those above it (`tests/integration/layering.rs`).
// 1. Numerics that know nothing of graphs.
mod kernels;
// 2. The typed op contract.
mod contract;
// 3. Type-erased storage and walks.
mod tape;
// 4. Graph, Var, Handle, Gradients.
mod graph;
// 5. One file per op.
pub mod ops;
// 6. Checks, Jacobians, second order.
mod diff;
// 7. Layers, optimizers, data, saving.
mod train;
// 8. Graphviz drawings.
pub mod viz;

pub use contract::{GradSlot, Inputs, Op, RustExpr, Value, boxed, product, shape};
#[cfg(feature = "second-order")]
pub use diff::second_order;
pub use diff::{check, codegen, jacobian};
pub use graph::{Gradients, Graph, Handle, Loss, Place, Replay, Var, VarTuple};
pub use kernels::budget::DEFAULT_THREAD_CACHE_BYTES;
pub use kernels::{Real, fused_multiply_add, set_fused_multiply_add};
pub use ops::{Activation, LabelError, Labels};
pub use tape::pool::{
    release_thread_caches, set_thread_cache_budget, thread_cache_budget, thread_cache_bytes,
};
#[cfg(feature = "io")]
pub use train::io;
#[cfg(feature = "data")]
pub use train::{data, datasets};
pub use train::{nn, optim};

/// The dual numbers [`second_order`] runs graphs on (the crate `num-dual` 0.15), re-exported
/// so that its version always matches shapegrad's. Feature `second-order`.
#[cfg(feature = "second-order")]
pub use num_dual;

/// The crate `nalgebra` (0.35), re-exported so that its version always matches shapegrad's:
/// code generated by [`codegen`] names its matrices `shapegrad::nalgebra::SMatrix`.
pub use nalgebra;

/// The crate `approx` (0.5, the version nalgebra 0.35 implements), re-exported so that its
/// version always matches shapegrad's: [`MatrixJacobian`](jacobian::MatrixJacobian)
/// implements its `AbsDiffEq`, `RelativeEq` and `UlpsEq`, as nalgebra's matrices do.
pub use approx;

/// The Graphviz drawings, under their old name: use [`viz`] (`ops::Dot` is the dot product).
pub mod dot {
    use crate::graph::Graph;
    use crate::kernels::Real;

    /// The drawing options, now [`viz::DotOptions`](crate::viz::DotOptions).
    #[deprecated(since = "0.3.0", note = "moved to `shapegrad::viz::DotOptions`")]
    pub type DotOptions = crate::viz::DotOptions;

    /// Several graphs in one drawing, now [`viz::to_dot_many`](crate::viz::to_dot_many).
    #[deprecated(since = "0.3.0", note = "moved to `shapegrad::viz::to_dot_many`")]
    pub fn to_dot_many<T: Real>(graphs: &[(&Graph<T>, &crate::viz::DotOptions)]) -> String {
        crate::viz::to_dot_many(graphs)
    }
}

// The README's examples use the default features.
#[cfg(all(doctest, feature = "io", feature = "second-order", feature = "data"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
