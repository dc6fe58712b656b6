//! The gradient buffers of a graph and the backward pass that fills them.

use super::Tape;
use super::node::GradBuffers;
use crate::Real;
use crate::inputs::NO_GRAD;

/// The gradients of a graph: one flat buffer, laid out in node order for the nodes that need
/// a gradient, reused by every backward pass.
pub(crate) struct GradStore<T: Real> {
    data: Vec<T>,
    /// Per node: the gradient's offset in `data`, or [`NO_GRAD`].
    offsets: Vec<usize>,
    /// Per node: whether the gradient holds a contribution of the current pass (if not, its
    /// contents are stale and the first contribution overwrites them, see `GradSlot`).
    written: Vec<bool>,
    /// Per node: the pass that last visited it; its gradient belongs to that pass.
    visited: Vec<u32>,
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
            written: Vec::new(),
            visited: Vec::new(),
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
        self.written.clear();
        self.visited.clear();
        self.zeros.clear();
        self.pass = 0;
        self.root = None;
    }

    /// The bytes the store's buffers hold (their capacity).
    pub(crate) fn bytes(&self) -> usize {
        (self.data.capacity() + self.zeros.capacity()) * size_of::<T>()
            + self.offsets.capacity() * size_of::<usize>()
            + self.written.capacity()
            + self.visited.capacity() * size_of::<u32>()
    }

    /// Lays out gradients for the nodes recorded since the last pass.
    fn grow(&mut self, tape: &Tape<T>) {
        let new = self.offsets.len()..tape.nodes.len();
        if new.is_empty() {
            return;
        }
        let wanted: usize = tape.nodes[new.clone()]
            .iter()
            .filter(|n| n.needs_grad)
            .map(|n| n.len())
            .sum();
        self.data.reserve_exact(wanted);
        self.offsets.reserve_exact(new.len());
        self.written.resize(tape.nodes.len(), false);
        self.visited.resize(tape.nodes.len(), 0);
        let mut longest = self.zeros.len();
        for node in &tape.nodes[new] {
            if node.needs_grad {
                self.offsets.push(self.data.len());
                self.data.resize(self.data.len() + node.len(), T::zero());
                longest = longest.max(node.len());
            } else {
                self.offsets.push(NO_GRAD);
            }
        }
        self.zeros.resize(longest, T::zero());
    }

    /// A backward pass from `root`, seeded with `seed` (root's entries), visiting the nodes of
    /// `plan` (root's plan, decreasing ids) and writing only their gradients. The tape's
    /// values must be fresh for every node of the plan.
    pub(crate) fn run(&mut self, tape: &Tape<T>, root: usize, plan: &[u32], seed: &[T]) {
        self.grow(tape);
        self.pass = self.pass.wrapping_add(1);
        if self.pass == 0 {
            // 2³² passes: clear the stamps once so an old stamp cannot match.
            self.visited.fill(0);
            self.pass = 1;
        }
        self.root = Some(root);
        let Some(&first) = plan.first() else {
            return; // root depends on constants only: every gradient reads as zero
        };
        debug_assert_eq!(first as usize, root);
        for &n in plan {
            self.written[n as usize] = false;
            self.visited[n as usize] = self.pass;
        }
        let at = self.offsets[root];
        self.data[at..at + seed.len()].copy_from_slice(seed);
        self.written[root] = true;

        for &n in plan {
            let n = n as usize;
            let node = &tape.nodes[n];
            if !self.written[n] {
                // No contribution reached it (every consumer has a larger id, done already).
                let at = self.offsets[n];
                self.data[at..at + node.len()].fill(T::zero());
                continue;
            }
            if let Some(op) = node.op() {
                let buffers = GradBuffers {
                    data: &mut self.data,
                    offsets: &self.offsets,
                    written: &mut self.written,
                };
                op.backward(&tape.nodes, n, &tape.values, buffers);
            }
        }
    }

    /// Node `id`'s gradient from the last pass (zeros if the pass did not reach it), or `None`
    /// if it has no gradient or was created after the last pass.
    #[inline]
    pub(crate) fn gradient(&self, id: usize, len: usize) -> Option<&[T]> {
        let &offset = self.offsets.get(id)?;
        if offset == NO_GRAD {
            None
        } else if self.visited[id] == self.pass {
            Some(&self.data[offset..offset + len])
        } else {
            Some(&self.zeros[..len])
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
