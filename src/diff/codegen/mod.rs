//! Code generation: a graph written out as Rust, for a fixed function evaluated millions of
//! times (a robot's kinematics in a control loop, an MPC cost inside a solver, a controller on
//! a small board).
//!
//! A [`Module`] names a graph's inputs (leaves, in order) and outputs; [`Module::to_rust`]
//! writes a module of plain functions that compute them, generic over the scalar:
//!
//! ```
//! use nalgebra::{Matrix3, RowVector3, Vector3};
//! use shapegrad::Graph;
//!
//! // A planar 3-link arm: the tip (x, y) at joint angles q.
//! let g = Graph::<f64>::new();
//! let q = g.var_named("q", Vector3::zeros());
//! let sums = Matrix3::new(1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0);
//! let theta = g.constant(sums) * q; // absolute link angles
//! let links = g.constant(RowVector3::new(1.0, 0.8, 0.5));
//! let p = (links * theta.cos()).vstack(links * theta.sin());
//!
//! let src: String = shapegrad::codegen::Module::new("arm").input(q).output(p).to_rust()?;
//! assert!(src.contains("pub fn value<T: Real>(q: &SMatrix<T, 3, 1>) -> SMatrix<T, 2, 1> {"));
//! assert!(src.contains("pub fn jacobian<T: Real>(q: &SMatrix<T, 3, 1>) -> SMatrix<T, 2, 3> {"));
//! # Ok::<(), shapegrad::codegen::Error>(())
//! ```
//!
//! The text is a module, `pub mod arm { … }`, for a file that your crate compiles (with
//! `include!`, or as a module of its own). For an N×1 input `q` and an M×1 output `p` it holds
//!
//! ```text
//! pub fn value<T: Real>(q: &SMatrix<T, N, 1>) -> SMatrix<T, M, 1>;
//! /// (p, ∂⟨d_p, p⟩/∂q): the value and the vector-Jacobian product.
//! pub fn vjp<T: Real>(q: &SMatrix<T, N, 1>, d_p: &SMatrix<T, M, 1>)
//!     -> (SMatrix<T, M, 1>, SMatrix<T, N, 1>);
//! pub fn jacobian<T: Real>(q: &SMatrix<T, N, 1>) -> SMatrix<T, M, N>;
//! pub fn value_and_jacobian<T: Real>(q: &SMatrix<T, N, 1>) -> (SMatrix<T, M, 1>, SMatrix<T, M, N>);
//! ```
//!
//! and, for a 1×1 output, `gradient` and `value_and_gradient`. Inputs and outputs may be
//! matrices of any shape; with several, the parameters and results come in the order given
//! (results as tuples: `vjp` returns `((p, r), (d_q, d_x))`). A var given as an input gets a
//! gradient; a constant given as an input is a parameter without one (as in the graph).
//! Every other leaf the outputs depend on is written into the code as a constant, converted
//! to `T` exactly (`f64` literals that round-trip).
//!
//! # What the generated code is
//!
//! A straight line of typed calls to the ops' own [`Op::forward_into`] and
//! [`Op::backward_into`] on stack values, in the graph's order, with the gradients added where
//! a value forks exactly as the graph adds them (the first contribution overwrites, later ones
//! add): one implementation of each op's math serves the graph and the generated code, and
//! the generated values and gradients are the graph's, bit for bit. rustc checks every shape
//! again and LLVM inlines the calls; there is no tape, no `dyn`, no `unsafe` and no heap
//! allocation (shapegrad's matrix product keeps a workspace per thread for its large sizes).
//! The functions are plain `fn`s, so they are `Send + Sync` and run on any number of threads
//! at once. Because they are generic over the scalar they also run on dual numbers: forward
//! mode over `value` gives Jacobians and Hessians (`second_order::jacobian_of_fn(arm::value, q)`,
//! `hessian_of_fn`).
//!
//! The text is laid out as rustfmt lays it out and passes clippy. It starts with a header that
//! names the generator's version and a hash of the graph ([`Module::hash`]), also the module's
//! constants `GENERATOR` and `GRAPH_HASH`; it has no inner doc comments, so `include!` takes
//! it.
//!
//! # Two ways to use it
//!
//! * **A build script** builds the graph and writes `$OUT_DIR/arm.rs` with
//!   [`Module::write_if_changed`]; the crate includes it with
//!   `include!(concat!(env!("OUT_DIR"), "/arm.rs"));`. shapegrad is then a build-dependency as
//!   well as a dependency. The crate `examples/codegen_build` of shapegrad's repository does
//!   this for the arm and an MPC cost.
//! * **A generator program** writes the file into the source tree, where it is checked in and
//!   reviewed like other code; a test rebuilds the graph and calls [`Module::check_file`],
//!   which fails when the file is stale (the graph, or the generator, changed). shapegrad's
//!   own benchmarks are generated this way (`cargo run -p shapegrad-benches --example codegen_generate`, checked by
//!   `benches/codegen/checked_in.rs`).
//!
//! # Ops
//!
//! Every built-in op can be generated. An op of your own opts in with one method,
//! [`Op::to_rust`], that writes its constructor; an op without it makes [`Module::to_rust`]
//! fail with an [`Error`] that names the op and the line where it was recorded.
//!
//! # What it cannot do (yet)
//!
//! * The graph's structure is fixed in the code: a different shape or a different sequence of
//!   ops is a different module. Values of the inputs change freely; the constants do not (give
//!   them as inputs to make them parameters).
//! * Values live on the stack: a module with large matrices (say several 300×100) needs a
//!   thread with a large enough stack.
//! * Compile time grows with the number of nodes (README, "Code generation", has figures):
//!   thousands of nodes are slow to compile.
//! * Jacobians are reverse mode, one backward pass per output entry; for many outputs and few
//!   inputs, forward mode over `value` on dual numbers is the faster way.

