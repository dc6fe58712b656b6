//! Plans: what a walk from a root visits, found once per root and cached.
//!
//! A root has two plans. Its forward plan lists its op ancestors (itself included) in
//! increasing id order, each with the set of the root's leaves it depends on, and those
//! leaves: walked to bring the root's value up to date. Its backward plan lists its op
//! ancestors that need a gradient in decreasing id order, each step with its offsets and the
//! mode of each input's slot (skip, overwrite, accumulate: the first contribution in backward
//! order overwrites), and the runs of the gradient buffer the pass writes.
//!
//! The plans of all roots live back to back in a few vectors. Past a budget proportional to
//! the graph ([`PLAN_ENTRIES_PER_NODE`] entries per node plus [`PLAN_SLACK`]) the least
//! recently used plans are dropped until half the budget is left, and the rest are moved down
//! in place: the vectors never grow past the budget and one plan, so a graph with more roots
//! in use than fit keeps remaking plans without allocating once its vectors have grown, and
//! the roots in use every step keep theirs.

use super::Tape;
use super::node::{ForwardStep, NONE, Node, Step};
use crate::contract::inputs::NO_GRAD;
use crate::kernels::Real;

/// Cached plans may hold this many entries per node of the graph (plus [`PLAN_SLACK`]) before
/// the least recently used are dropped: memory stays proportional to the graph however many
/// roots are used.
const PLAN_ENTRIES_PER_NODE: usize = 8;
const PLAN_SLACK: usize = 4096;

/// A forward plan that has not brought its root up to date yet.
pub(crate) const NEVER: u64 = u64::MAX;

/// One cached plan.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    root: u32,
    backward: bool,
    /// Its steps: in `forward` or in `backward`.
    steps: (u32, u32),
    /// A forward plan's leaves (in `leaves`), a backward plan's gradient runs (in `runs`).
    extra: (u32, u32),
    /// When it was last used (see [`Plans::uses`]).
    last_used: u64,
    /// Forward: the clock when it last brought its root up to date ([`NEVER`]: not yet).
    pub(crate) synced: u64,
    /// Forward: the tape's count of walks right after that.
    pub(crate) walks: u64,
    /// Forward: whether the root has at most 64 leaves, so each step's mask is exact.
    pub(crate) masked: bool,
    /// Backward: the scratch entries its steps with a repeated input need.
    pub(crate) scratch: u32,
}

impl Record {
    fn entries(&self) -> usize {
        1 + (self.steps.1 - self.steps.0) as usize + (self.extra.1 - self.extra.0) as usize
    }
}

/// The cached plans of the roots, back to back; a node's record holds the index of its
/// plans here.
#[derive(Default)]
pub(crate) struct Plans {
    records: Vec<Record>,
    forward: Vec<ForwardStep>,
    leaves: Vec<u32>,
    backward: Vec<Step>,
    /// Runs of the gradient buffer, `(offset, len)`.
    runs: Vec<(u32, u32)>,
    /// Advanced by every use of a plan.
    uses: u64,
    /// Scratch space of the eviction.
    lru: Vec<(u64, u32)>,
}

/// A backward plan as a pass needs it.
pub(crate) struct BackwardPlan<'a> {
    pub(crate) steps: &'a [Step],
    /// The runs of the gradient buffer the pass writes (the root's included).
    pub(crate) runs: &'a [(u32, u32)],
    /// The scratch entries the steps with a repeated input need.
    pub(crate) scratch: usize,
}

fn range(r: (u32, u32)) -> std::ops::Range<usize> {
    r.0 as usize..r.1 as usize
}

impl Plans {
    pub(crate) fn clear(&mut self) {
        self.records.clear();
        self.forward.clear();
        self.leaves.clear();
        self.backward.clear();
        self.runs.clear();
        self.uses = 0;
        self.lru.clear();
    }

    fn entries(&self) -> usize {
        self.records.len()
            + self.forward.len()
            + self.leaves.len()
            + self.backward.len()
            + self.runs.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.records.capacity() * size_of::<Record>()
            + self.forward.capacity() * size_of::<ForwardStep>()
            + self.leaves.capacity() * size_of::<u32>()
            + self.backward.capacity() * size_of::<Step>()
            + self.runs.capacity() * size_of::<(u32, u32)>()
            + self.lru.capacity() * size_of::<(u64, u32)>()
    }

