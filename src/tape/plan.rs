//! Backward plans: the nodes a backward pass from a root visits, found once per root.

use std::ops::Range;

use super::Tape;
use super::node::NONE;
use crate::Real;

/// Cached plans may hold this many entries per node of the graph (plus [`PLAN_SLACK`]) before
/// they are all dropped: memory stays proportional to the graph however many roots are used.
const PLAN_ENTRIES_PER_NODE: usize = 8;
const PLAN_SLACK: usize = 4096;

impl<T: Real> Tape<T> {
    /// The backward plan of `root`: its ancestors that need a gradient, itself included, in
    /// decreasing id order (empty if `root` needs no gradient), as a range of
    /// [`Tape::plan_nodes`]. Made on first use and cached.
    pub(crate) fn plan(&mut self, root: usize) -> Range<usize> {
        let node = &self.nodes[root];
        if node.plan_start != NONE {
            let start = node.plan_start as usize;
            return start..start + node.plan_len as usize;
        }
        if !node.needs_grad {
            return 0..0;
        }
        self.make_plan(root)
    }

    /// The nodes of a plan.
    pub(crate) fn plan_nodes(&self, range: Range<usize>) -> &[u32] {
        &self.plan_nodes[range]
    }

    fn make_plan(&mut self, root: usize) -> Range<usize> {
        if self.plan_nodes.len() > PLAN_ENTRIES_PER_NODE * self.nodes.len() + PLAN_SLACK {
            self.drop_plans();
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // After 2³² searches: clear the marks once so an old mark cannot match.
            self.nodes.iter_mut().for_each(|n| n.mark = 0);
            self.epoch = 1;
        }
        let Tape {
            nodes,
            plan_nodes,
            stack,
            epoch,
            ..
        } = self;
        let start = plan_nodes.len();
        stack.clear();
        // Each walk pushes a node at most once: after the first walk, no walk allocates.
        stack.reserve(nodes.len());
        stack.push(root as u32);
        nodes[root].mark = *epoch;
        while let Some(n) = stack.pop() {
            plan_nodes.push(n);
            let node = &nodes[n as usize];
            for k in 0..node.arity as usize {
                let input = nodes[n as usize].inputs[k];
                let input_node = &mut nodes[input as usize];
                if input_node.needs_grad && input_node.mark != *epoch {
                    input_node.mark = *epoch;
                    stack.push(input);
                }
            }
        }
        plan_nodes[start..].sort_unstable_by(|a, b| b.cmp(a));
        let len = plan_nodes.len() - start;
        nodes[root].plan_start = start as u32;
        nodes[root].plan_len = len as u32;
        start..start + len
    }

    /// Forgets every cached plan.
    fn drop_plans(&mut self) {
        for node in &mut self.nodes {
            node.plan_start = NONE;
        }
        self.plan_nodes.clear();
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::Matrix1;

    use crate::Graph;

    #[test]
    fn a_plan_holds_the_ancestors_that_need_gradients_from_the_root_down() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1::new(1.0)); // 0
        let c = g.constant(Matrix1::new(2.0)); // 1
        let cc = c.component_mul(c); // 2: constants only
        let head1 = x.component_mul(cc); // 3
        let other = x + x; // 4: not an ancestor of head1
        let head2 = head1 + other; // 5
        let mut tape = g.tape.borrow_mut();
        let plan = tape.plan(head1.id());
        assert_eq!(tape.plan_nodes(plan), &[3, 0]);
        let plan = tape.plan(head2.id());
        assert_eq!(tape.plan_nodes(plan), &[5, 4, 3, 0]);
        assert_eq!(tape.plan(cc.id()), 0..0);
        // Cached: asking again gives the same range.
        let again = tape.plan(head1.id());
        assert_eq!(tape.plan_nodes(again), &[3, 0]);
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
        let mut tape = g.tape.borrow_mut();
        // Plans of every node: 1 + 2 + … + 201 entries, past 8·201 + 4096.
        for node in &chain {
            let plan = tape.plan(node.id());
            assert_eq!(tape.plan_nodes(plan).len(), node.id() + 1);
        }
        assert!(tape.plan_nodes.len() <= 8 * 201 + 4096 + 201);
        let last = tape.plan(v.id());
        let expected: Vec<u32> = (0..=200).rev().collect();
        assert_eq!(tape.plan_nodes(last), expected.as_slice());
    }
}
