//! One node of the tape: what it is, where its value lives, what it reads and what reads it;
//! and the op behind it with its types erased.

use std::marker::PhantomData;

use crate::inputs::layout::Layout;
use crate::value::flat::Flat;
use crate::{Op, Real};

/// "No node": the end of a list of uses, a node without a cached plan.
pub(crate) const NONE: u32 = u32::MAX;

/// What a node is.
pub(crate) enum Kind<T: Real> {
    /// A differentiable leaf ([`Graph::var`](crate::Graph::var)).
    Var,
    /// A leaf without a gradient ([`Graph::constant`](crate::Graph::constant)).
    Constant,
    /// The output of an op.
    Op(Box<dyn ErasedOp<T>>),
}

/// A node's record. Its value is `values[value..value + rows·cols]` of the tape, written when
/// the node is created and never moved.
pub(crate) struct Node<T: Real> {
    pub(crate) kind: Kind<T>,
    pub(crate) name: Option<Box<str>>,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// Offset of the value in the tape's buffer of values.
    pub(crate) value: usize,
    /// The input node ids (the first `arity`); all smaller than this node's id.
    pub(crate) inputs: [u32; 3],
    pub(crate) arity: u8,
    /// Whether one node feeds two of the inputs (as in `x ∘ x`).
    pub(crate) repeats_input: bool,
    /// A var, or an op with an input that needs a gradient.
    pub(crate) needs_grad: bool,
    /// The value is out of date: a leaf it depends on changed since it was computed.
    pub(crate) stale: bool,
    /// The first use of this node as an input, as `consumer << 2 | input slot`, or [`NONE`];
    /// the next use is in the consumer's `next_use[slot]`.
    pub(crate) first_use: u32,
    /// For each input slot, the next use of that input (see `first_use`).
    pub(crate) next_use: [u32; 3],
    /// Where this node's backward plan starts in the tape's plan list, or [`NONE`].
    pub(crate) plan_start: u32,
    pub(crate) plan_len: u32,
    /// The last plan search that reached this node (so a search need not clear marks).
    pub(crate) mark: u32,
}

impl<T: Real> Node<T> {
    /// The number of entries of the value, R·C.
    pub(crate) fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// The input node ids.
    #[inline(always)]
    pub(crate) fn inputs(&self) -> &[u32] {
        &self.inputs[..self.arity as usize]
    }

    pub(crate) fn op(&self) -> Option<&dyn ErasedOp<T>> {
        match &self.kind {
            Kind::Op(op) => Some(&**op),
            _ => None,
        }
    }

    pub(crate) fn is_leaf(&self) -> bool {
        !matches!(self.kind, Kind::Op(_))
    }
}

/// Where a backward pass keeps the gradients: one flat buffer, each gradient's offset
/// ([`NO_GRAD`](crate::inputs::NO_GRAD) for nodes without one), and per node whether its
/// gradient holds a contribution of this pass.
pub(crate) struct GradBuffers<'a, T> {
    pub(crate) data: &'a mut [T],
    pub(crate) offsets: &'a [usize],
    pub(crate) written: &'a mut [bool],
}

/// An op with its types erased, so the tape can hold ops of any inputs and output. Each call
/// finds its typed inputs and output at the offsets the records give.
pub(crate) trait ErasedOp<T: Real>: Send {
    fn name(&self) -> &'static str;
    /// Recomputes `node`'s value from its inputs' values.
    fn forward(&self, nodes: &[Node<T>], node: &Node<T>, values: &mut [T]);
    /// Adds node `id`'s contributions to its inputs' gradients, given its own gradient.
    fn backward(&self, nodes: &[Node<T>], id: usize, values: &[T], grads: GradBuffers<'_, T>);
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

/// `node`'s input ids as the typed array of its arity.
#[inline(always)]
fn ids<T: Real, I: Layout<T>>(node: &Node<T>) -> I::Ids {
    let mut ids = I::Ids::default();
    for (id, &input) in ids.as_mut().iter_mut().zip(&node.inputs) {
        *id = input as usize;
    }
    ids
}

impl<T: Real, I: Layout<T>, O: Op<T, I>> ErasedOp<T> for TypedOp<I, O> {
    fn name(&self) -> &'static str {
        self.op.name()
    }

    #[inline]
    fn forward(&self, nodes: &[Node<T>], node: &Node<T>, values: &mut [T]) {
        let mut offsets = ids::<T, I>(node);
        for offset in offsets.as_mut() {
            *offset = nodes[*offset].value;
        }
        // Inputs were created earlier, so their values lie before this node's.
        let (before, own) = values.split_at_mut(node.value);
        let inputs = I::refs(&offsets, before);
        self.op.forward_into(inputs, O::Output::from_flat_mut(own));
    }

    #[inline]
    fn backward(&self, nodes: &[Node<T>], id: usize, values: &[T], grads: GradBuffers<'_, T>) {
        let node = &nodes[id];
        let ids = ids::<T, I>(node);
        let (mut values_at, mut grads_at) = (ids, ids);
        for (k, &input) in ids.as_ref().iter().enumerate() {
            values_at.as_mut()[k] = nodes[input].value;
            grads_at.as_mut()[k] = grads.offsets[input];
        }
        let inputs = I::refs(&values_at, values);
        let output = O::Output::from_flat(&values[node.value..]);
        // Gradients are laid out in node order too: the inputs' lie before this node's.
        let (before, own) = grads.data.split_at_mut(grads.offsets[id]);
        let d_out = O::Output::from_flat(own);
        if node.repeats_input {
            let gradients = self.op.backward(inputs, output, d_out);
            I::accumulate_each(gradients, &ids, &grads_at, before, grads.written);
        } else {
            let slots = I::slots(&ids, &grads_at, before, grads.written)
                .expect("shapegrad internal error: distinct inputs have disjoint gradients");
            self.op.backward_into(inputs, output, d_out, slots);
        }
    }
}
