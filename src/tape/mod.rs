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
//! boxed with its types erased (a unit struct for most ops: no allocation; a box that held an
//! op of the same type in a dropped graph is reused, so a graph rebuilt each step allocates no
//! box either). Reading a value is a slice of that buffer seen as an `&SMatrix`
//! (`src/contract/layout.rs`): no box per value, no checked downcast. Gradients live the same
//! way in a buffer of their own ([`grads::GradStore`]), laid out at the first backward pass
//! after the node is created. Offsets are `u32`: a graph holds fewer than 2³² scalars.
//!
//! # Invariants
//!
//! * **Order.** Nodes are recorded in creation order and an op's inputs already exist, so every
//!   input id is smaller than its consumer's: id order is a topological order, and the value
//!   (and gradient) of every input lies before its consumer's in the buffers.
//! * **Versions.** The tape has a clock, advanced by every write to a leaf; the leaf records
//!   the clock as its version. An op's version is at least the largest version of its inputs
//!   when its value was computed and smaller than the clock of any later write, so its value
//!   is out of date exactly when an input's version is larger than its own. Writing a leaf
//!   costs the same whatever depends on it; reading a value (or a backward pass from it)
//!   recomputes the op ancestors whose inputs moved on, and nothing else
//!   ([`Tape::refresh`], `src/tape/fresh.rs`). A node checked at the current clock is up to
//!   date without a walk. A new op node is computed when it is recorded, from up-to-date
//!   inputs.
//! * **Forward plans.** A root's forward plan lists its op ancestors (increasing ids), each
//!   with the set of the root's leaves it depends on (a 64-bit mask), and the leaves. When no
//!   other walk ran since the root was last brought up to date, the leaves written since then
//!   give a mask and the walk recomputes exactly the steps that meet it, with no version check
//!   per node; otherwise it compares versions node by node.
//! * **Backward plans.** A root's backward plan lists its op ancestors that need a gradient
//!   (decreasing ids), each step with the offsets of its values and gradients and, per input,
//!   a mode decided once: skip (no gradient), overwrite (the first contribution in backward
//!   order) or accumulate. So no buffer is zeroed before a pass and nothing is stamped; an op
//!   that leaves a first-use slot untouched has it zeroed after its call (the slot's written
//!   flag says so). Offsets and disjointness are checked when the plan is made. Plans never
//!   change once made (later nodes cannot become ancestors of an existing node); they are
//!   cached per root within a memory budget proportional to the graph, the least recently
//!   used dropped first (`src/tape/plan.rs`).
//! * **Gradients not reached.** Every gradient that the last pass did not write is zero: a
//!   pass from another root than the last one first zeroes what the last one wrote (the
//!   gradient runs its plan lists), so a gradient read is a plain read.

pub(crate) mod anomaly;
mod fresh;
pub(crate) mod grads;
pub(crate) mod node;
pub(crate) mod plan;
pub(crate) mod pool;

use crate::contract::Op;
use crate::contract::inputs::layout::Layout;
use crate::contract::value::flat::Flat;
use crate::kernels::Real;
use node::{At, ErasedOp, Kind, NONE, Node, Released, TypedOp};

/// The nodes, their values, and the cached walks over them.
pub(crate) struct Tape<T: Real> {
    pub(crate) nodes: Vec<Node>,
    /// The ops of the op nodes, in creation order (see [`node::Kind::Op`]); the first
    /// `live_ops` belong to this graph, the others are spare boxes of a dropped one.
    pub(crate) ops: Vec<Box<dyn ErasedOp<T>>>,
    live_ops: usize,
    /// The bytes the boxed ops hold.
    op_bytes: usize,
    /// Whether an op that must be dropped (see [`ErasedOp::needs_drop`]) was recorded.
    ops_to_drop: bool,
    pub(crate) values: Vec<T>,
    /// Per node: for a leaf, the clock when it was last written; for an op, at least the
    /// largest version of its inputs when its value was last computed.
    versions: Vec<u64>,
    /// Per node: the clock when its value was last known to be up to date.
    checked: Vec<u64>,
    /// The cached plans of the roots (see [`Node::forward_plan`]).
    pub(crate) plans: plan::Plans,
    /// Scratch space of the plan searches, kept to reuse its allocation.
    stack: Vec<u32>,
    /// Scratch space of the forward plans: per node, the root's leaves it depends on.
    masks: Vec<u64>,
    /// The number of plan searches so far (the mark of the current one).
    epoch: u32,
    /// Advanced by every write to a leaf (see the module docs).
    clock: u64,
    /// The number of forward walks that recomputed something (see [`Tape::refresh`]).
    walks: u64,
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
            live_ops: 0,
            op_bytes: 0,
            ops_to_drop: false,
            values: Vec::new(),
            versions: Vec::new(),
            checked: Vec::new(),
            plans: plan::Plans::default(),
            stack: Vec::new(),
            masks: Vec::new(),
            epoch: 0,
            clock: 0,
            walks: 0,
            detect_anomalies: false,
            anomaly: None,
        }
    }
}

