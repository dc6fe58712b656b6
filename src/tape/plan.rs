//! Plans: what a backward pass from a root visits, found once per root and cached.
//!
//! A root has two lists: its op ancestors (itself included) in increasing id order, walked to
//! bring its value up to date; and its ancestors that need a gradient in decreasing id order,
//! each with the offsets of its own and its inputs' gradients, which a backward pass from it
//! visits.

use std::ops::Range;

use super::Tape;
use super::node::{BackStep, ForwardStep, NONE};
use crate::kernels::Real;

/// Cached plans may hold this many entries per node of the graph (plus [`PLAN_SLACK`]) before
/// they are all dropped: memory stays proportional to the graph however many roots are used.
const PLAN_ENTRIES_PER_NODE: usize = 8;
const PLAN_SLACK: usize = 4096;

/// The cached lists of the roots, back to back; a node's record holds the index of its
/// range here.
#[derive(Default)]
pub(crate) struct Plans {
    forward_ranges: Vec<Range<usize>>,
    backward_ranges: Vec<Range<usize>>,
    /// Op ancestors of each root, increasing ids.
    forward: Vec<ForwardStep>,
    /// Ancestors that need a gradient, decreasing ids, with their gradient offsets.
    backward: Vec<BackStep>,
}

impl Plans {
    pub(crate) fn clear(&mut self) {
        self.forward_ranges.clear();
        self.backward_ranges.clear();
        self.forward.clear();
        self.backward.clear();
    }

    fn entries(&self) -> usize {
        self.forward.len() + self.backward.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        (self.forward_ranges.capacity() + self.backward_ranges.capacity())
            * size_of::<Range<usize>>()
            + self.forward.capacity() * size_of::<ForwardStep>()
            + self.backward.capacity() * size_of::<BackStep>()
    }

    /// The steps of a forward list.
    #[inline]
    pub(crate) fn forward(&self, range: Range<usize>) -> &[ForwardStep] {
        &self.forward[range]
    }
}

impl<T: Real> Tape<T> {
    /// The forward list of `root` (its op ancestors and itself, increasing ids), as a range of
    /// the cached lists; made on first use.
    #[inline]
    pub(crate) fn forward_plan(&mut self, root: usize) -> Range<usize> {
        match self.nodes[root].forward_plan {
            NONE => self.make_forward_plan(root),
            at => self.plans.forward_ranges[at as usize].clone(),
        }
    }

    /// The backward list of `root` (its ancestors that need a gradient, itself first,
    /// decreasing ids); made on first use. `grads` gives each node's gradient offset
    /// ([`NO_GRAD`](crate::inputs::NO_GRAD) for none) and must cover every node.
    #[inline]
    pub(crate) fn backward_plan(&mut self, root: usize, grads: &[usize]) -> Range<usize> {
        match self.nodes[root].backward_plan {
            NONE => self.make_backward_plan(root, grads),
            at => self.plans.backward_ranges[at as usize].clone(),
        }
    }

    /// Whether a backward pass from `root` should follow a plan: from the second pass from a
    /// root on (and always with anomaly detection on). The first pass walks the records
    /// instead ([`GradStore::run_unplanned`](super::grads::GradStore::run_unplanned)): a graph
    /// built afresh for one pass does not pay for a plan it would use once.
    pub(crate) fn wants_plan(&mut self, root: usize) -> bool {
        let node = &mut self.nodes[root];
        let planned = node.backward_plan != NONE || node.was_root || self.detect_anomalies;
        node.was_root = true;
        planned
    }

    /// The steps of a backward list.
    #[inline]
    pub(crate) fn backward_steps(&self, range: Range<usize>) -> &[BackStep] {
        &self.plans.backward[range]
    }

    /// The ancestors of `root` and `root`, increasing ids, in `self.stack`.
    fn find_ancestors(&mut self, root: usize) {
        if self.plans.entries() > PLAN_ENTRIES_PER_NODE * self.nodes.len() + PLAN_SLACK {
            for node in &mut self.nodes {
                node.forward_plan = NONE;
                node.backward_plan = NONE;
            }
            self.plans.clear();
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // After 2³² searches: clear the marks once so an old mark cannot match.
            self.nodes.iter_mut().for_each(|n| n.mark = 0);
            self.epoch = 1;
        }
        let Tape {
            nodes,
            stack,
            epoch,
            ..
        } = self;
        stack.clear();
        stack.reserve(nodes.len());
        stack.push(root as u32);
        nodes[root].mark = *epoch;
        let mut k = 0;
        while k < stack.len() {
            let n = stack[k] as usize;
            k += 1;
            for slot in 0..nodes[n].arity as usize {
                let input = nodes[n].inputs[slot];
                let input_node = &mut nodes[input as usize];
                if input_node.mark != *epoch {
                    input_node.mark = *epoch;
                    stack.push(input);
                }
            }
        }
        stack.sort_unstable();
    }