    /// Plan `index`, marked as just used.
    #[inline]
    fn touch(&mut self, index: u32) -> usize {
        self.uses += 1;
        self.records[index as usize].last_used = self.uses;
        index as usize
    }

    pub(crate) fn record(&self, index: usize) -> &Record {
        &self.records[index]
    }

    pub(crate) fn record_mut(&mut self, index: usize) -> &mut Record {
        &mut self.records[index]
    }

    /// A forward plan's steps.
    #[inline]
    pub(crate) fn forward_steps(&self, index: usize) -> &[ForwardStep] {
        &self.forward[range(self.records[index].steps)]
    }

    /// A forward plan's leaves: bit k of a step's mask is `leaves[k]`.
    #[inline]
    pub(crate) fn leaves(&self, index: usize) -> &[u32] {
        &self.leaves[range(self.records[index].extra)]
    }

    /// A backward plan.
    #[inline]
    pub(crate) fn backward(&self, index: usize) -> BackwardPlan<'_> {
        let record = &self.records[index];
        BackwardPlan {
            steps: &self.backward[range(record.steps)],
            runs: &self.runs[range(record.extra)],
            scratch: record.scratch as usize,
        }
    }

    fn push(&mut self, record: Record, nodes: &mut [Node]) -> usize {
        let index = self.records.len();
        let node = &mut nodes[record.root as usize];
        if record.backward {
            node.backward_plan = index as u32;
        } else {
            node.forward_plan = index as u32;
        }
        self.records.push(record);
        self.touch(index as u32)
    }

    /// Drops the least recently used plans until at most `target` entries are left, and
    /// moves the others down in place.
    fn evict(&mut self, target: usize, nodes: &mut [Node]) {
        self.lru.clear();
        let used = self.records.iter().enumerate();
        self.lru.extend(used.map(|(k, r)| (r.last_used, k as u32)));
        self.lru.sort_unstable();
        let mut entries = self.entries();
        let mut oldest_kept = 0;
        for &(last_used, k) in &self.lru {
            if entries <= target {
                break;
            }
            entries -= self.records[k as usize].entries();
            oldest_kept = last_used + 1;
        }
        for record in &self.records {
            let node = &mut nodes[record.root as usize];
            *if record.backward {
                &mut node.backward_plan
            } else {
                &mut node.forward_plan
            } = NONE;
        }
        let mut cursor = [0u32; 4]; // forward, leaves, backward, runs
        let mut kept = 0;
        for k in 0..self.records.len() {
            let mut record = self.records[k].clone();
            if record.last_used < oldest_kept {
                continue;
            }
            let (steps, extra) = if record.backward { (2, 3) } else { (0, 1) };
            record.steps = self.move_down(steps, record.steps, &mut cursor[steps]);
            record.extra = self.move_down(extra, record.extra, &mut cursor[extra]);
            let node = &mut nodes[record.root as usize];
            *if record.backward {
                &mut node.backward_plan
            } else {
                &mut node.forward_plan
            } = kept as u32;
            self.records[kept] = record;
            kept += 1;
        }
        self.records.truncate(kept);
        self.forward.truncate(cursor[0] as usize);
        self.leaves.truncate(cursor[1] as usize);
        self.backward.truncate(cursor[2] as usize);
        self.runs.truncate(cursor[3] as usize);
    }

    /// Moves the entries `from` of list `list` (0 forward, 1 leaves, 2 backward, 3 runs) to
    /// `*cursor` onwards; returns their new range.
    fn move_down(&mut self, list: usize, from: (u32, u32), cursor: &mut u32) -> (u32, u32) {
        let to = *cursor;
        let range = range(from);
        match list {
            0 => self.forward.copy_within(range, to as usize),
            1 => self.leaves.copy_within(range, to as usize),
            2 => self.backward.copy_within(range, to as usize),
            _ => self.runs.copy_within(range, to as usize),
        }
        *cursor += from.1 - from.0;
        (to, *cursor)
    }
}

