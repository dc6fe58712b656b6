//! The tape: the type-erased machinery under [`Graph`](crate::Graph).
//!
//! Dependencies go one way: the op contract ([`Op`](crate::Op), [`Inputs`](crate::Inputs),
//! [`Value`](crate::Value), [`GradSlot`](crate::GradSlot)) ← this module ← `Graph`, `Var`,
//! `Gradients` ← the ops ← checks, Jacobians, layers, optimizers, drawings.
//!
//! # Storage
//!
//! A node is a record ([`node::Node`]) in `nodes`; its value is `rows·cols` scalars of the one
//! buffer `values`, at an offset fixed when the node is created; an op node also holds its op,
//! boxed with its types erased (a unit struct for most ops: no allocation). Reading a value is
//! a slice of that buffer seen as an `&SMatrix` (`src/layout.rs`): no box per value, no checked
//! downcast. Gradients live the same way in a buffer of their own ([`grads::GradStore`]),
//! laid out at the first backward pass after the node is created.
//!
//! # Invariants
//!
//! * **Order.** Nodes are recorded in creation order and an op's inputs already exist, so every
//!   input id is smaller than its consumer's: id order is a topological order, and the value
//!   (and gradient) of every input lies before its consumer's in the buffers.
//! * **Staleness.** Leaves are never stale. Setting a leaf marks stale every node that depends
//!   on it and is not stale yet, following the uses (each node lists its consumers). So a stale
//!   node's consumers are all stale, and every ancestor of a fresh node is fresh. Reading a
//!   value (or running backward from it) recomputes exactly its stale ancestors, inputs first
//!   ([`Tape::refresh`]); nothing else is recomputed. A new op node is computed when it is
//!   recorded, after its stale inputs.
//! * **Plans.** The backward plan of a root is the list of its ancestors (itself included)
//!   that need a gradient, in decreasing id order: the only nodes a backward pass from that
//!   root visits, and the only gradient buffers it writes. A plan never changes once made
//!   (later nodes cannot become ancestors of an existing root), so it is cached in the root's
//!   record, until the plans of the graph exceed a memory budget proportional to its size;
//!   then all are dropped and remade on demand.
//! * **Gradients not reached.** A pass stamps the nodes of its plan; a gradient read for a node
//!   without this pass's stamp is zero, read from a buffer of zeros, so a pass touches no
//!   buffer outside its plan.

pub(crate) mod grads;
pub(crate) mod node;
mod plan;
mod stale;

use crate::inputs::layout::Layout;
use crate::value::flat::Flat;
use crate::{Op, Real};
use node::{Kind, NONE, Node, TypedOp};

/// The nodes, their values, and the scratch space of the tape's walks.
pub(crate) struct Tape<T: Real> {
    pub(crate) nodes: Vec<Node<T>>,
    pub(crate) values: Vec<T>,
    /// The cached backward plans, back to back (see [`Node::plan_start`]).
    plan_nodes: Vec<u32>,
    /// The stack of the walks over uses and inputs, kept to reuse its allocation.
    stack: Vec<u32>,
    /// The number of plan searches so far (the mark of the current one).
    epoch: u32,
}

impl<T: Real> Default for Tape<T> {
    fn default() -> Self {
        Tape {
            nodes: Vec::new(),
            values: Vec::new(),
            plan_nodes: Vec::new(),
            stack: Vec::new(),
            epoch: 0,
        }
    }
}

/// Node ids fit in 30 bits: uses pack `consumer << 2 | slot` into a `u32`.
const MAX_NODES: usize = 1 << 30;

impl<T: Real> Tape<T> {
    /// Empties the tape, keeping its allocations.
    pub(crate) fn clear(&mut self) {
        self.nodes.clear();
        self.values.clear();
        self.plan_nodes.clear();
        self.stack.clear();
        self.epoch = 0;
    }

    fn record(&mut self, kind: Kind<T>, name: Option<Box<str>>, shape: (usize, usize)) -> Node<T> {
        assert!(
            self.nodes.len() < MAX_NODES,
            "shapegrad: a graph holds at most 2³⁰ nodes"
        );
        Node {
            needs_grad: matches!(kind, Kind::Var),
            kind,
            name,
            rows: shape.0,
            cols: shape.1,
            value: self.values.len(),
            inputs: [0; 3],
            arity: 0,
            repeats_input: false,
            stale: false,
            first_use: NONE,
            next_use: [NONE; 3],
            plan_start: NONE,
            plan_len: 0,
            mark: 0,
        }
    }

    /// Records a leaf holding `value` (column-major entries of a `shape` matrix).
    pub(crate) fn push_leaf(
        &mut self,
        kind: Kind<T>,
        name: Option<Box<str>>,
        shape: (usize, usize),
        value: &[T],
    ) -> usize {
        let node = self.record(kind, name, shape);
        self.values.extend_from_slice(value);
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Records `op` applied to the nodes `inputs` (the first `arity`) and computes its value.
    /// The inputs must exist and be fresh.
    pub(crate) fn push_op<I: Layout<T>, O: Op<T, I>>(
        &mut self,
        op: O,
        name: Option<Box<str>>,
        (inputs, arity): ([usize; 3], usize),
    ) -> usize {
        let id = self.nodes.len();
        let shape = (O::Output::ROWS, O::Output::COLS);
        let mut node = self.record(Kind::Op(Box::new(TypedOp::<I, O>::new(op))), name, shape);
        node.arity = arity as u8;
        let inputs = &inputs[..arity];
        for (slot, &input) in inputs.iter().enumerate() {
            debug_assert!(input < id && !self.nodes[input].stale);
            node.inputs[slot] = input as u32;
            node.needs_grad |= self.nodes[input].needs_grad;
            // Link this use in front of the input's list of uses.
            node.next_use[slot] = self.nodes[input].first_use;
            self.nodes[input].first_use = ((id as u32) << 2) | slot as u32;
        }
        node.repeats_input = (1..arity).any(|k| inputs[..k].contains(&inputs[k]));
        self.values.resize(node.value + node.len(), T::zero());
        let Tape { nodes, values, .. } = self;
        if let Kind::Op(erased) = &node.kind {
            erased.forward(nodes, &node, values);
        }
        self.nodes.push(node);
        id
    }

    /// Node `id`'s value (fresh only if [`Tape::refresh`] ran since its leaves changed).
    #[inline(always)]
    pub(crate) fn value(&self, id: usize) -> &[T] {
        let node = &self.nodes[id];
        &self.values[node.value..node.value + node.len()]
    }

    /// The entries of leaf `id`, to be changed: everything that depends on it is marked stale.
    pub(crate) fn leaf_mut(&mut self, id: usize) -> &mut [T] {
        debug_assert!(self.nodes[id].is_leaf());
        self.mark_uses_stale(id);
        let node = &self.nodes[id];
        &mut self.values[node.value..node.value + node.len()]
    }

    /// The bytes the tape's buffers hold (their capacity).
    pub(crate) fn bytes(&self) -> usize {
        self.nodes.capacity() * size_of::<Node<T>>()
            + self.values.capacity() * size_of::<T>()
            + (self.plan_nodes.capacity() + self.stack.capacity()) * size_of::<u32>()
    }
}
