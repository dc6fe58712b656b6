//! A tape node's op: the op together with its input ids, its types erased so that the tape can
//! hold ops of any inputs and output.

use std::marker::PhantomData;

use crate::inputs::{GradSlots, Slots};
use crate::value::{downcast, downcast_mut};
use crate::{Inputs, Op, Real, Value};

/// An op together with its input ids, with the types erased so the tape can hold any op.
pub(crate) trait ErasedOp<T: Real> {
    fn name(&self) -> &'static str;
    fn inputs(&self) -> &[usize];
    /// Recomputes the output from `before`, the values of the nodes created before it.
    fn forward(&self, before: &Slots<T>, out: &mut dyn Value<T>);
    /// Adds this node's input gradients into `grads_before` given `d_out`.
    fn backward(
        &self,
        values: &Slots<T>,
        own: usize,
        d_out: &dyn Value<T>,
        grads_before: &mut GradSlots<T>,
    );
}

pub(crate) struct OpNode<T: Real, I: Inputs<T>, O> {
    pub(crate) op: O,
    pub(crate) ids: I::Ids,
    /// Whether one node feeds two inputs (as in `x ∘ x`).
    pub(crate) repeats_input: bool,
    pub(crate) _types: PhantomData<fn() -> (T, I)>,
}

impl<T: Real, I: Inputs<T>, O: Op<T, I>> ErasedOp<T> for OpNode<T, I, O> {
    fn name(&self) -> &'static str {
        self.op.name()
    }
    fn inputs(&self) -> &[usize] {
        self.ids.as_ref()
    }
    fn forward(&self, before: &Slots<T>, out: &mut dyn Value<T>) {
        let inputs = I::refs(&self.ids, before);
        self.op
            .forward_into(inputs, downcast_mut::<T, O::Output>(out));
    }
    fn backward(
        &self,
        values: &Slots<T>,
        own: usize,
        d_out: &dyn Value<T>,
        grads_before: &mut GradSlots<T>,
    ) {
        let inputs = I::refs(&self.ids, values);
        let output = downcast::<T, O::Output>(&*values[own]);
        let d_out = downcast::<T, O::Output>(d_out);
        if self.repeats_input {
            // The same node feeds two inputs (x ∘ x): add one gradient at a time.
            let grads = self.op.backward(inputs, output, d_out);
            I::accumulate_each(grads, &self.ids, grads_before);
        } else {
            let d_inputs = I::grads_mut(&self.ids, grads_before)
                .expect("distinct inputs have disjoint gradient slots");
            self.op.backward_into(inputs, output, d_out, d_inputs);
        }
    }
}
