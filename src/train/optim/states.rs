//! The states an optimizer keeps, one per parameter, found by the parameter's identity.
//!
//! A parameter is known by its name ([`Graph::var_named`](crate::Graph::var_named); `nn::Dense`
//! names its weight and bias), or, if it has none, by its node id: its place in the graph's
//! creation order. Both stay the same when the same code builds the graph again, so a model
//! rebuilt every step finds its states, and the number of states is the number of distinct
//! parameters, however many graphs are built. Each state remembers the graph it was last used
//! on: a newer graph takes it over (a rebuild), an older one may not (two graphs with the same
//! parameters in use at once, which would share one state).
//!
//! Lookups on every step are cheap: the slots of the last graph stepped are indexed by node id
//! (`bound`); a parameter of another graph is looked up by name or node id once, then bound.

use std::any::Any;
use std::collections::HashMap;

use crate::graph::Var;
use crate::kernels::Real;

/// "No slot", in the indices by node id.
const NONE: u32 = u32::MAX;

/// One parameter's state and its bookkeeping.
pub(super) struct Slot {
    /// The rule's state, a boxed `U::State<R, C>`.
    pub(super) state: Box<dyn Any>,
    /// The parameter's (R, C).
    pub(super) shape: (usize, usize),
    /// How many [`Optimizer::step`](super::Optimizer::step)s updated the parameter.
    pub(super) steps: u64,
    /// The number of the `step` call that last updated it (to find a parameter listed twice).
    pub(super) last_call: u64,
    /// The graph of the parameter that last used the state.
    pub(super) graph: u64,
    /// The parameter's name, or `None` if it is known by its node id.
    pub(super) name: Option<Box<str>>,
    /// Its node id when it was last used.
    pub(super) node: usize,
}

impl Slot {
    /// `` named `w` `` or `at node 3`: the identity messages give.
    fn identity(&self) -> String {
        match &self.name {
            Some(name) => format!("named `{name}`"),
            None => format!("at node {} (unnamed)", self.node),
        }
    }
}

/// The slots, and the indices that find them.
#[derive(Default)]
pub(super) struct States {
    pub(super) slots: Vec<Slot>,
    /// Named parameters' slots.
    by_name: HashMap<Box<str>, u32>,
    /// Unnamed parameters' slots, by node id.
    by_node: Vec<u32>,
    /// The graph whose parameters `bound` indexes.
    bound_graph: u64,
    /// The slots of `bound_graph`'s parameters, by node id.
    bound: Vec<u32>,
}

impl States {
    /// Forgets every state (keeping the allocations of the indices).
    pub(super) fn clear(&mut self) {
        self.slots.clear();
        self.by_name.clear();
        self.by_node.clear();
        self.bound.clear();
        self.bound_graph = 0;
    }

    /// The number of states.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The slot of `param`'s identity, without checking or binding it (for reading).
    pub(super) fn get<T: Real, const R: usize, const C: usize>(
        &self,
        param: Var<'_, T, R, C>,
    ) -> Option<usize> {
        let (graph, node) = (param.graph().id(), param.id());
        if graph == self.bound_graph
            && let Some(&i) = self.bound.get(node)
            && i != NONE
        {
            return Some(i as usize);
        }
        self.by_identity(param)
    }

    fn by_identity<T: Real, const R: usize, const C: usize>(
        &self,
        param: Var<'_, T, R, C>,
    ) -> Option<usize> {
        let i: u32 = param.with_name(|name| match name {
            Some(name) => self.by_name.get(name).copied(),
            None => self.by_node.get(param.id()).copied(),
        })?;
        (i != NONE).then_some(i as usize)
    }

    /// The slot of `param`, created with `new_state` if its identity has none; checked to be
    /// the state of an R×C parameter, last used on this graph or an older one; bound to
    /// `param`'s graph and node. `method` names the caller in the error.
    pub(super) fn find_or_insert<T: Real, const R: usize, const C: usize>(
        &mut self,
        param: Var<'_, T, R, C>,
        method: &str,
        new_state: impl FnOnce() -> Box<dyn Any>,
    ) -> Result<usize, String> {
        let (graph, node) = (param.graph().id(), param.id());
        if graph == self.bound_graph
            && let Some(&i) = self.bound.get(node)
            && i != NONE
        {
            return Ok(i as usize);
        }
        let i = match self.by_identity(param) {
            Some(i) => {
                let slot = &mut self.slots[i];
                if slot.graph > graph {
                    return Err(format!(
                        "shapegrad: Optimizer::{method} was given {} of graph #{graph}, but \
                         this optimizer last stepped the parameter {} on graph #{}, a newer \
                         graph. An optimizer keeps one state per parameter, known by its name \
                         (by its node id if it has none), and a newer graph takes over an older \
                         one's states, as a model rebuilt every step needs: two graphs with the \
                         same parameters in use at once need one optimizer each (or parameters \
                         of other names)",
                        param.label(),
                        slot.identity(),
                        slot.graph
                    ));
                }
                if slot.shape != (R, C) {
                    return Err(format!(
                        "shapegrad: Optimizer::{method} was given {}, but this optimizer's state \
                         for the parameter {} is that of a {}×{} parameter. An optimizer keeps \
                         one state per parameter, known by its name (by its node id if it has \
                         none): is this another model? Call Optimizer::reset to start over, or \
                         use one optimizer per model",
                        param.label(),
                        slot.identity(),
                        slot.shape.0,
                        slot.shape.1
                    ));
                }
                slot.graph = graph;
                slot.node = node;
                i
            }
            None => self.insert(param, new_state()),
        };
        if graph != self.bound_graph {
            self.bound_graph = graph;
            self.bound.clear();
        }
        set(&mut self.bound, node, i);
        Ok(i)
    }

    /// A new slot for `param` holding `state`, indexed by its identity.
    pub(super) fn insert<T: Real, const R: usize, const C: usize>(
        &mut self,
        param: Var<'_, T, R, C>,
        state: Box<dyn Any>,
    ) -> usize {
        let i = self.slots.len();
        let name: Option<Box<str>> = param.with_name(|name| name.map(Box::from));
        match &name {
            Some(name) => {
                self.by_name.insert(name.clone(), i as u32);
            }
            None => set(&mut self.by_node, param.id(), i),
        }
        self.slots.push(Slot {
            state,
            shape: (R, C),
            steps: 0,
            last_call: 0,
            graph: param.graph().id(),
            name,
            node: param.id(),
        });
        i
    }
}

/// `index[at] = i`, growing `index` with [`NONE`]s.
fn set(index: &mut Vec<u32>, at: usize, i: usize) {
    if index.len() <= at {
        index.resize(at + 1, NONE);
    }
    index[at] = i as u32;
}
