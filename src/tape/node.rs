//! One node of the tape: what it is, where its value lives and what it reads; the steps the
//! plans are made of; and the op behind a node with its types erased.

use std::any::Any;
use std::marker::PhantomData;

use crate::contract::inputs::NO_GRAD;
use crate::contract::inputs::layout::Layout;
use crate::contract::value::flat::Flat;
use crate::contract::{Op, RustExpr};
use crate::kernels::Real;

/// "No node": a node without a cached plan, an unused input.
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
    pub(crate) inputs: [u32; 3],
    /// The offset of the output's value.
    pub(crate) output: u32,
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
    /// This node's cached forward and backward plans (see `src/tape/plan.rs`), or [`NONE`].
    pub(crate) forward_plan: u32,
    pub(crate) backward_plan: u32,
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

/// One op node of a forward list: what the walk needs without reading the node's record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ForwardStep {
    pub(crate) node: u32,
    /// The node's op, an index of the tape's list of ops.
    pub(crate) op: u32,
    pub(crate) arity: u8,
    pub(crate) inputs: [u32; 3],
    pub(crate) at: At,
    /// The leaves of the plan's root this node depends on, one bit each (bit k: the plan's
    /// k-th leaf); all bits when the root has more than 64 leaves.
    pub(crate) leaves: u64,
}

/// What a backward step does with one input's gradient, decided once when the plan is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The input needs no gradient: no slot.
    Skip,
    /// The first contribution to the input's gradient in the pass (in backward order): it
    /// overwrites the buffer, which holds a previous pass's gradient or zeros.
    Overwrite,
    /// A later contribution: it adds to the buffer.
    Accumulate,
}

/// One op node of a backward list, with every offset its backward needs and the mode of each
/// input's slot.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    pub(crate) node: u32,
    /// The node's op, an index of the tape's list of ops.
    pub(crate) op: u32,
    /// Where the inputs' and the node's values live.
    pub(crate) at: At,
    /// The offset of the node's own gradient.
    pub(crate) grad: u32,
    /// The offsets of its inputs' gradients ([`NO_GRAD`] where the mode is [`Mode::Skip`]).
    pub(crate) input_grads: [u32; 3],
    /// Each slot's flag before the call: `false` for [`Mode::Overwrite`], `true` otherwise
    /// (see [`GradSlot::new`](crate::GradSlot::new)).
    pub(crate) written: [bool; 3],
    /// Whether one node feeds two of the inputs: the later uses then write into scratch space
    /// and are added afterwards (their slots would alias).
    pub(crate) repeats: bool,
}

impl Step {
    /// The mode of input `k`'s slot.
    pub(crate) fn mode(&self, k: usize) -> Mode {
        match (self.input_grads[k] == NO_GRAD, self.written[k]) {
            (true, _) => Mode::Skip,
            (false, false) => Mode::Overwrite,
            (false, true) => Mode::Accumulate,
        }
    }
}

/// An op with its types erased, so the tape can hold ops of any inputs and output. Each call
/// finds its typed inputs and output at the offsets the records give.
pub(crate) trait ErasedOp<T: Real>: Send {
    fn name(&self) -> &'static str;
    /// The op's constructor for generated code ([`Op::to_rust`]).
    fn to_rust(&self) -> Option<RustExpr>;
    /// Recomputes the output at `at` from the inputs at `at`.
    fn forward(&self, at: &At, values: &mut [T]);
    /// Writes the node's contributions to its inputs' gradients, given its own gradient, at
    /// the offsets and in the modes `step` gives. `grads` holds every gradient; `scratch` has
    /// room for the inputs of a step whose inputs repeat.
    fn backward(&self, step: &Step, values: &[T], grads: &mut [T], scratch: &mut [T]);
    /// The op as `Any`: a spare box is reused for an op of the same type.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// Whether dropping the op runs code (it owns memory, a counter, a handle…).
    fn needs_drop(&self) -> bool;
}