mod emit;
mod ir;
mod layout;
mod literal;

use std::fmt;
use std::path::Path;

use nalgebra::SMatrix;

#[cfg(doc)]
use crate::contract::Op;
use crate::graph::{Graph, Var};
use crate::kernels::Real;
use crate::ops::Labels;

/// The generator's version: shapegrad's.
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The version of the generated code's layout, raised when the generator writes different
/// code for the same graph.
const FORMAT: u32 = 2;

/// A module to generate from a graph: its name, its inputs and its outputs.
///
/// ```
/// use nalgebra::Vector2;
/// use shapegrad::{Graph, codegen::Module};
///
/// let g = Graph::<f64>::new();
/// let x = g.var_named("x", Vector2::new(1.0, 2.0));
/// let y = (x.component_mul(x)).sum();
/// let src = Module::new("square").input(x).output_named("y", y).to_rust()?;
/// assert!(src.contains("pub fn gradient<T: Real>(x: &SMatrix<T, 2, 1>) -> SMatrix<T, 2, 1> {"));
/// # Ok::<(), shapegrad::codegen::Error>(())
/// ```
pub struct Module<'g, T: Real> {
    name: String,
    graph: Option<&'g Graph<T>>,
    inputs: Vec<Port>,
    outputs: Vec<Port>,
    /// The first misuse, reported by `to_rust`.
    error: Option<Error>,
}

impl<T: Real> fmt::Debug for Module<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name)
            .field("inputs", &self.inputs.len())
            .field("outputs", &self.outputs.len())
            .finish()
    }
}

/// An input or output: a node and the name its parameter gets.
#[derive(Clone, Debug)]
struct Port {
    node: usize,
    name: Option<String>,
}

