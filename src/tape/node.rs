//! One node of the tape: what it is, where its value lives, what it reads and what reads it;
//! and the op behind it with its types erased.

use std::marker::PhantomData;

use crate::contract::inputs::NO_GRAD;
use crate::contract::inputs::layout::Layout;
use crate::contract::value::flat::Flat;
use crate::contract::{Op, RustExpr};
use crate::kernels::Real;

/// "No node": the end of a list of uses, a node without a cached plan.
pub(crate) const NONE: u32 = u32::MAX;

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
    /// A differentiable leaf ([`Graph::var`](crate::Graph::var)).
    Var,
    /// A leaf without a gradient ([`Graph::constant`](crate::Graph::constant)).
    Constant,
    /// The output of an op: the index of the op in the tape's list of ops.
    Op(u32),
}

/// Where an op's inputs and output live in the tape's buffer of values.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct At {
    /// The offsets of the inputs' values (the first `arity`).
    pub(crate) inputs: [usize; 3],
    /// The offset of the output's value.
    pub(crate) output: usize,
}

/// A node's record. Its value is `values[at.output..at.output + rows·cols]` of the tape,
/// written when the node is created and never moved.
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) name: Option<Box<str>>,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// Where the node's value, and for an op its inputs' values, live.
    pub(crate) at: At,
    /// The input node ids (the first `arity`); all smaller than this node's id.
    pub(crate) inputs: [u32; 3],
    pub(crate) arity: u8,
    /// Whether one node feeds two of the inputs (as in `x ∘ x`).
    pub(crate) repeats_input: bool,
    /// A var, or an op with an input that needs a gradient.
    pub(crate) needs_grad: bool,
    /// This node's cached forward and backward lists (see `src/tape/plan.rs`), or [`NONE`].
    pub(crate) forward_plan: u32,
    pub(crate) backward_plan: u32,
    /// Whether a backward pass has started from this node (its plan is made on the second).
    pub(crate) was_root: bool,
    /// The last plan search that reached this node (so a search need not clear marks).
    pub(crate) mark: u32,
    /// For an op: the line of the user's code that recorded it, for anomaly reports and the
    /// code generator's "this op cannot be generated".
    pub(crate) recorded_at: Option<&'static std::panic::Location<'static>>,
}

impl Node {
    /// The number of entries of the value, R·C.
    pub(crate) fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// The input node ids.
    #[inline(always)]
    pub(crate) fn inputs(&self) -> &[u32] {
        &self.inputs[..self.arity as usize]
    }

    /// The index of the node's op in the tape's list of ops, if it is an op.
    pub(crate) fn op(&self) -> Option<u32> {
        match self.kind {
            Kind::Op(op) => Some(op),
            _ => None,
        }
    }

    pub(crate) fn is_leaf(&self) -> bool {
        !matches!(self.kind, Kind::Op(_))
    }
}

/// One node of a forward list: what the walk needs without reading the node's record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ForwardStep {
    pub(crate) node: u32,
    /// The node's op, an index of the tape's list of ops.
    pub(crate) op: u32,
    pub(crate) arity: u8,
    pub(crate) inputs: [u32; 3],
    pub(crate) at: At,
}

/// One node of a backward list, with every offset its backward needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BackStep {
    pub(crate) node: u32,
    /// The node's op, an index of the tape's list of ops, or [`NONE`] for a leaf (leaves
    /// have no backward).
    pub(crate) op: u32,
    /// Whether one node feeds two of its inputs.
    pub(crate) repeats_input: bool,
    /// The input node ids (their gradients' stamps).
    pub(crate) inputs: [u32; 3],
    /// Where the inputs' and the node's values live.
    pub(crate) at: At,
    /// The offset of the node's own gradient.
    pub(crate) grad: usize,
    /// The offsets of its inputs' gradients ([`NO_GRAD`](crate::inputs::NO_GRAD): none).
    pub(crate) input_grads: [usize; 3],
}

impl BackStep {
    /// The step of node `id`, `node`, with its own and its inputs' gradient offsets from
    /// `grads` (one per node, [`NO_GRAD`](crate::inputs::NO_GRAD) for none).
    #[inline]
    pub(crate) fn of(id: usize, node: &Node, grads: &[usize]) -> Self {
        let mut input_grads = [crate::contract::inputs::NO_GRAD; 3];
        for (at, &input) in input_grads.iter_mut().zip(node.inputs()) {
            *at = grads[input as usize];
        }
        BackStep {
            node: id as u32,
            op: node.op().unwrap_or(NONE),
            repeats_input: node.repeats_input,
            inputs: node.inputs,
            at: node.at,
            grad: grads[id],
            input_grads,
        }
    }
}

/// Where a backward pass keeps the gradients: one flat buffer, and per node the number of the
/// pass its gradient belongs to.
pub(crate) struct GradBuffers<'a, T> {
    pub(crate) data: &'a mut [T],
    pub(crate) stamps: &'a mut [u32],
    pub(crate) pass: u32,
}