    fn make_forward_plan(&mut self, root: usize) -> Range<usize> {
        self.find_ancestors(root);
        self.forward_plan_of_ancestors(root)
    }

    /// Caches the forward list of `root` from its ancestors in `self.stack`.
    fn forward_plan_of_ancestors(&mut self, root: usize) -> Range<usize> {
        let Tape {
            nodes,
            plans,
            stack,
            ..
        } = self;
        let start = plans.forward.len();
        for &n in stack.iter() {
            let node = &nodes[n as usize];
            if let Some(op) = node.op() {
                plans.forward.push(ForwardStep {
                    node: n,
                    op,
                    arity: node.arity,
                    inputs: node.inputs,
                    at: node.at,
                });
            }
        }
        let range = start..plans.forward.len();
        nodes[root].forward_plan = plans.forward_ranges.len() as u32;
        plans.forward_ranges.push(range.clone());
        range
    }

    fn make_backward_plan(&mut self, root: usize, grads: &[usize]) -> Range<usize> {
        if !self.nodes[root].needs_grad {
            return 0..0;
        }
        self.find_ancestors(root);
        if self.nodes[root].forward_plan == NONE && !self.nodes[root].is_leaf() {
            // The same search gives it: a later replay then finds both lists made.
            self.forward_plan_of_ancestors(root);
        }
        let Tape {
            nodes,
            plans,
            stack,
            ..
        } = self;
        let start = plans.backward.len();
        for &n in stack.iter().rev() {
            let node = &nodes[n as usize];
            if node.needs_grad {
                plans.backward.push(BackStep::of(n as usize, node, grads));
            }
        }
        let range = start..plans.backward.len();
        nodes[root].backward_plan = plans.backward_ranges.len() as u32;
        plans.backward_ranges.push(range.clone());
        range
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::Matrix1;

    use crate::graph::Graph;

    fn ids(steps: &[super::BackStep]) -> Vec<u32> {
        steps.iter().map(|s| s.node).collect()
    }

    fn forward_ids(steps: &[super::ForwardStep]) -> Vec<u32> {
        steps.iter().map(|s| s.node).collect()
    }

    #[test]
    fn a_plan_lists_the_op_ancestors_up_and_those_that_need_gradients_down() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1::new(1.0)); // 0
        let c = g.constant(Matrix1::new(2.0)); // 1
        let cc = c.component_mul(c); // 2: constants only
        let head1 = x.component_mul(cc); // 3
        let other = x + x; // 4: not an ancestor of head1
        let head2 = head1 + other; // 5
        drop(head2.backward()); // lays out the gradients
        let grads = g.grads().borrow();
        let mut tape = g.tape().borrow_mut();
        let offsets = grads.offsets();
        let forward = tape.forward_plan(head1.id());
        assert_eq!(forward_ids(tape.plans.forward(forward)), [2, 3]);
        let backward = tape.backward_plan(head1.id(), offsets);
        assert_eq!(ids(tape.backward_steps(backward)), [3, 0]);
        let forward = tape.forward_plan(head2.id());
        assert_eq!(forward_ids(tape.plans.forward(forward)), [2, 3, 4, 5]);
        let backward = tape.backward_plan(head2.id(), offsets);
        assert_eq!(ids(tape.backward_steps(backward)), [5, 4, 3, 0]);
        let forward = tape.forward_plan(cc.id());
        assert_eq!(forward_ids(tape.plans.forward(forward)), [2]);
        assert!(tape.backward_plan(cc.id(), offsets).is_empty());
        // Cached: asking again gives the same ranges.
        let again = tape.backward_plan(head1.id(), offsets);
        assert_eq!(again, tape.backward_plan(head1.id(), offsets));
    }

    #[test]
    fn plans_beyond_the_budget_are_dropped_and_remade_equal() {
        let g = Graph::<f64>::new();
        let mut v = g.var(Matrix1::new(1.0));
        let mut chain = vec![v];
        for _ in 0..200 {
            v = v + v;
            chain.push(v);
        }
        drop(v.backward());
        let grads = g.grads().borrow();
        let mut tape = g.tape().borrow_mut();
        // Lists of every node: about 2·(1 + 2 + … + 201) entries, past 8·201 + 4096.
        for node in &chain {
            let backward = tape.backward_plan(node.id(), grads.offsets());
            assert_eq!(backward.len(), node.id() + 1);
            assert_eq!(tape.forward_plan(node.id()).len(), node.id());
        }
        assert!(tape.plans.entries() <= 8 * 201 + 4096 + 2 * 201);
        let last = tape.backward_plan(v.id(), grads.offsets());
        let expected: Vec<u32> = (0..=200).rev().collect();
        assert_eq!(ids(tape.backward_steps(last)), expected);
    }
}
