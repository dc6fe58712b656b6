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
//! a slice of that buffer seen as an `&SMatrix` (`src/contract/layout.rs`): no box per value, no checked
//! downcast. Gradients live the same way in a buffer of their own ([`grads::GradStore`]),
//! laid out at the first backward pass after the node is created.
//!
//! # Invariants
//!
//! * **Order.** Nodes are recorded in creation order and an op's inputs already exist, so every
//!   input id is smaller than its consumer's: id order is a topological order, and the value
//!   (and gradient) of every input lies before its consumer's in the buffers.
//! * **Versions.** The tape has a clock, advanced by every write to a leaf; the leaf records
//!   the clock as its version. An op's version is the largest version of its inputs when its
//!   value was computed, so its value is out of date exactly when an input's version is larger
//!   than its own. Writing a leaf costs the same whatever depends on it; reading a value
//!   (or a backward pass from it) walks the node's op ancestors in id order and recomputes
//!   those whose inputs moved on, and nothing else ([`Tape::refresh`], `src/tape/fresh.rs`).
//!   A node checked at the current clock is up to date without a walk. A new op node is
//!   computed when it is recorded, from up-to-date inputs.
//! * **Plans.** A root's forward list (its op ancestors, increasing ids) and backward list (its
//!   ancestors that need a gradient, decreasing ids, each with its gradient offsets) never
//!   change once made: later nodes cannot become ancestors of an existing node. The backward
//!   list is made on the second backward pass from a root (the first walks every record below
//!   the root, skipping what no contribution reached, so a graph built for one pass makes no
//!   plan); the forward list when a read first needs a walk. Both are cached per root until the graph's lists exceed a memory budget proportional to its size;
//!   then all are dropped and remade on demand (`src/tape/plan.rs`).
//! * **Gradients not reached.** A pass stamps the nodes of its backward list; a gradient read
//!   for a node without this pass's stamp is zero, read from a buffer of zeros, so a pass
//!   touches no buffer outside its list.

pub(crate) mod anomaly;
mod fresh;
pub(crate) mod grads;
pub(crate) mod node;
mod plan;
pub(crate) mod pool;

use crate::contract::Op;
use crate::contract::inputs::layout::Layout;
use crate::contract::value::flat::Flat;
use crate::kernels::Real;
use node::{At, ErasedOp, Kind, NONE, Node, TypedOp};

/// The nodes, their values, and the cached walks over them.
pub(crate) struct Tape<T: Real> {
    pub(crate) nodes: Vec<Node>,
    /// The ops of the op nodes, in creation order (see [`node::Kind::Op`]).
    pub(crate) ops: Vec<Box<dyn ErasedOp<T>>>,
    pub(crate) values: Vec<T>,
    /// Per node: for a leaf, the clock when it was last written; for an op, the largest
    /// version of its inputs when its value was last computed.
    versions: Vec<u64>,
    /// Per node: the clock when its value was last known to be up to date.
    checked: Vec<u64>,
    /// The cached plans of the roots (see [`Node::forward_plan`]).
    plans: plan::Plans,
    /// Scratch space of the plan searches, kept to reuse its allocation.
    stack: Vec<u32>,
    /// The number of plan searches so far (the mark of the current one).
    epoch: u32,
    /// Advanced by every write to a leaf (see the module docs).
    clock: u64,
    /// Whether walks check every op's output and gradients ([`anomaly`]).
    pub(crate) detect_anomalies: bool,
    /// The anomaly a walk stopped at, for the caller to report.
    pub(crate) anomaly: Option<anomaly::Anomaly>,
}

impl<T: Real> Default for Tape<T> {
    fn default() -> Self {
        Tape {
            nodes: Vec::new(),
            ops: Vec::new(),
            values: Vec::new(),
            versions: Vec::new(),
            checked: Vec::new(),
            plans: plan::Plans::default(),
            stack: Vec::new(),
            epoch: 0,
            clock: 0,
            detect_anomalies: false,
            anomaly: None,
        }
    }
}

/// Node ids fit in a `u32`.
const MAX_NODES: usize = NONE as usize;

impl<T: Real> Tape<T> {
    /// Empties the tape, keeping its allocations.
    pub(crate) fn clear(&mut self) {
        self.nodes.clear();
        self.ops.clear();
        self.values.clear();
        self.versions.clear();
        self.checked.clear();
        self.plans.clear();
        self.stack.clear();
        self.epoch = 0;
        self.clock = 0;
        self.detect_anomalies = false;
        self.anomaly = None;
    }