impl<'g, T: Real> Module<'g, T> {
    /// A module named `name` (a Rust identifier: `arm`, `mpc_cost`), without inputs or
    /// outputs yet.
    ///
    /// ```
    /// let module = shapegrad::codegen::Module::<f64>::new("arm");
    /// assert!(module.to_rust().is_err()); // no output yet
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Module {
            name: name.into(),
            graph: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            error: None,
        }
    }

    /// Adds an input: a leaf, whose value becomes a parameter of the generated functions (in
    /// the order given), named after the var (`var_named`, in lower case) when that name is a
    /// free identifier, else `input<k>`. A [`var`](Graph::var) gets a gradient; a
    /// [`constant`](Graph::constant) is a parameter without one.
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let (x, w) = (g.constant(Vector2::new(1.0, 2.0)), g.var_named("w", Vector2::zeros()));
    /// let loss = x.dot(w);
    /// let src = shapegrad::codegen::Module::new("linear").input(x).input(w).output(loss);
    /// let src = src.to_rust()?;
    /// // x gets no gradient: the gradient is w's alone.
    /// assert!(src.contains(") -> (SMatrix<T, 1, 1>, SMatrix<T, 2, 1>) {"));
    /// # Ok::<(), shapegrad::codegen::Error>(())
    /// ```
    pub fn input<const R: usize, const C: usize>(mut self, input: Var<'g, T, R, C>) -> Self {
        let name = input.name();
        self.add(input, name, true);
        self
    }

    /// [`Module::input`] with the parameter's name given.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f32>::new();
    /// let q = g.var(nalgebra::Vector3::zeros());
    /// let module = shapegrad::codegen::Module::new("arm").input_named("q", q).output(q.sin());
    /// assert!(module.to_rust()?.contains("pub fn value<T: Real>(q: &SMatrix<T, 3, 1>)"));
    /// # Ok::<(), shapegrad::codegen::Error>(())
    /// ```
    pub fn input_named<const R: usize, const C: usize>(
        mut self,
        name: &str,
        input: Var<'g, T, R, C>,
    ) -> Self {
        self.add(input, Some(name.to_string()), true);
        self
    }

    /// Adds an output: its value is returned (in the order given), and `vjp` takes a seed of
    /// its shape, `d_<name>` (`d_out` for a single output without a name).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var_named("x", nalgebra::Vector2::new(0.5, 1.0));
    /// let src = shapegrad::codegen::Module::new("f").input(x).output(x.exp()).to_rust()?;
    /// assert!(src.contains("d_out: &SMatrix<T, 2, 1>"));
    /// # Ok::<(), shapegrad::codegen::Error>(())
    /// ```
    pub fn output<const R: usize, const C: usize>(mut self, output: Var<'g, T, R, C>) -> Self {
        let name = output.name();
        self.add(output, name, false);
        self
    }

    /// [`Module::output`] with a name for its seed (`d_<name>`) and for the docs.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let q = g.var_named("q", nalgebra::Vector2::new(0.5, 1.0));
    /// let src = shapegrad::codegen::Module::new("f").input(q).output_named("p", q.exp());
    /// assert!(src.to_rust()?.contains("d_p: &SMatrix<T, 2, 1>"));
    /// # Ok::<(), shapegrad::codegen::Error>(())
    /// ```
    pub fn output_named<const R: usize, const C: usize>(
        mut self,
        name: &str,
        output: Var<'g, T, R, C>,
    ) -> Self {
        self.add(output, Some(name.to_string()), false);
        self
    }

    /// Adds, as inputs, every var of the graph not given yet, in the order the vars were
    /// created: all the parameters of a model at once. The graph is the one of the inputs
    /// and outputs given so far, so give one first.
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.constant_named("x", Vector2::new(1.0, 2.0));
    /// let w = g.var_named("w", Matrix2::identity());
    /// let b = g.var_named("b", Vector2::zeros());
    /// let loss = (w * x + b).norm_squared();
    /// let module = shapegrad::codegen::Module::new("model").input(x).output(loss).all_vars();
    /// let src = module.to_rust()?;
    /// assert!(src.contains("x: &SMatrix<T, 2, 1>,\n        w: &SMatrix<T, 2, 2>,\n        b: &"));
    /// # Ok::<(), shapegrad::codegen::Error>(())
    /// ```
    pub fn all_vars(mut self) -> Self {
        let Some(graph) = self.graph else {
            self.error.get_or_insert(Error::NoGraph {
                name: self.name.clone(),
            });
            return self;
        };
        for id in graph.var_ids() {
            if !self.inputs.iter().any(|port| port.node == id) {
                self.inputs.push(Port {
                    node: id,
                    name: graph.name_of(id),
                });
            }
        }
        self
    }

    fn add<const R: usize, const C: usize>(
        &mut self,
        var: Var<'g, T, R, C>,
        name: Option<String>,
        input: bool,
    ) {
        let graph = var.graph();
        match self.graph {
            None => self.graph = Some(graph),
            Some(first) if first.id() != graph.id() => {
                let what = if input { "input" } else { "output" };
                let position = if input {
                    self.inputs.len()
                } else {
                    self.outputs.len()
                };
                self.error.get_or_insert(Error::TwoGraphs {
                    what,
                    position,
                    graph: graph.id(),
                    first: first.id(),
                });
                return;
            }
            Some(_) => {}
        }
        let port = Port {
            node: var.id(),
            name,
        };
        if input {
            self.inputs.push(port);
        } else {
            self.outputs.push(port);
        }
    }

    /// The generated module, as the text of a Rust file.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var_named("x", nalgebra::Vector2::new(0.5, 1.0));
    /// let src = shapegrad::codegen::Module::new("f").input(x).output(x.tanh()).to_rust()?;
    /// assert!(src.starts_with("// @generated by shapegrad"));
    /// assert!(src.contains("pub mod f {"));
    /// # Ok::<(), shapegrad::codegen::Error>(())
    /// ```
    ///
    /// # Errors
    /// If the module has no output or a name that is not an identifier, an input is not a
    /// leaf or is given twice, vars come from two graphs, an op the outputs depend on cannot
    /// be generated ([`Op::to_rust`]), or a constant entry has no `f64` value: the [`Error`]
    /// says which.
    pub fn to_rust(&self) -> Result<String, Error> {
        let (ir, hash) = self.read()?;
        Ok(emit::module(&ir, &self.name, hash))
    }

    /// The hash the generated file names: of the graph as the generator writes it (each
    /// node's op with its data, shape and inputs; the constants' values; the inputs, outputs
    /// and the module's name), FNV-1a over a fixed encoding, the same on every platform.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.5, 1.0));
    /// let a = shapegrad::codegen::Module::new("f").input(x).output(x.scale(2.0)).hash()?;
    /// let b = shapegrad::codegen::Module::new("f").input(x).output(x.scale(3.0)).hash()?;
    /// assert_ne!(a, b);
    /// # Ok::<(), shapegrad::codegen::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Module::to_rust`].
    pub fn hash(&self) -> Result<u64, Error> {
        Ok(self.read()?.1)
    }

    /// Writes the generated module to `path` unless the file already holds exactly this text
    /// (so a build script does not make cargo rebuild what includes it); returns whether it
    /// wrote.
    ///
    /// ```no_run
    /// // build.rs
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.5, 1.0));
    /// let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("f.rs");
    /// shapegrad::codegen::Module::new("f").input(x).output(x.sin()).write_if_changed(&out)?;
    /// # Ok::<(), shapegrad::codegen::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Module::to_rust`], or [`Error::Io`] if the file cannot be written.
    pub fn write_if_changed(&self, path: impl AsRef<Path>) -> Result<bool, Error> {
        let path = path.as_ref();
        let text = self.to_rust()?;
        if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
            return Ok(false);
        }
        std::fs::write(path, text).map_err(|e| Error::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(true)
    }

    /// Checks that the file at `path` holds exactly the module this graph generates: the test
    /// that keeps a checked-in file from going stale.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Vector2::new(0.5, 1.0));
    /// let module = shapegrad::codegen::Module::new("f").input(x).output(x.sin());
    /// let path = std::env::temp_dir().join(format!("shapegrad_doc_{}.rs", std::process::id()));
    /// module.write_if_changed(&path)?;
    /// module.check_file(&path)?;
    /// let other = shapegrad::codegen::Module::new("f").input(x).output(x.cos());
    /// let err = other.check_file(&path).unwrap_err();
    /// assert!(err.to_string().contains("another graph"), "{err}");
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), shapegrad::codegen::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Stale`] if the file differs (it says whether the graph, the generator or the
    /// file itself changed), [`Error::Io`] if it cannot be read, or as [`Module::to_rust`].
    pub fn check_file(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let (ir, hash) = self.read()?;
        let text = emit::module(&ir, &self.name, hash);
        let old = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if old == text {
            return Ok(());
        }
        let file_hash = old
            .lines()
            .find_map(|line| line.trim().strip_prefix("pub const GRAPH_HASH: u64 = 0x"))
            .and_then(|hex| u64::from_str_radix(hex.trim_end_matches(';'), 16).ok());
        let generator = format!("shapegrad {VERSION} codegen {FORMAT}");
        let reason = match file_hash {
            Some(h) if h != hash => {
                format!(
                    "it was generated from another graph (hash {h:#018x}, the graph's {hash:#018x})"
                )
            }
            Some(_) if !old.contains(&generator) => {
                format!("it was written by another generator (this one is {generator})")
            }
            Some(_) => "it was edited after it was generated".to_string(),
            None => "it is not a module generated by shapegrad".to_string(),
        };
        Err(Error::Stale {
            path: path.display().to_string(),
            reason,
        })
    }

    /// The graph read, checked, and hashed.
    fn read(&self) -> Result<(ir::Ir, u64), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if !is_identifier(&self.name) {
            return Err(Error::Name {
                name: self.name.clone(),
            });
        }
        let Some(graph) = self.graph.filter(|_| !self.outputs.is_empty()) else {
            return Err(Error::NoOutput {
                name: self.name.clone(),
            });
        };
        let ir = ir::Ir::read(graph, &self.inputs, &self.outputs)?;
        let hash = hash(&ir, &self.name);
        Ok((ir, hash))
    }
}

/// Whether `name` can name a module: a snake-case identifier, not a keyword.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name != "_"
        && !matches!(
            name,
            "as" | "crate"
                | "fn"
                | "for"
                | "if"
                | "impl"
                | "in"
                | "let"
                | "loop"
                | "match"
                | "mod"
                | "move"
                | "mut"
                | "pub"
                | "ref"
                | "return"
                | "self"
                | "static"
                | "struct"
                | "super"
                | "trait"
                | "type"
                | "use"
                | "where"
                | "while"
                | "async"
                | "await"
                | "dyn"
                | "else"
                | "enum"
                | "extern"
                | "false"
                | "true"
                | "const"
                | "break"
                | "continue"
                | "unsafe"
                | "gen"
                | "try"
                | "yield"
        )
}

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn number(&mut self, n: u64) {
        self.bytes(&n.to_le_bytes());
    }
    fn text(&mut self, text: &str) {
        self.number(text.len() as u64);
        self.bytes(text.as_bytes());
    }
}

/// [`Module::hash`].
fn hash(ir: &ir::Ir, name: &str) -> u64 {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.text(name);
    for (id, node) in ir.nodes.iter().enumerate() {
        if !ir.needed[id] {
            continue;
        }
        h.number(id as u64);
        h.number(node.rows as u64);
        h.number(node.cols as u64);
        match (ir.input_of[id], node.kind, &node.expr) {
            (Some(k), _, _) => {
                h.text("input");
                h.number(k as u64);
                h.number(u64::from(ir.needs_grad[id]));
            }
            (None, crate::graph::inspect::NodeKind::Op(_), Some(expr)) => {
                h.text(&expr.to_string());
                for &input in &node.inputs {
                    h.number(input as u64);
                }
            }
            _ => {
                h.text("constant");
                for x in node.value.iter().flatten() {
                    h.number(x.to_bits());
                }
            }
        }
    }
    for (what, ports) in [("inputs", &ir.inputs), ("outputs", &ir.outputs)] {
        h.text(what);
        for port in ports {
            h.number(port.node as u64);
            h.text(&port.name);
        }
    }
    h.0
}

/// What went wrong when generating a module.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An op the outputs depend on has no [`Op::to_rust`] (or its `to_rust` said `None`).
    Unsupported {
        /// The node.
        node: usize,
        /// The op's name ([`Op::name`]).
        op: &'static str,
        /// Where it was recorded: `src/main.rs:12:9`.
        location: String,
    },
    /// An input is an op's output, not a leaf.
    InputNotALeaf {
        /// The input's position among the inputs.
        position: usize,
        /// The node.
        node: usize,
        /// The op whose output it is.
        op: &'static str,
        /// Where the op was recorded.
        location: String,
    },
    /// The same node was given as two inputs.
    RepeatedInput {
        /// The positions of the two inputs.
        first: usize,
        /// See `first`.
        second: usize,
        /// The node.
        node: usize,
    },
    /// An input or output belongs to another graph than the first one given.
    TwoGraphs {
        /// `"input"` or `"output"`.
        what: &'static str,
        /// Its position among the inputs or outputs.
        position: usize,
        /// Its graph's id.
        graph: u64,
        /// The first graph's id.
        first: u64,
    },
    /// [`Module::all_vars`] was called before an input or output named the graph.
    NoGraph {
        /// The module's name.
        name: String,
    },
    /// The module has no output.
    NoOutput {
        /// The module's name.
        name: String,
    },
    /// The module's name is not a snake-case identifier.
    Name {
        /// The name.
        name: String,
    },
    /// A constant's entry has no `f64` value to write.
    Constant {
        /// The node.
        node: usize,
        /// The entry's row.
        row: usize,
        /// The entry's column.
        col: usize,
    },
    /// A generated file is not what the graph generates now ([`Module::check_file`]).
    Stale {
        /// The file.
        path: String,
        /// Why: another graph, another generator, or edited by hand.
        reason: String,
    },
    /// A file could not be read or written.
    Io {
        /// The file.
        path: String,
        /// The system's message.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unsupported { node, op, location } => write!(
                f,
                "shapegrad codegen: the op `{op}` (node {node}, recorded at {location}) cannot be \
                 generated: it does not write its constructor; implement `Op::to_rust` for it \
                 (one line, see its docs)"
            ),
            Error::InputNotALeaf {
                position,
                node,
                op,
                location,
            } => write!(
                f,
                "shapegrad codegen: input {position} (node {node}) is the output of `{op}` \
                 (recorded at {location}), not a leaf; inputs are vars or constants"
            ),
            Error::RepeatedInput {
                first,
                second,
                node,
            } => write!(
                f,
                "shapegrad codegen: inputs {first} and {second} are the same node ({node})"
            ),
            Error::TwoGraphs {
                what,
                position,
                graph,
                first,
            } => write!(
                f,
                "shapegrad codegen: {what} {position} belongs to graph #{graph}, but the module's \
                 first input or output belongs to graph #{first}"
            ),
            Error::NoGraph { name } => write!(
                f,
                "shapegrad codegen: module `{name}`: `all_vars` needs the graph, but no input or \
                 output was given before it"
            ),
            Error::NoOutput { name } => {
                write!(f, "shapegrad codegen: module `{name}` has no output")
            }
            Error::Name { name } => write!(
                f,
                "shapegrad codegen: `{name}` cannot name a module: use a snake-case identifier \
                 such as `arm` or `mpc_cost`"
            ),
            Error::Constant { node, row, col } => write!(
                f,
                "shapegrad codegen: entry ({row}, {col}) of constant node {node} has no f64 value \
                 to write"
            ),
            Error::Stale { path, reason } => write!(
                f,
                "shapegrad codegen: {path} is stale: {reason}; regenerate it"
            ),
            Error::Io { path, message } => {
                write!(f, "shapegrad codegen: cannot access {path}: {message}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// `x` as the scalar `T`: how generated code writes the scalars of ops (`Scale(scalar(0.5))`),
/// exact for `f64`, and for `f32` values written as `f64`.
///
/// ```
/// assert_eq!(shapegrad::codegen::scalar::<f32>(0.1_f32 as f64), 0.1_f32);
/// ```
#[inline(always)]
pub fn scalar<T: Real>(x: f64) -> T {
    nalgebra::convert(x)
}