/// Node ids and offsets fit in a `u32`.
const MAX_ENTRIES: usize = NONE as usize;

impl<T: Real> Tape<T> {
    /// Empties the tape, keeping its allocations, the ops' boxes included (an op that must
    /// be dropped is dropped, its box kept if it holds nothing else).
    pub(crate) fn clear(&mut self) {
        self.nodes.clear();
        if self.ops_to_drop {
            for op in &mut self.ops[..self.live_ops] {
                if op.needs_drop() {
                    self.op_bytes -= size_of_val::<dyn ErasedOp<T>>(&**op);
                    *op = Box::new(Released);
                }
            }
            self.ops_to_drop = false;
        }
        self.live_ops = 0;
        self.values.clear();
        self.versions.clear();
        self.checked.clear();
        self.plans.clear();
        self.stack.clear();
        self.masks.clear();
        self.epoch = 0;
        self.clock = 0;
        self.walks = 0;
        self.detect_anomalies = false;
        self.anomaly = None;
    }

    /// The bytes the tape's buffers hold (their capacity).
    pub(crate) fn bytes(&self) -> usize {
        self.nodes.capacity() * size_of::<Node>()
            + self.ops.capacity() * size_of::<Box<dyn ErasedOp<T>>>()
            + self.op_bytes
            + self.values.capacity() * size_of::<T>()
            + (self.versions.capacity() + self.checked.capacity()) * size_of::<u64>()
            + self.plans.bytes()
            + self.stack.capacity() * size_of::<u32>()
            + self.masks.capacity() * size_of::<u64>()
    }

    fn record(&mut self, kind: Kind, name: Option<Box<str>>, shape: (usize, usize)) -> Node {
        assert!(
            self.nodes.len() < MAX_ENTRIES,
            "shapegrad: a graph holds fewer than 2³² nodes"
        );
        assert!(
            self.values.len() + shape.0 * shape.1 < MAX_ENTRIES,
            "shapegrad: a graph's values hold fewer than 2³² scalars"
        );
        Node {
            needs_grad: matches!(kind, Kind::Var),
            kind,
            name,
            rows: shape.0,
            cols: shape.1,
            at: At {
                inputs: [0; 3],
                output: self.values.len() as u32,
            },
            inputs: [0; 3],
            arity: 0,
            repeats_input: false,
            forward_plan: NONE,
            backward_plan: NONE,
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

    /// Keeps `op` in the next box of the list: a spare box that held an op of the same type
    /// is reused (no allocation), any other is replaced.
    fn keep_op<I: Layout<T>, O: Op<T, I>>(&mut self, op: O) -> u32 {
        let index = self.live_ops;
        self.live_ops += 1;
        self.ops_to_drop |= std::mem::needs_drop::<O>();
        if let Some(spare) = self.ops.get_mut(index) {
            if let Some(typed) = spare.as_any_mut().downcast_mut::<TypedOp<I, O>>() {
                typed.op = op;
                return index as u32;
            }
            self.op_bytes -= size_of_val::<dyn ErasedOp<T>>(&**spare);
            *spare = Box::new(TypedOp::<I, O>::new(op));
        } else {
            self.ops.push(Box::new(TypedOp::<I, O>::new(op)));
        }
        self.op_bytes += size_of::<TypedOp<I, O>>();
        index as u32
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
        let mut node = self.record(Kind::Op(0), name, shape);
        node.kind = Kind::Op(self.keep_op::<I, O>(op));
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
        self.values
            .resize(node.at.output as usize + node.len(), T::zero());
        let op = node.op().unwrap_or_default() as usize;
        self.ops[op].forward(&node.at, &mut self.values);
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
        let at = node.at.output as usize;
        &self.values[at..at + node.len()]
    }

    /// The entries of leaf `id` onwards, to be changed (this advances the clock), or `None` if
    /// node `id` is not a leaf.
    #[inline]
    pub(crate) fn leaf_mut(&mut self, id: usize) -> Option<&mut [T]> {
        let node = &self.nodes[id];
        if !node.is_leaf() {
            return None;
        }
        let at = node.at.output as usize;
        Some(self.write_leaf(id, at))
    }

    /// The entries of leaf `id`, whose value is at `at`, onwards, to be changed: advances the
    /// clock. The caller knows `id` is a leaf.
    #[inline(always)]
    pub(crate) fn write_leaf(&mut self, id: usize, at: usize) -> &mut [T] {
        self.clock += 1;
        self.versions[id] = self.clock;
        self.checked[id] = self.clock;
        &mut self.values[at..]
    }
}