/// An op with its types erased, so the tape can hold ops of any inputs and output. Each call
/// finds its typed inputs and output at the offsets the records give.
pub(crate) trait ErasedOp<T: Real>: Send {
    fn name(&self) -> &'static str;
    /// The op's constructor for generated code ([`Op::to_rust`]).
    fn to_rust(&self) -> Option<RustExpr>;
    /// Recomputes the output at `at` from the inputs at `at`.
    fn forward(&self, at: &At, values: &mut [T]);
    /// Adds the node's contributions to its inputs' gradients, given its own gradient, at the
    /// offsets `step` gives.
    fn backward(&self, step: &BackStep, values: &[T], grads: GradBuffers<'_, T>);
}

/// The typed op behind [`ErasedOp`]: just the op (a unit struct for most ops, so boxing it
/// allocates nothing).
pub(crate) struct TypedOp<I, O> {
    op: O,
    _inputs: PhantomData<fn() -> I>,
}

impl<I, O> TypedOp<I, O> {
    pub(crate) fn new(op: O) -> Self {
        TypedOp {
            op,
            _inputs: PhantomData,
        }
    }
}

/// The first entries of `all` as the typed array of the op's arity.
#[inline(always)]
fn first<T: Real, I: Layout<T>>(all: [usize; 3]) -> I::Ids {
    let mut some = I::Ids::default();
    let n = some.as_ref().len();
    some.as_mut().copy_from_slice(&all[..n]);
    some
}

impl<T: Real, I: Layout<T>, O: Op<T, I>> ErasedOp<T> for TypedOp<I, O> {
    fn name(&self) -> &'static str {
        self.op.name()
    }

    fn to_rust(&self) -> Option<RustExpr> {
        self.op.to_rust()
    }

    #[inline]
    fn forward(&self, at: &At, values: &mut [T]) {
        // Inputs were created earlier, so their values lie before the output's.
        let (before, own) = values.split_at_mut(at.output);
        let inputs = I::refs(&first::<T, I>(at.inputs), before);
        self.op.forward_into(inputs, O::Output::from_flat_mut(own));
    }

    #[inline]
    fn backward(&self, step: &BackStep, values: &[T], grads: GradBuffers<'_, T>) {
        let inputs = I::refs(&first::<T, I>(step.at.inputs), values);
        let output = O::Output::from_flat(&values[step.at.output..]);
        // Gradients are laid out in node order too: the inputs' lie before the node's.
        let (before, own) = grads.data.split_at_mut(step.grad);
        let d_out = O::Output::from_flat(own);
        let ids = first::<T, I>(step.inputs.map(|i| i as usize));
        let at = first::<T, I>(step.input_grads);
        if step.repeats_input {
            let stamps = (grads.stamps, grads.pass);
            repeated_input_backward::<T, I, O>(
                &self.op, inputs, output, d_out, &ids, &at, before, stamps,
            );
        } else {
            let slots = I::slots(&ids, &at, before, grads.stamps, grads.pass)
                .expect("shapegrad internal error: distinct inputs have disjoint gradients");
            self.op.backward_into(inputs, output, d_out, slots);
        }
    }
}

/// The backward of an op one node feeds twice (as in `x ∘ x`): its two slots would alias, so
/// the op writes each input's gradient into its own part of a scratch buffer (on the stack up
/// to 64 entries in all, else a per-thread buffer on the heap, so large gradients never pass
/// through the stack), and each part is then added to its input's gradient in turn.
#[allow(clippy::too_many_arguments)]
fn repeated_input_backward<T: Real, I: Layout<T>, O: Op<T, I>>(
    op: &O,
    inputs: I::Refs<'_>,
    output: &O::Output,
    d_out: &O::Output,
    ids: &I::Ids,
    at: &I::Ids,
    grads: &mut [T],
    (stamps, pass): (&mut [u32], u32),
) {
    let lens = I::LENS;
    let total: usize = lens.as_ref().iter().sum();
    let mut run = |scratch: &mut [T]| {
        // Input k's part starts at the sum of the earlier inputs' lengths.
        let (mut parts, mut own, mut start) = (I::Ids::default(), I::Ids::default(), 0);
        for k in 0..lens.as_ref().len() {
            own.as_mut()[k] = k;
            parts.as_mut()[k] = if at.as_ref()[k] == NO_GRAD {
                NO_GRAD
            } else {
                start
            };
            start += lens.as_ref()[k];
        }
        // Stamps of an earlier pass: the op's first contribution to a part overwrites it.
        let mut written = [0_u32; 3];
        let slots = I::slots(&own, &parts, scratch, &mut written, 1)
            .expect("shapegrad internal error: scratch parts are disjoint");
        op.backward_into(inputs, output, d_out, slots);
        for k in 0..lens.as_ref().len() {
            if written[k] != 1 {
                continue; // no contribution (or no gradient wanted)
            }
            let (part, len) = (parts.as_ref()[k], lens.as_ref()[k]);
            let into = &mut grads[at.as_ref()[k]..][..len];
            let from = &scratch[part..part + len];
            let stamp = &mut stamps[ids.as_ref()[k]];
            if *stamp == pass {
                into.iter_mut().zip(from).for_each(|(g, &d)| *g += d);
            } else {
                into.copy_from_slice(from);
                *stamp = pass;
            }
        }
    };
    // Small gradients (`x ∘ x` of scalars and small vectors) stay on the stack.
    const SMALL: usize = 64;
    if total <= SMALL {
        run(&mut [T::zero(); SMALL][..total]);
    } else {
        crate::kernels::scratch::with_buffer::<T, ()>(total, run);
    }
}
