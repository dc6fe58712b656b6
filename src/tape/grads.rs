//! The gradient buffers of a graph and the backward pass that fills them.
//!
//! Each node's gradient carries a stamp, the number of the pass it belongs to. A pass seeds its
//! root and stamps each buffer when the first contribution overwrites it (later ones add, see
//! `GradSlot`); a node whose stamp is not the current pass's received nothing and reads as
//! zero. So no buffer is zeroed, and a pass writes nothing outside its backward list.

use super::Tape;
use super::anomaly::Anomaly;
use super::node::{BackStep, GradBuffers, NONE};
use crate::contract::inputs::NO_GRAD;
use crate::kernels::Real;

/// The gradients of a graph: one flat buffer, laid out in node order for the nodes that need
/// a gradient, reused by every backward pass.
pub(crate) struct GradStore<T: Real> {
    data: Vec<T>,
    /// Per node: the gradient's offset in `data`, or [`NO_GRAD`].
    offsets: Vec<usize>,
    /// Per node: the pass its gradient belongs to.
    stamps: Vec<u32>,
    /// The current pass (0: none yet).
    pass: u32,
    /// Zeros, as long as the largest gradient: what a node the pass did not reach reads.
    zeros: Vec<T>,
    /// The node the last pass started from.
    root: Option<usize>,
}

impl<T: Real> Default for GradStore<T> {
    fn default() -> Self {
        GradStore {
            data: Vec::new(),
            offsets: Vec::new(),
            stamps: Vec::new(),
            pass: 0,
            zeros: Vec::new(),
            root: None,
        }
    }
}

impl<T: Real> GradStore<T> {
    /// Empties the store, keeping its allocations.
    pub(crate) fn clear(&mut self) {
        self.data.clear();
        self.offsets.clear();
        self.stamps.clear();
        self.zeros.clear();
        self.pass = 0;
        self.root = None;
    }

    /// The bytes the store's buffers hold (their capacity).
    pub(crate) fn bytes(&self) -> usize {
        (self.data.capacity() + self.zeros.capacity()) * size_of::<T>()
            + self.offsets.capacity() * size_of::<usize>()
            + self.stamps.capacity() * size_of::<u32>()
    }

    /// Each node's gradient offset ([`NO_GRAD`] for none), for the nodes laid out so far.
    pub(crate) fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// Lays out gradients for the nodes recorded since the last pass.
    #[inline]
    pub(crate) fn grow(&mut self, tape: &Tape<T>) {
        if self.offsets.len() < tape.nodes.len() {
            self.grow_to(tape);
        }
    }

    fn grow_to(&mut self, tape: &Tape<T>) {
        let new = &tape.nodes[self.offsets.len()..];
        let wanted: usize = new.iter().filter(|n| n.needs_grad).map(|n| n.len()).sum();
        self.data.reserve_exact(wanted);
        self.offsets.reserve_exact(new.len());
        let mut longest = self.zeros.len();
        for node in new {
            if node.needs_grad {
                self.offsets.push(self.data.len());
                self.data.resize(self.data.len() + node.len(), T::zero());
                longest = longest.max(node.len());
            } else {
                self.offsets.push(NO_GRAD);
            }
        }
        self.stamps.resize(tape.nodes.len(), 0);
        self.zeros.resize(longest, T::zero());
    }

    /// A backward pass from `root`, whose gradient `seed` writes (given its entries onwards),
    /// visiting `steps` (root's backward list) and writing only their gradients. The tape's
    /// values must be up to date for every node of the list, and the store laid out
    /// ([`GradStore::grow`]).
    #[inline]
    pub(crate) fn run(
        &mut self,
        tape: &Tape<T>,
        root: usize,
        steps: &[BackStep],
        seed: impl FnOnce(&mut [T]),
    ) -> Option<Anomaly> {
        if !self.begin(root, seed) {
            return None; // root depends on constants only: every gradient reads as zero
        }
        debug_assert_eq!(steps.first().map(|s| s.node as usize), Some(root));
        if tape.detect_anomalies {
            return self.visit_checked(tape, root, steps);
        }
        self.visit(tape, steps);
        None
    }

    /// Starts a pass from `root`: a new stamp, and the root's gradient seeded. False if the
    /// root has no gradient (it depends on constants only).
    fn begin(&mut self, root: usize, seed: impl FnOnce(&mut [T])) -> bool {
        self.pass = self.pass.wrapping_add(1);
        if self.pass == 0 {
            // 2³² passes: clear the stamps once so an old stamp cannot match.
            self.stamps.fill(0);
            self.pass = 1;
        }
        self.root = Some(root);
        let at = self.offsets[root];
        if at == NO_GRAD {
            return false;
        }
        seed(&mut self.data[at..]);
        self.stamps[root] = self.pass;
        true
    }

    /// A backward pass from `root` without a plan: every node from `root` down, in decreasing
    /// ids, each op that received a contribution passing it on (the others are skipped at the
    /// cost of a comparison). The same result as [`GradStore::run`] with root's plan.
    pub(crate) fn run_unplanned(
        &mut self,
        tape: &Tape<T>,
        root: usize,
        seed: impl FnOnce(&mut [T]),
    ) {
        if !self.begin(root, seed) {
            return;
        }
        for n in (0..=root).rev() {
            let node = &tape.nodes[n];
            if node.op().is_some() && self.stamps[n] == self.pass {
                self.pass_on(tape, &BackStep::of(n, node, &self.offsets));
            }
        }
    }

    /// Runs the backward of the op of `step`, which received a contribution in this pass.
    #[inline(always)]
    fn pass_on(&mut self, tape: &Tape<T>, step: &BackStep) {
        let buffers = GradBuffers {
            data: &mut self.data,
            stamps: &mut self.stamps,
            pass: self.pass,
        };
        tape.ops[step.op as usize].backward(step, &tape.values, buffers);
    }

    /// The loop of [`GradStore::run`]: each op that received a contribution passes it on.
    fn visit(&mut self, tape: &Tape<T>, steps: &[BackStep]) {
        for step in steps {
            let n = step.node as usize;
            if step.op == NONE || self.stamps[n] != self.pass {
                continue; // a leaf, or nothing reached it: it reads as zero
            }
            self.pass_on(tape, step);
        }
    }

    /// [`GradStore::visit`] checking each op's contributions; stops at the first anomaly.
    fn visit_checked(
        &mut self,
        tape: &Tape<T>,
        root: usize,
        steps: &[BackStep],
    ) -> Option<Anomaly> {
        for step in steps {
            let n = step.node as usize;
            if step.op == NONE || self.stamps[n] != self.pass {
                continue;
            }
            self.pass_on(tape, step);
            let node = &tape.nodes[n];
            let d_out = &self.data[step.grad..step.grad + node.len()];
            let grad = |k: usize| {
                let (at, input) = (step.input_grads[k], step.inputs[k] as usize);
                let written = at != NO_GRAD && self.stamps[input] == self.pass;
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
        } else if self.stamps[id] == self.pass {
            Some(&self.data[offset..])
        } else {
            Some(&self.zeros)
        }
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