impl<T: Real> Tape<T> {
    /// The index of `root`'s forward plan (its op ancestors and itself, increasing ids),
    /// made on first use. `root` must be an op.
    #[inline]
    pub(crate) fn forward_plan(&mut self, root: usize) -> usize {
        match self.nodes[root].forward_plan {
            NONE => self.make_forward_plan(root),
            at => self.plans.touch(at),
        }
    }

    /// The index of `root`'s backward plan (its op ancestors that need a gradient, itself
    /// first, decreasing ids); made on first use. `grads` gives each node's gradient offset
    /// ([`NO_GRAD`] for none) and must cover every node; `grads_len` is the length of the
    /// gradient buffer.
    #[inline]
    pub(crate) fn backward_plan(&mut self, root: usize, grads: &[u32], grads_len: usize) -> usize {
        match self.nodes[root].backward_plan {
            NONE => self.make_backward_plan(root, grads, grads_len),
            at => self.plans.touch(at),
        }
    }

    /// Drops the least recently used plans if the cached ones exceed the budget.
    fn make_room(&mut self) {
        let budget = PLAN_ENTRIES_PER_NODE * self.nodes.len() + PLAN_SLACK;
        if self.plans.entries() > budget {
            self.plans.evict(budget / 2, &mut self.nodes);
        }
    }

    /// A fresh mark for the nodes a search reaches.
    fn next_epoch(&mut self) -> u32 {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // After 2³² searches: clear the marks once so an old mark cannot match.
            self.nodes.iter_mut().for_each(|n| n.mark = 0);
            self.epoch = 1;
        }
        self.epoch
    }

    /// The ancestors of `root` and `root`, increasing ids, in `self.stack`, each marked with
    /// the returned epoch.
    fn find_ancestors(&mut self, root: usize) -> u32 {
        let epoch = self.next_epoch();
        let Tape { nodes, stack, .. } = self;
        stack.clear();
        stack.push(root as u32);
        nodes[root].mark = epoch;
        let mut k = 0;
        while k < stack.len() {
            let n = stack[k] as usize;
            k += 1;
            for slot in 0..nodes[n].arity as usize {
                let input = nodes[n].inputs[slot];
                let input_node = &mut nodes[input as usize];
                if input_node.mark != epoch {
                    input_node.mark = epoch;
                    stack.push(input);
                }
            }
        }
        stack.sort_unstable();
        epoch
    }

    fn make_forward_plan(&mut self, root: usize) -> usize {
        self.make_room();
        self.find_ancestors(root);
        self.forward_plan_of_ancestors(root)
    }

    /// Caches the forward plan of `root` from its ancestors in `self.stack`.
    fn forward_plan_of_ancestors(&mut self, root: usize) -> usize {
        let Tape {
            nodes,
            plans,
            stack,
            masks,
            ..
        } = self;
        masks.resize(nodes.len(), 0);
        let (steps, leaves) = (plans.forward.len(), plans.leaves.len());
        let mut count = 0;
        for &n in stack.iter() {
            let node = &nodes[n as usize];
            let Some(op) = node.op() else {
                masks[n as usize] = if count < 64 { 1 << count } else { !0 };
                plans.leaves.push(n);
                count += 1;
                continue;
            };
            let mask = node.inputs().iter().fold(0, |m, &i| m | masks[i as usize]);
            masks[n as usize] = mask;
            plans.forward.push(ForwardStep {
                node: n,
                op,
                arity: node.arity,
                inputs: node.inputs,
                at: node.at,
                leaves: mask,
            });
        }
        let masked = count <= 64;
        if !masked {
            plans.leaves.truncate(leaves);
        }
        let record = Record {
            root: root as u32,
            backward: false,
            steps: (steps as u32, plans.forward.len() as u32),
            extra: (leaves as u32, plans.leaves.len() as u32),
            last_used: 0,
            synced: NEVER,
            walks: 0,
            masked,
            scratch: 0,
        };
        plans.push(record, nodes)
    }

    fn make_backward_plan(&mut self, root: usize, grads: &[u32], grads_len: usize) -> usize {
        self.make_room();
        let start = (self.plans.backward.len(), self.plans.runs.len());
        let mut scratch = 0;
        if self.nodes[root].needs_grad {
            self.find_ancestors(root);
            if self.nodes[root].forward_plan == NONE && !self.nodes[root].is_leaf() {
                // The same search gives it: a later replay then finds both plans made.
                self.forward_plan_of_ancestors(root);
            }
            scratch = self.backward_steps_of_ancestors(root, grads, grads_len);
        }
        let plans = &mut self.plans;
        let record = Record {
            root: root as u32,
            backward: true,
            steps: (start.0 as u32, plans.backward.len() as u32),
            extra: (start.1 as u32, plans.runs.len() as u32),
            last_used: 0,
            synced: NEVER,
            walks: 0,
            masked: false,
            scratch: scratch as u32,
        };
        plans.push(record, &mut self.nodes)
    }

    /// Appends the backward steps and the gradient runs of `root`, whose ancestors are in
    /// `self.stack`, checking every offset; returns the scratch entries they need.
    fn backward_steps_of_ancestors(
        &mut self,
        root: usize,
        grads: &[u32],
        grads_len: usize,
    ) -> usize {
        let seen = self.next_epoch();
        let values_len = self.values.len();
        let Tape {
            nodes,
            plans,
            stack,
            ..
        } = self;
        nodes[root].mark = seen; // seeded
        let mut scratch = 0;
        for &n in stack.iter().rev() {
            let node = &nodes[n as usize];
            let Some(op) = node.op().filter(|_| node.needs_grad) else {
                continue;
            };
            let (arity, inputs) = (node.arity as usize, node.inputs);
            let mut step = Step {
                node: n,
                op,
                at: node.at,
                grad: grads[n as usize],
                input_grads: [NO_GRAD; 3],
                written: [true; 3],
                repeats: node.repeats_input,
            };
            for k in 0..arity {
                let input = &mut nodes[inputs[k] as usize];
                step.input_grads[k] = grads[inputs[k] as usize];
                if step.input_grads[k] != NO_GRAD && input.mark != seen {
                    step.written[k] = false; // the first contribution: overwrite
                    input.mark = seen;
                }
            }
            check_step(&step, nodes, grads_len, values_len);
            if step.repeats {
                let lens = inputs[..arity].iter().map(|&i| nodes[i as usize].len());
                scratch = scratch.max(lens.sum());
            }
            plans.backward.push(step);
        }
        // The runs the pass writes: the gradients of the root and of every node it reaches.
        let first_run = plans.runs.len();
        for &n in stack.iter() {
            let (node, at) = (&nodes[n as usize], grads[n as usize]);
            if at == NO_GRAD || node.mark != seen {
                continue;
            }
            let len = node.len() as u32;
            match plans.runs[first_run..].last_mut() {
                Some((start, run)) if *start + *run == at => *run += len,
                _ => plans.runs.push((at, len)),
            }
        }
        scratch
    }
}