    /// The bytes the tape's buffers hold (their capacity).
    pub(crate) fn bytes(&self) -> usize {
        self.nodes.capacity() * size_of::<Node>()
            + self.ops.capacity() * size_of::<Box<dyn ErasedOp<T>>>()
            + self.values.capacity() * size_of::<T>()
            + (self.versions.capacity() + self.checked.capacity()) * size_of::<u64>()
            + self.plans.bytes()
            + self.stack.capacity() * size_of::<u32>()
    }

    fn record(&mut self, kind: Kind, name: Option<Box<str>>, shape: (usize, usize)) -> Node {
        assert!(
            self.nodes.len() < MAX_NODES,
            "shapegrad: a graph holds fewer than 2³² nodes"
        );
        Node {
            needs_grad: matches!(kind, Kind::Var),
            kind,
            name,
            rows: shape.0,
            cols: shape.1,
            at: At {
                inputs: [0; 3],
                output: self.values.len(),
            },
            inputs: [0; 3],
            arity: 0,
            repeats_input: false,
            forward_plan: NONE,
            backward_plan: NONE,
            was_root: false,
            mark: 0,
            recorded_at: None,
        }
    }

    /// Records a leaf holding `value` (column-major entries of a `shape` matrix).
    pub(crate) fn push_leaf(
        &mut self,
        kind: Kind,
        name: Option<Box<str>>,
        shape: (usize, usize),
        value: &[T],
    ) -> usize {
        let node = self.record(kind, name, shape);
        self.values.extend_from_slice(value);
        self.push(node, self.clock)
    }

    fn push(&mut self, node: Node, version: u64) -> usize {
        self.nodes.push(node);
        self.versions.push(version);
        self.checked.push(self.clock);
        self.nodes.len() - 1
    }

    /// Records `op` applied to the nodes `inputs` (the first `arity`), at the user's line
    /// `recorded_at`, and computes its value. The inputs must exist and be up to date.
    pub(crate) fn push_op<I: Layout<T>, O: Op<T, I>>(
        &mut self,
        op: O,
        name: Option<Box<str>>,
        (inputs, arity): ([usize; 3], usize),
        recorded_at: &'static std::panic::Location<'static>,
    ) -> usize {
        let id = self.nodes.len();
        let shape = (O::Output::ROWS, O::Output::COLS);
        let index = self.ops.len() as u32;
        self.ops.push(Box::new(TypedOp::<I, O>::new(op)));
        let mut node = self.record(Kind::Op(index), name, shape);
        node.arity = arity as u8;
        node.recorded_at = Some(recorded_at);
        let inputs = &inputs[..arity];
        let mut version = 0;
        for (slot, &input) in inputs.iter().enumerate() {
            let input_node = &self.nodes[input];
            debug_assert!(input < id && self.checked[input] == self.clock);
            node.inputs[slot] = input as u32;
            node.at.inputs[slot] = input_node.at.output;
            node.needs_grad |= input_node.needs_grad;
            version = version.max(self.versions[input]);
        }
        node.repeats_input = (1..arity).any(|k| inputs[..k].contains(&inputs[k]));
        self.values.resize(node.at.output + node.len(), T::zero());
        self.ops[index as usize].forward(&node.at, &mut self.values);
        let id = self.push(node, version);
        if self.detect_anomalies {
            self.anomaly = self.check_forward(id);
        }
        id
    }

    /// The name of node `id`'s op, if it is an op.
    pub(crate) fn op_name(&self, id: usize) -> Option<&'static str> {
        Some(self.ops[self.nodes[id].op()? as usize].name())
    }

    /// Node `id`'s value (up to date only after [`Tape::refresh`]).
    #[inline(always)]
    pub(crate) fn value(&self, id: usize) -> &[T] {
        let node = &self.nodes[id];
        &self.values[node.at.output..node.at.output + node.len()]
    }

    /// The entries of leaf `id` onwards, to be changed (this advances the clock), or `None` if
    /// node `id` is not a leaf.
    #[inline]
    pub(crate) fn leaf_mut(&mut self, id: usize) -> Option<&mut [T]> {
        let node = &self.nodes[id];
        if !node.is_leaf() {
            return None;
        }
        self.clock += 1;
        self.versions[id] = self.clock;
        self.checked[id] = self.clock;
        Some(&mut self.values[node.at.output..])
    }
}
