//! A read-only, shape-erased view of every node, for the tools above the graph that walk all
//! of it (the drawings of `viz`, the code generator): what a node is, its name, shape, value,
//! gradient and inputs, and for an op where it was recorded and how it writes itself as Rust,
//! without reaching into the tape's records.

use std::panic::Location;

use crate::contract::RustExpr;
use crate::graph::Graph;
use crate::kernels::Real;
use crate::tape::node::{ErasedOp, Kind};

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeKind {
    /// A differentiable leaf.
    Var,
    /// A leaf without a gradient.
    Constant,
    /// The output of the op with this name.
    Op(&'static str),
}

/// One node as the graph shows it: everything is read-only and its entries column-major.
pub(crate) struct NodeView<'a, T> {
    pub(crate) id: usize,
    pub(crate) kind: NodeKind,
    pub(crate) name: Option<&'a str>,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// The up-to-date value, `rows·cols` entries.
    pub(crate) value: &'a [T],
    /// The gradient of the last backward pass, if there was one and it reached this node.
    pub(crate) gradient: Option<&'a [T]>,
    /// The input node ids (empty for a leaf).
    pub(crate) inputs: &'a [u32],
    /// Whether the last backward pass started from this node.
    pub(crate) is_root: bool,
    /// Where an op was recorded (`None` for a leaf).
    pub(crate) location: Option<&'static Location<'static>>,
    /// An op's op.
    op: Option<&'a dyn ErasedOp<T>>,
}

impl<T: Real> NodeView<'_, T> {
    /// An op's constructor for generated code ([`Op::to_rust`](crate::Op::to_rust)); `None`
    /// for a leaf or an op that does not say.
    pub(crate) fn to_rust(&self) -> Option<RustExpr> {
        self.op?.to_rust()
    }
}

impl<T: Real> Graph<T> {
    /// Calls `f` on every node in id order (inputs before their consumers), with every value
    /// brought up to date first; returns the node the last backward pass started from.
    pub(crate) fn inspect(&self, mut f: impl FnMut(NodeView<'_, T>)) -> Option<usize> {
        let tape = self.all_fresh();
        let grads = self.grads().borrow();
        let root = grads.last_root();
        for (id, node) in tape.nodes.iter().enumerate() {
            let len = node.len();
            f(NodeView {
                id,
                kind: match node.kind {
                    Kind::Var => NodeKind::Var,
                    Kind::Constant => NodeKind::Constant,
                    Kind::Op(_) => NodeKind::Op(tape.op_name(id).unwrap_or_default()),
                },
                name: node.name.as_deref(),
                rows: node.rows,
                cols: node.cols,
                value: tape.value(id),
                gradient: root.and_then(|_| grads.gradient(id)).map(|g| &g[..len]),
                inputs: node.inputs(),
                is_root: root == Some(id),
                location: node.recorded_at,
                op: node.op().map(|op| &*tape.ops[op as usize]),
            });
        }
        root
    }
}