/// The typed op behind [`ErasedOp`]: just the op (a unit struct for most ops, so boxing it
/// allocates nothing).
pub(crate) struct TypedOp<I, O> {
    pub(crate) op: O,
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

/// What a spare box holds once the op it held, which had to be dropped, is gone.
pub(crate) struct Released;

impl<T: Real> ErasedOp<T> for Released {
    fn name(&self) -> &'static str {
        "released"
    }
    fn to_rust(&self) -> Option<RustExpr> {
        None
    }
    fn forward(&self, _: &At, _: &mut [T]) {
        unreachable!("shapegrad internal error: a released op was run")
    }
    fn backward(&self, _: &Step, _: &[T], _: &mut [T], _: &mut [T]) {
        unreachable!("shapegrad internal error: a released op was run")
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn needs_drop(&self) -> bool {
        false
    }
}

/// The pieces of `grads` at `offsets`, `lens[k]` entries each ([`NO_GRAD`]: none), for the
/// first `arity` inputs. The plan proved them disjoint; the slicing is checked all the same
/// (a wrong plan panics, it cannot alias).
#[inline(always)]
fn cut<T>(
    grads: &mut [T],
    offsets: [u32; 3],
    lens: [usize; 3],
    arity: usize,
) -> [Option<&mut [T]>; 3] {
    let mut pieces = [None, None, None];
    if arity == 1 {
        if offsets[0] != NO_GRAD {
            let at = offsets[0] as usize;
            pieces[0] = Some(&mut grads[at..at + lens[0]]);
        }
        return pieces;
    }
    // Ascending offsets (NO_GRAD sorts last), then one split per piece.
    let mut order = [0, 1, 2];
    if offsets[1] < offsets[0] {
        order.swap(0, 1);
    }
    if arity == 3 {
        if offsets[order[2]] < offsets[order[1]] {
            order.swap(1, 2);
        }
        if offsets[order[1]] < offsets[order[0]] {
            order.swap(0, 1);
        }
    }
    let (mut rest, mut base) = (grads, 0);
    for &k in &order[..arity] {
        if offsets[k] == NO_GRAD {
            break;
        }
        let at = offsets[k] as usize;
        let (_, tail) = std::mem::take(&mut rest).split_at_mut(at.wrapping_sub(base));
        let (piece, tail) = tail.split_at_mut(lens[k]);
        pieces[k] = Some(piece);
        (rest, base) = (tail, at + lens[k]);
    }
    pieces
}

/// Zeroes the slots of first uses that the op left untouched (a zero contribution).
#[inline(always)]
fn zero_untouched<T: Real>(grads: &mut [T], step: &Step, lens: [usize; 3], written: [bool; 3]) {
    for k in 0..3 {
        if !written[k] {
            let at = step.input_grads[k] as usize;
            grads[at..at + lens[k]].fill(T::zero());
        }
    }
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
        let (before, own) = values.split_at_mut(at.output as usize);
        let inputs = I::refs(&at.inputs, before);
        self.op.forward_into(inputs, O::Output::from_flat_mut(own));
    }

    #[inline]
    fn backward(&self, step: &Step, values: &[T], grads: &mut [T], scratch: &mut [T]) {
        if step.repeats {
            return self.backward_repeated(step, values, grads, scratch);
        }
        let inputs = I::refs(&step.at.inputs, values);
        let output = O::Output::from_flat(&values[step.at.output as usize..]);
        // Gradients are laid out in node order too: the inputs' lie before the node's.
        let (before, own) = grads.split_at_mut(step.grad as usize);
        let d_out = O::Output::from_flat(own);
        let mut written = step.written;
        let pieces = cut(before, step.input_grads, I::LENS, I::ARITY);
        self.op
            .backward_into(inputs, output, d_out, I::slots(pieces, &mut written));
        if written != [true; 3] {
            zero_untouched(before, step, I::LENS, written);
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn needs_drop(&self) -> bool {
        std::mem::needs_drop::<O>()
    }
}

impl<I, O> TypedOp<I, O> {
    /// [`ErasedOp::backward`] for a node fed twice (or thrice) by one node: the first use
    /// writes into the node's gradient, each later use into its own piece of `scratch`, which
    /// is then added to it.
    #[cold]
    #[inline(never)]
    fn backward_repeated<T: Real>(
        &self,
        step: &Step,
        values: &[T],
        grads: &mut [T],
        scratch: &mut [T],
    ) where
        I: Layout<T>,
        O: Op<T, I>,
    {
        let inputs = I::refs(&step.at.inputs, values);
        let output = O::Output::from_flat(&values[step.at.output as usize..]);
        let (before, own) = grads.split_at_mut(step.grad as usize);
        let d_out = O::Output::from_flat(own);
        let lens = I::LENS;
        // Slot k repeats slot `first[k]` (itself if it is a first use).
        let first: [usize; 3] = std::array::from_fn(|k| {
            let at = step.input_grads[k];
            (0..k)
                .find(|&j| at != NO_GRAD && step.input_grads[j] == at)
                .unwrap_or(k)
        });
        let mut direct = step.input_grads;
        let mut written = step.written;
        for k in 0..3 {
            if first[k] != k {
                direct[k] = NO_GRAD;
                written[k] = false;
            }
        }
        let mut pieces = cut(before, direct, lens, I::ARITY);
        let mut rest = &mut scratch[..];
        for k in 0..I::ARITY {
            if first[k] != k {
                let (piece, tail) = std::mem::take(&mut rest).split_at_mut(lens[k]);
                pieces[k] = Some(piece);
                rest = tail;
            }
        }
        self.op
            .backward_into(inputs, output, d_out, I::slots(pieces, &mut written));
        let mut from = 0;
        let mut first_uses = written;
        for k in 0..3 {
            if first[k] != k {
                first_uses[k] = true;
            }
        }
        zero_untouched(before, step, lens, first_uses);
        for k in 0..I::ARITY {
            if first[k] != k {
                if written[k] {
                    let at = step.input_grads[k] as usize;
                    let sum = before[at..at + lens[k]].iter_mut();
                    sum.zip(&scratch[from..from + lens[k]])
                        .for_each(|(g, &s)| *g += s);
                }
                from += lens[k];
            }
        }
    }
}
