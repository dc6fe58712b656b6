//! Up-to-date values: a write to a leaf advances the clock; a read recomputes what moved on.

use super::Tape;
use super::plan::NEVER;
use crate::kernels::Real;

impl<T: Real> Tape<T> {
    /// Brings node `root`'s value up to date: recomputes, inputs first, the op ancestors whose
    /// inputs changed since they were computed, and nothing else. Free when no leaf was written
    /// since `root` was last brought up to date.
    #[inline]
    pub(crate) fn refresh(&mut self, root: usize) {
        if self.checked[root] != self.clock {
            self.refresh_walk(root);
        }
    }

    fn refresh_walk(&mut self, root: usize) {
        if self.nodes[root].is_leaf() {
            self.checked[root] = self.clock;
            return;
        }
        let plan = self.forward_plan(root);
        let record = self.plans.record(plan);
        let recomputed = if self.detect_anomalies {
            if !self.run_forward_checked(plan) {
                return; // an anomaly: the root stays out of date
            }
            true
        } else if record.masked && record.synced != NEVER && record.walks == self.walks {
            self.run_forward_changed(plan, record.synced)
        } else {
            self.run_forward(plan)
        };
        if recomputed {
            self.walks += 1;
        }
        let record = self.plans.record_mut(plan);
        (record.synced, record.walks) = (self.clock, self.walks);
        self.checked[root] = self.clock;
    }

    /// The walk of forward plan `plan` when nothing but leaf writes happened since it last
    /// brought its root up to date (at clock `synced`): the leaves written since give a mask,
    /// and exactly the steps that depend on one of them are recomputed, with no version check.
    /// Returns whether it recomputed a node.
    #[inline]
    fn run_forward_changed(&mut self, plan: usize, synced: u64) -> bool {
        let Tape {
            ops,
            values,
            versions,
            checked,
            plans,
            clock,
            ..
        } = self;
        let mut changed = 0u64;
        for (bit, &leaf) in plans.leaves(plan).iter().enumerate() {
            changed |= u64::from(versions[leaf as usize] > synced) << bit;
        }
        if changed == 0 {
            return false;
        }
        for step in plans.forward_steps(plan) {
            let n = step.node as usize;
            if step.leaves & changed != 0 {
                ops[step.op as usize].forward(&step.at, values);
                versions[n] = *clock;
            }
            checked[n] = *clock;
        }
        true
    }

    /// Walks forward plan `plan` (op ancestors of a root, increasing ids), recomputing each
    /// node whose inputs have a larger version than it. Returns whether it recomputed one.
    fn run_forward(&mut self, plan: usize) -> bool {
        let Tape {
            ops,
            values,
            versions,
            checked,
            plans,
            clock,
            ..
        } = self;
        let mut recomputed = false;
        for step in plans.forward_steps(plan) {
            let n = step.node as usize;
            if checked[n] == *clock {
                continue;
            }
            let mut newest = 0;
            for &input in &step.inputs[..step.arity as usize] {
                newest = newest.max(versions[input as usize]);
            }
            if newest > versions[n] {
                ops[step.op as usize].forward(&step.at, values);
                versions[n] = newest;
                recomputed = true;
            }
            checked[n] = *clock;
        }
        recomputed
    }

    /// [`Tape::run_forward`] checking each recomputed value; stops at the first anomaly
    /// (that node stays out of date, so the next read computes and reports it again) and
    /// returns `false` then.
    fn run_forward_checked(&mut self, plan: usize) -> bool {
        for k in 0..self.plans.forward_steps(plan).len() {
            let step = self.plans.forward_steps(plan)[k];
            let n = step.node as usize;
            if self.checked[n] == self.clock {
                continue;
            }
            let inputs = &step.inputs[..step.arity as usize];
            let newest = inputs.iter().map(|&i| self.versions[i as usize]).max();
            let newest = newest.unwrap_or(0);
            if newest > self.versions[n] {
                self.ops[step.op as usize].forward(&step.at, &mut self.values);
                if let Some(anomaly) = self.check_forward(n) {
                    self.anomaly = Some(anomaly);
                    return false;
                }
                self.versions[n] = newest;
            }
            self.checked[n] = self.clock;
        }
        true
    }

    /// Brings every node up to date, in id order (inputs first).
    pub(crate) fn refresh_all(&mut self) {
        let Tape {
            nodes,
            ops,
            values,
            versions,
            checked,
            clock,
            walks,
            ..
        } = self;
        for (n, node) in nodes.iter().enumerate() {
            let Some(op) = node.op() else { continue };
            if checked[n] == *clock {
                continue;
            }
            let newest = node.inputs().iter().map(|&i| versions[i as usize]).max();
            let newest = newest.unwrap_or(0);
            if newest > versions[n] {
                ops[op as usize].forward(&node.at, values);
                versions[n] = newest;
            }
            checked[n] = *clock;
        }
        *walks += 1;
        // Drawings show whatever the values are; anomalies are reported by reads and passes.
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use nalgebra::Matrix1;

    use crate::graph::Graph;

    /// `2x`, counting how many times its forward runs.
    struct Counted(Arc<AtomicUsize>);

    impl crate::contract::Op<f64, (Matrix1<f64>,)> for Counted {
        type Output = Matrix1<f64>;
        fn forward(&self, (x,): (&Matrix1<f64>,)) -> Matrix1<f64> {
            self.0.fetch_add(1, Ordering::Relaxed);
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
    fn a_write_recomputes_only_what_depends_on_it_and_only_when_read() {
        let (a_runs, b_runs) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let runs = || {
            (
                a_runs.load(Ordering::Relaxed),
                b_runs.load(Ordering::Relaxed),
            )
        };
        let g = Graph::<f64>::new();
        let a = g.var(Matrix1::new(1.0));
        let b = g.var(Matrix1::new(10.0));
        let fa = g.apply(Counted(Arc::clone(&a_runs)), (a,));
        let fb = g.apply(Counted(Arc::clone(&b_runs)), (b,));
        let sum = fa + fb;
        assert_eq!(runs(), (1, 1));

        a.set_value(Matrix1::new(2.0));
        a.set_value(Matrix1::new(3.0)); // two writes, one recomputation
        assert_eq!(fb.value()[0], 20.0); // fb does not depend on a: nothing recomputed
        assert_eq!(runs(), (1, 1));
        assert_eq!(sum.value()[0], 26.0);
        assert_eq!(runs(), (2, 1));
        assert_eq!(sum.value()[0], 26.0);
        assert_eq!(runs(), (2, 1));
        b.set_value(Matrix1::new(0.5));
        drop(sum.backward());
        assert_eq!(runs(), (2, 2));
        assert_eq!(sum.value()[0], 7.0);
        assert_eq!(runs(), (2, 2));
    }

    #[test]
    fn an_op_recorded_after_a_write_reads_up_to_date_inputs() {
        let g = Graph::<f64>::new();
        let a = g.var(Matrix1::new(1.0));
        let twice = a + a;
        a.set_value(Matrix1::new(5.0));
        let more = twice + a; // twice is brought up to date before `more` is computed
        assert_eq!(more.value()[0], 15.0);
    }
}