/// The R×C matrix of the column-major `entries`: how generated code writes a graph's
/// constants. `N` must be `R·C` (checked when the code is built).
///
/// ```
/// let m: nalgebra::Matrix2<f32> = shapegrad::codegen::matrix(&[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(m[(0, 1)], 3.0); // column-major
/// ```
#[inline]
pub fn matrix<T: Real, const R: usize, const C: usize, const N: usize>(
    entries: &[f64; N],
) -> SMatrix<T, R, C> {
    const { assert!(N == R * C, "codegen::matrix: the entries are not R·C") };
    SMatrix::from_fn(|r, c| nalgebra::convert(entries[r + c * R]))
}

/// The labels of the generated code's classification losses, from class indices that were
/// checked when the graph was built.
///
/// ```
/// let labels: shapegrad::Labels<2, 3> = shapegrad::codegen::labels([2, 0]);
/// assert_eq!(labels.as_array(), &[2, 0]);
/// ```
///
/// # Panics
/// If a class index is `C` or more (a generated file edited by hand).
#[track_caller]
pub fn labels<const R: usize, const C: usize>(classes: [usize; R]) -> Labels<R, C> {
    match Labels::new(classes) {
        Ok(labels) => labels,
        Err(e) => panic!("shapegrad codegen: {e}"),
    }
}

#[cfg(test)]
mod tests;
