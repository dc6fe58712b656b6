//! The gradient buffers of a graph and the backward pass that fills them.
//!
//! A pass follows its root's backward plan: each step's slots overwrite the gradients they
//! are the first contribution to and add to the others, as the plan decided, so nothing is
//! zeroed before a pass and nothing is stamped. Every gradient the last pass did not write
//! holds zeros: a pass from another root than the last one first zeroes the runs the last one
//! wrote. So a gradient read is a plain read of the buffer.

use super::Tape;
use super::anomaly::Anomaly;
use super::node::Mode;
use super::plan::BackwardPlan;
use crate::contract::inputs::NO_GRAD;
use crate::kernels::Real;

/// The gradients of a graph: one flat buffer, laid out in node order for the nodes that need
/// a gradient, reused by every backward pass.
pub(crate) struct GradStore<T: Real> {
    data: Vec<T>,
    /// Per node: the gradient's offset in `data`, or [`NO_GRAD`].
    offsets: Vec<u32>,
    /// Room for the later uses of a repeated input (see `TypedOp::backward_repeated`).
    scratch: Vec<T>,
    /// The runs `(offset, len)` of `data` the last pass wrote: everything else is zero.
    written: Vec<(u32, u32)>,
    /// The node the last pass started from.
    root: Option<usize>,
}

impl<T: Real> Default for GradStore<T> {
    fn default() -> Self {
        GradStore {
            data: Vec::new(),
            offsets: Vec::new(),
            scratch: Vec::new(),
            written: Vec::new(),
            root: None,
        }
    }
}

impl<T: Real> GradStore<T> {
    /// Empties the store, keeping its allocations.
    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.offsets.clear();
        self.scratch.clear();
        self.written.clear();
        self.root = None;
    }

    /// The bytes the store's buffers hold (their capacity).
    pub(crate) fn bytes(&self) -> usize {
        (self.data.capacity() + self.scratch.capacity()) * size_of::<T>()
            + self.offsets.capacity() * size_of::<u32>()
            + self.written.capacity() * size_of::<(u32, u32)>()
    }

    /// Each node's gradient offset ([`NO_GRAD`] for none), for the nodes laid out so far.
    pub(crate) fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// The length of the gradient buffer.
    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    /// Lays out gradients for the nodes recorded since the last pass (zeros).
    #[inline]
    pub(crate) fn grow(&mut self, tape: &Tape<T>) {
        if self.offsets.len() < tape.nodes.len() {
            self.grow_to(tape);
        }
    }

    fn grow_to(&mut self, tape: &Tape<T>) {
        let new = &tape.nodes[self.offsets.len()..];
        let wanted: usize = new.iter().filter(|n| n.needs_grad).map(|n| n.len()).sum();
        assert!(
            self.data.len() + wanted < NO_GRAD as usize,
            "shapegrad: a graph's gradients hold fewer than 2³² scalars"
        );
        self.data.reserve_exact(wanted);
        self.offsets.reserve_exact(new.len());
        for node in new {
            if node.needs_grad {
                self.offsets.push(self.data.len() as u32);
                self.data.resize(self.data.len() + node.len(), T::zero());
            } else {
                self.offsets.push(NO_GRAD);
            }
        }
    }

    /// A backward pass from `root` following its `plan`, whose gradient `seed` writes (given
    /// its entries onwards). The tape's values must be up to date for every node of the plan,
    /// and the store laid out ([`GradStore::grow`]).
    #[inline]
    pub(crate) fn run(
        &mut self,
        tape: &Tape<T>,
        root: usize,
        plan: BackwardPlan<'_>,
        seed: impl FnOnce(&mut [T]),
    ) -> Option<Anomaly> {
        if self.root != Some(root) {
            self.switch_root(root, plan.runs);
        }
        let at = self.offsets[root];
        if at == NO_GRAD {
            return None; // root depends on constants only: every gradient reads as zero
        }
        seed(&mut self.data[at as usize..]);
        if plan.scratch > self.scratch.len() {
            self.scratch.resize(plan.scratch, T::zero());
        }
        debug_assert!(plan.steps.first().is_none_or(|s| s.node as usize == root));
        if tape.detect_anomalies {
            let anomaly = self.visit_checked(tape, root, &plan);
            if anomaly.is_some() {
                // Half a pass: back to "nothing written".
                self.switch_root(root, &[]);
                self.root = None;
            }
            return anomaly;
        }
        let GradStore { data, scratch, .. } = self;
        for step in plan.steps {
            tape.ops[step.op as usize].backward(step, &tape.values, data, scratch);
        }
        None
    }

    /// Zeroes what the last pass wrote and records what the pass from `root`, which writes
    /// `runs`, will write.
    #[cold]
    fn switch_root(&mut self, root: usize, runs: &[(u32, u32)]) {
        for &(at, len) in &self.written {
            self.data[at as usize..(at + len) as usize].fill(T::zero());
        }
        self.written.clear();
        self.written.extend_from_slice(runs);
        self.root = Some(root);
    }

    /// The steps of a pass, checking each op's contributions; stops at the first anomaly.
    fn visit_checked(
        &mut self,
        tape: &Tape<T>,
        root: usize,
        plan: &BackwardPlan<'_>,
    ) -> Option<Anomaly> {
        for step in plan.steps {
            tape.ops[step.op as usize].backward(
                step,
                &tape.values,
                &mut self.data,
                &mut self.scratch,
            );
            let n = step.node as usize;
            let node = &tape.nodes[n];
            let d_out = &self.data[step.grad as usize..step.grad as usize + node.len()];
            let grad = |k: usize| {
                let at = step.input_grads[k] as usize;
                let input = node.inputs[k] as usize;
                let written = step.mode(k) != Mode::Skip;
                written.then(|| &self.data[at..at + tape.nodes[input].len()])
            };
            if let Some(anomaly) = tape.check_backward(n, root, d_out, grad) {
                return Some(anomaly);
            }
        }
        None
    }

    /// Node `id`'s gradient from the last pass, from its first entry on (zeros if the pass
    /// did not reach it), or `None` if it has no gradient or was created after the last pass.
    #[inline]
    pub(crate) fn gradient(&self, id: usize) -> Option<&[T]> {
        let &offset = self.offsets.get(id)?;
        if offset == NO_GRAD {
            None
        } else {
            Some(&self.data[offset as usize..])
        }
    }

    /// The gradient at `offset` onwards (a [`Place`](crate::Place)'s).
    #[inline(always)]
    pub(crate) fn at(&self, offset: u32) -> &[T] {
        &self.data[offset as usize..]
    }

    /// Whether node `id` existed at the last pass.
    pub(crate) fn knows(&self, id: usize) -> bool {
        id < self.offsets.len()
    }

    /// The node the last pass started from, or `None` if none has run.
    pub(crate) fn last_root(&self) -> Option<usize> {
        self.root
    }

    /// How many nodes have a gradient buffer.
    pub(crate) fn with_gradient(&self) -> usize {
        self.offsets.iter().filter(|&&o| o != NO_GRAD).count()
    }
}