/// Checks that a step's offsets lie in the buffers, its inputs' values before its own and its
/// inputs' gradients before its own, and that the gradients of distinct inputs are disjoint.
fn check_step(step: &Step, nodes: &[Node], grads_len: usize, values_len: usize) {
    let node = &nodes[step.node as usize];
    let len = node.len();
    let mut ok = step.at.output as usize + len <= values_len
        && step.grad != NO_GRAD
        && step.grad as usize + len <= grads_len;
    let pieces = |k: usize| {
        let input = &nodes[node.inputs[k] as usize];
        (step.input_grads[k], input.len())
    };
    for k in 0..node.arity as usize {
        let (grad, input_len) = pieces(k);
        ok &= step.at.inputs[k] as usize + input_len <= step.at.output as usize;
        if grad == NO_GRAD {
            continue;
        }
        let end = grad as usize + input_len;
        ok &= end <= step.grad as usize;
        for j in 0..k {
            let (other, other_len) = pieces(j);
            let disjoint = other == NO_GRAD
                || other == grad // the same node: the step's repeated-input path
                || other as usize + other_len <= grad as usize
                || end <= other as usize;
            ok &= disjoint;
        }
    }
    assert!(
        ok,
        "shapegrad internal error: the backward step of node {} has offsets out of place",
        step.node
    );
}

#[cfg(test)]
mod tests {
    use nalgebra::Matrix1;

    use super::super::node::Mode;
    use crate::graph::Graph;

