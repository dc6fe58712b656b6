//! Staleness: a changed leaf marks what depends on it, a read recomputes what it needs.

use super::Tape;
use super::node::NONE;
use crate::Real;

impl<T: Real> Tape<T> {
    /// Marks stale every node that depends on node `id` and is not stale yet. Stops at stale
    /// nodes: their consumers are stale already (the staleness invariant).
    pub(crate) fn mark_uses_stale(&mut self, id: usize) {
        let Tape { nodes, stack, .. } = self;
        stack.clear();
        // Each walk pushes a node at most once: after the first walk, no walk allocates.
        stack.reserve(nodes.len());
        stack.push(id as u32);
        while let Some(n) = stack.pop() {
            let mut using = nodes[n as usize].first_use;
            while using != NONE {
                let (consumer, slot) = ((using >> 2) as usize, (using & 3) as usize);
                let node = &mut nodes[consumer];
                if !node.stale {
                    node.stale = true;
                    stack.push(consumer as u32);
                }
                using = node.next_use[slot];
            }
        }
    }

    /// Recomputes the stale ancestors of node `root` (and `root`), each after its inputs;
    /// nothing else. Free when `root` is fresh.
    #[inline]
    pub(crate) fn refresh(&mut self, root: usize) {
        if self.nodes[root].stale {
            self.refresh_stale(root);
        }
    }

    /// [`Tape::refresh`] of a stale root: a depth-first walk into stale inputs only. The
    /// stack is a path of nodes each an input of the one below it, so no node is on it twice.
    fn refresh_stale(&mut self, root: usize) {
        let Tape {
            nodes,
            values,
            stack,
            ..
        } = self;
        stack.clear();
        // Each walk pushes a node at most once: after the first walk, no walk allocates.
        stack.reserve(nodes.len());
        stack.push(root as u32);
        while let Some(&top) = stack.last() {
            let node = &nodes[top as usize];
            match node.inputs().iter().find(|&&i| nodes[i as usize].stale) {
                Some(&input) => stack.push(input),
                None => {
                    if let Some(op) = node.op() {
                        op.forward(nodes, node, values);
                    }
                    nodes[top as usize].stale = false;
                    stack.pop();
                }
            }
        }
    }

    /// Recomputes every stale node, in id order (inputs first).
    pub(crate) fn refresh_all(&mut self) {
        let Tape { nodes, values, .. } = self;
        for id in 0..nodes.len() {
            if nodes[id].stale {
                if let Some(op) = nodes[id].op() {
                    op.forward(nodes, &nodes[id], values);
                }
                nodes[id].stale = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::Matrix1;

    use crate::Graph;

    /// Counts how many times its forward runs.
    struct Counted(std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl crate::Op<f64, (Matrix1<f64>,)> for Counted {
        type Output = Matrix1<f64>;
        fn forward(&self, (x,): (&Matrix1<f64>,)) -> Matrix1<f64> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            *x * 2.0
        }
        fn backward(
            &self,
            _: (&Matrix1<f64>,),
            _: &Matrix1<f64>,
            d_out: &Matrix1<f64>,
        ) -> (Matrix1<f64>,) {
            (*d_out * 2.0,)
        }
    }

    #[test]
    fn setting_a_leaf_recomputes_only_what_depends_on_it_and_only_when_read() {
        let (a_runs, b_runs) = (Default::default(), Default::default());
        let count = |runs: &std::sync::Arc<std::sync::atomic::AtomicUsize>| {
            runs.load(std::sync::atomic::Ordering::Relaxed)
        };
        let g = Graph::<f64>::new();
        let a = g.var(Matrix1::new(1.0));
        let b = g.var(Matrix1::new(10.0));
        let fa = g.apply(Counted(std::sync::Arc::clone(&a_runs)), (a,));
        let fb = g.apply(Counted(std::sync::Arc::clone(&b_runs)), (b,));
        let sum = fa + fb;
        assert_eq!((count(&a_runs), count(&b_runs)), (1, 1));

        a.set_value(Matrix1::new(2.0));
        a.set_value(Matrix1::new(3.0)); // marked once, computed once
        assert_eq!(fb.value()[0], 20.0); // fb does not depend on a: nothing recomputed
        assert_eq!((count(&a_runs), count(&b_runs)), (1, 1));
        assert_eq!(sum.value()[0], 26.0);
        assert_eq!((count(&a_runs), count(&b_runs)), (2, 1));
        assert_eq!(sum.value()[0], 26.0);
        assert_eq!((count(&a_runs), count(&b_runs)), (2, 1));
    }
}