    fn ids(steps: &[super::Step]) -> Vec<u32> {
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
        let (offsets, len) = (grads.offsets(), grads.len());
        let forward = tape.forward_plan(head1.id());
        assert_eq!(forward_ids(tape.plans.forward_steps(forward)), [2, 3]);
        assert_eq!(tape.plans.leaves(forward), [0, 1]);
        let backward = tape.backward_plan(head1.id(), offsets, len);
        assert_eq!(ids(tape.plans.backward(backward).steps), [3]); // leaves are not steps
        let forward = tape.forward_plan(head2.id());
        assert_eq!(forward_ids(tape.plans.forward_steps(forward)), [2, 3, 4, 5]);
        let masks: Vec<u64> = tape
            .plans
            .forward_steps(forward)
            .iter()
            .map(|s| s.leaves)
            .collect();
        assert_eq!(masks, [0b10, 0b11, 0b01, 0b11]); // bit 0: x, bit 1: c
        let backward = tape.backward_plan(head2.id(), offsets, len);
        assert_eq!(ids(tape.plans.backward(backward).steps), [5, 4, 3]);
        let forward = tape.forward_plan(cc.id());
        assert_eq!(forward_ids(tape.plans.forward_steps(forward)), [2]);
        let none = tape.backward_plan(cc.id(), offsets, len);
        assert!(tape.plans.backward(none).steps.is_empty());
        // Cached: asking again gives the same plan.
        let again = tape.backward_plan(head1.id(), offsets, len);
        assert_eq!(again, tape.backward_plan(head1.id(), offsets, len));
    }

    #[test]
    fn each_input_slot_is_skipped_overwritten_first_and_accumulated_after() {
        let g = Graph::<f64>::new();
        let x = g.var(Matrix1::new(1.0)); // 0
        let c = g.constant(Matrix1::new(2.0)); // 1
        let a = x.component_mul(c); // 2: x first used here in backward order? no: see below
        let b = x + a; // 3
        let y = b.component_mul(x); // 4: x's first contribution (highest id)
        drop(y.backward());
        let grads = g.grads().borrow();
        let mut tape = g.tape().borrow_mut();
        let plan = tape.backward_plan(y.id(), grads.offsets(), grads.len());
        let steps = tape.plans.backward(plan).steps;
        assert_eq!(ids(steps), [4, 3, 2]);
        let modes = |s: &super::Step| [s.mode(0), s.mode(1)];
        assert_eq!(modes(&steps[0]), [Mode::Overwrite, Mode::Overwrite]); // b, x
        assert_eq!(modes(&steps[1]), [Mode::Accumulate, Mode::Overwrite]); // x, a
        assert_eq!(modes(&steps[2]), [Mode::Accumulate, Mode::Skip]); // x, c
        // The runs cover the gradients of x, a, b and y: contiguous, one run.
        let runs = tape.plans.backward(plan).runs;
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].1, 4);
    }

    #[test]
    fn past_the_budget_the_least_recently_used_plans_go_and_the_hot_one_stays() {
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
        let hot = tape.backward_plan(v.id(), grads.offsets(), grads.len());
        let hot_steps = tape.plans.backward(hot).steps.len();
        assert_eq!(hot_steps, 200);
        // Plans of every node, twice round: about 2·(1 + 2 + … + 201) entries, far past
        // 8·201 + 4096; the hot root is used between any two others.
        for _ in 0..2 {
            for node in &chain {
                let backward = tape.backward_plan(node.id(), grads.offsets(), grads.len());
                assert_eq!(tape.plans.backward(backward).steps.len(), node.id());
                if node.id() > 0 {
                    let forward = tape.forward_plan(node.id());
                    assert_eq!(tape.plans.forward_steps(forward).len(), node.id());
                }
                let hot_again = tape.nodes[v.id()].backward_plan;
                assert_ne!(hot_again, super::NONE, "the hot plan was dropped");
                tape.backward_plan(v.id(), grads.offsets(), grads.len());
            }
        }
        assert!(tape.plans.entries() <= 8 * 201 + 4096 + 2 * 203);
        let last = tape.backward_plan(v.id(), grads.offsets(), grads.len());
        let expected: Vec<u32> = (1..=200).rev().collect();
        assert_eq!(ids(tape.plans.backward(last).steps), expected);
    }
}
