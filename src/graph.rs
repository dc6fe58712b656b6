//! The graph builder: a tape of nodes in creation order.

use std::cell::{Ref, RefCell, RefMut};
use std::marker::PhantomData;

use nalgebra::SMatrix;

use crate::gradients::{GradStore, Gradients};
use crate::op_node::{ErasedOp, OpNode};
use crate::{Op, Real, Value, Var, VarTuple};

/// A graph (a tape) of matrix operations, recorded as they are built.
///
/// Leaves are created with [`Graph::var`] (differentiable) and [`Graph::constant`]; ops on the
/// returned [`Var`] handles (`a * b`, `a + b`, `a.relu()`, …, or [`Graph::apply`] for your own
/// [`Op`]) compute their value at once and record a node. Nodes are recorded in creation order,
/// which is a topological order, so [`Var::backward`] simply walks the tape in reverse.
///
/// A built graph can be replayed: [`Var::set_value`] gives a leaf a new value, and every value
/// that depends on it is recomputed, in place, the next time it is read (by [`Var::value`],
/// [`Var::backward`] or a new op). Replaying does not allocate.
///
/// ```
/// use nalgebra::{Matrix2x3, Matrix3x2};
/// use shapegrad::Graph;
///
/// let g = Graph::<f64>::new();
/// let w = g.var(Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// let x = g.constant(Matrix3x2::repeat(1.0));
/// let loss = (w * x).relu().sum();
/// assert_eq!(loss.value()[0], 42.0);
///
/// let grads = loss.backward();
/// assert_eq!(*grads.wrt(w), Matrix2x3::repeat(2.0));
/// drop(grads);
///
/// // Replay with a new leaf value: no rebuild.
/// w.set_value(Matrix2x3::repeat(-1.0));
/// assert_eq!(loss.value()[0], 0.0);
/// ```
///
/// # Replay: build once, run many steps
///
/// For a static shape run millions of times (a control loop, a model trained for hours),
/// build the graph once; then each step gives the leaves new values — the next batch with
/// [`Var::set_value`], parameters stepped in place with [`Var::update_value`] — calls
/// [`Var::backward`] and reads the gradients. The same nodes are recomputed in place and the
/// step makes no heap allocation (`tests/alloc.rs` counts them with a counting allocator).
///
/// ```
/// use nalgebra::{SMatrix, Vector2};
/// use shapegrad::Graph;
///
/// let g = Graph::<f64>::new();
/// let x = g.constant(SMatrix::<f64, 4, 2>::zeros()); // a batch of 4 samples
/// let y = g.constant(SMatrix::<f64, 4, 1>::zeros()); // their targets
/// let w = g.var(Vector2::zeros());
/// let loss = (x * w - y).norm_squared(); // built once
///
/// let truth = Vector2::new(2.0, -1.0);
/// for step in 0..300 {
///     let batch = SMatrix::<f64, 4, 2>::from_fn(|r, c| ((r + 2 * c + step) % 5) as f64 - 2.0);
///     x.set_value(batch);
///     y.set_value(batch * truth);
///     let d_w = *loss.backward().wrt(w); // forward and backward on the same nodes
///     w.update_value(|w| *w -= d_w * 0.02);
/// }
/// assert!((w.value() - truth).amax() < 1e-6);
/// ```
pub struct Graph<T: Real> {
    pub(crate) tape: RefCell<Tape<T>>,
    pub(crate) grads: RefCell<GradStore<T>>,
}

/// The node capacity a new graph reserves.
const INITIAL_NODES: usize = 16;

/// What a node is: a differentiable leaf, a constant leaf, or the output of an op.
pub(crate) enum NodeKind<T: Real> {
    Var,
    Constant,
    Op(Box<dyn ErasedOp<T>>),
}

pub(crate) struct Node<T: Real> {
    pub(crate) kind: NodeKind<T>,
    pub(crate) name: Option<String>,
    /// A var, or an op with an input that needs a gradient.
    pub(crate) needs_grad: bool,
}

pub(crate) struct Tape<T: Real> {
    pub(crate) nodes: Vec<Node<T>>,
    pub(crate) values: Vec<Box<dyn Value<T>>>,
    /// Values from this index on may be out of date (a leaf before them was set).
    stale_from: usize,
}

impl<T: Real> Drop for Graph<T> {
    /// Hands the large value and gradient buffers to the per-thread cache (`src/pool.rs`),
    /// for the next graph built on this thread.
    fn drop(&mut self) {
        for value in self.tape.get_mut().values.drain(..) {
            crate::pool::give(value);
        }
        self.grads.get_mut().release(crate::pool::give);
    }
}

impl<T: Real> Default for Graph<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real> std::fmt::Debug for Graph<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.tape.try_borrow() {
            Ok(tape) => f
                .debug_struct("Graph")
                .field("nodes", &tape.nodes.len())
                .finish(),
            Err(_) => f.write_str("Graph { <being modified> }"),
        }
    }
}

impl<T: Real> Graph<T> {
    /// An empty graph.
    pub fn new() -> Self {
        Graph {
            // Room for a small graph: a fresh graph per step then grows no vector.
            tape: RefCell::new(Tape {
                nodes: Vec::with_capacity(INITIAL_NODES),
                values: Vec::with_capacity(INITIAL_NODES),
                stale_from: 0,
            }),
            grads: RefCell::new(GradStore::default()),
        }
    }

    /// A differentiable leaf holding `value`: [`Var::backward`] computes its gradient.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var(nalgebra::Matrix2::<f64>::identity());
    /// assert_eq!(w.value(), nalgebra::Matrix2::identity());
    /// ```
    pub fn var<const R: usize, const C: usize>(&self, value: SMatrix<T, R, C>) -> Var<'_, T, R, C> {
        self.push_leaf(NodeKind::Var, None, value)
    }

    /// [`Graph::var`] with a name, shown in messages and drawings.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var_named("W", nalgebra::Matrix2::<f64>::identity());
    /// assert_eq!(w.name().as_deref(), Some("W"));
    /// ```
    pub fn var_named<const R: usize, const C: usize>(
        &self,
        name: impl Into<String>,
        value: SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.push_leaf(NodeKind::Var, Some(name.into()), value)
    }

    /// A constant leaf: it takes part in the computation but gets no gradient.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.constant(nalgebra::Matrix1::new(2.0));
    /// let w = g.var(nalgebra::Matrix1::new(3.0));
    /// let grads = (w * x).backward();
    /// assert_eq!(grads.wrt(w)[0], 2.0);
    /// assert!(grads.get(x).is_none());
    /// ```
    pub fn constant<const R: usize, const C: usize>(
        &self,
        value: SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.push_leaf(NodeKind::Constant, None, value)
    }

    /// [`Graph::constant`] with a name, shown in messages and drawings.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.constant_named("x", nalgebra::Matrix1::new(2.0));
    /// assert_eq!(x.name().as_deref(), Some("x"));
    /// ```
    pub fn constant_named<const R: usize, const C: usize>(
        &self,
        name: impl Into<String>,
        value: SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.push_leaf(NodeKind::Constant, Some(name.into()), value)
    }

    /// Applies an op to a tuple of inputs and returns its output, computed at once.
    ///
    /// This is how a user-defined [`Op`] joins a graph; the built-in ops call it too. The
    /// inputs' shapes must be the ones the op is implemented for, or the call does not compile.
    ///
    /// ```
    /// use nalgebra::{Matrix2x3, Matrix3x4, SMatrix};
    /// use shapegrad::{Graph, ops::MatMul};
    ///
    /// let g = Graph::<f64>::new();
    /// let a = g.var(Matrix2x3::repeat(1.0));
    /// let b = g.var(Matrix3x4::repeat(1.0));
    /// let c = g.apply(MatMul, (a, b)); // the same as a * b
    /// assert_eq!(c.value(), SMatrix::<f64, 2, 4>::repeat(3.0));
    /// ```
    ///
    /// # Panics
    /// If the inputs come from another graph.
    pub fn apply<'g, V, O, const R: usize, const C: usize>(
        &'g self,
        op: O,
        inputs: V,
    ) -> Var<'g, T, R, C>
    where
        V: VarTuple<'g, T>,
        O: Op<T, V::Values, Output = SMatrix<T, R, C>>,
    {
        let (graph, ids) = inputs.graph_and_ids();
        assert!(
            std::ptr::eq(graph, self),
            "shapegrad: Graph::apply was given Vars from another Graph"
        );
        let mut tape = self.tape_mut();
        tape.refresh();
        let needs_grad = ids.as_ref().iter().any(|&i| tape.nodes[i].needs_grad);
        let id_list = ids.as_ref();
        let repeats_input = (1..id_list.len()).any(|i| id_list[..i].contains(&id_list[i]));
        let node = OpNode::<T, V::Values, O> {
            op,
            ids,
            repeats_input,
            _types: PhantomData,
        };
        // The output is overwritten: a cached buffer's stale entries do not matter.
        let mut out: Box<SMatrix<T, R, C>> =
            crate::pool::take().unwrap_or_else(|| Box::new(SMatrix::zeros()));
        node.forward(&tape.values, &mut *out);
        let id = tape.push(NodeKind::Op(Box::new(node)), None, needs_grad, out);
        drop(tape);
        Var::new(self, id)
    }

    /// The number of nodes (leaves and ops) recorded so far.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f32>::new();
    /// let x = g.var(nalgebra::Matrix1::new(1.0_f32));
    /// let _y = -x;
    /// assert_eq!(g.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.tape.borrow().nodes.len()
    }

    /// Whether no node has been recorded.
    ///
    /// ```
    /// assert!(shapegrad::Graph::<f64>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push_leaf<const R: usize, const C: usize>(
        &self,
        kind: NodeKind<T>,
        name: Option<String>,
        value: SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        let needs_grad = matches!(kind, NodeKind::Var);
        let boxed = match crate::pool::take::<SMatrix<T, R, C>>() {
            Some(mut cached) => {
                *cached = value;
                cached
            }
            None => Box::new(value),
        };
        let id = self.tape_mut().push(kind, name, needs_grad, boxed);
        Var::new(self, id)
    }

    pub(crate) fn tape_mut(&self) -> std::cell::RefMut<'_, Tape<T>> {
        self.tape.try_borrow_mut().unwrap_or_else(|_| {
            panic!("shapegrad internal error: the graph's tape is already borrowed")
        })
    }

    /// The up-to-date value of node `id` (recomputed first if a leaf it depends on changed).
    pub(crate) fn value_ref(&self, id: usize) -> Ref<'_, dyn Value<T>> {
        self.tape_mut().refresh();
        Ref::map(self.tape.borrow(), |tape| &*tape.values[id])
    }

    /// The value of leaf `id`, to be changed; what depends on it is marked stale.
    ///
    /// # Panics
    /// If node `id` is the output of an op.
    pub(crate) fn leaf_mut(&self, id: usize) -> RefMut<'_, dyn Value<T>> {
        let mut tape = self.tape_mut();
        if let NodeKind::Op(op) = &tape.nodes[id].kind {
            panic!(
                "shapegrad: only leaves (Graph::var, Graph::constant) can be given a new value; \
                 node {id} is the output of the op `{}`",
                op.name()
            );
        }
        tape.stale_from = tape.stale_from.min(id + 1);
        RefMut::map(tape, |tape| &mut *tape.values[id])
    }

    /// The ids of the differentiable leaves (made by [`Graph::var`]), in creation order.
    pub(crate) fn var_ids(&self) -> Vec<usize> {
        let tape = self.tape.borrow();
        (0..tape.nodes.len())
            .filter(|&i| matches!(tape.nodes[i].kind, NodeKind::Var))
            .collect()
    }

    /// The node's name, if it was created with one.
    pub(crate) fn name_of(&self, id: usize) -> Option<String> {
        self.tape.borrow().nodes[id].name.clone()
    }

    /// Runs backward from node `root` with the seed gradient `seed` and returns the gradients.
    pub(crate) fn backward_from(&self, root: usize, seed: &dyn Value<T>) -> Gradients<'_, T> {
        self.tape_mut().refresh();
        let tape = self.tape.borrow();
        {
            let mut store = self.grads.try_borrow_mut().unwrap_or_else(|_| {
                panic!(
                    "shapegrad: backward was called while a `Gradients` from an earlier backward \
                     of this graph is still alive; drop it (or copy out what you need) first"
                )
            });
            store.run(&tape, root, seed);
        }
        Gradients::new(self, self.grads.borrow())
    }
}

impl<T: Real> Tape<T> {
    fn push(
        &mut self,
        kind: NodeKind<T>,
        name: Option<String>,
        needs_grad: bool,
        value: Box<dyn Value<T>>,
    ) -> usize {
        let id = self.nodes.len();
        if self.stale_from == id {
            self.stale_from = id + 1;
        }
        self.nodes.push(Node {
            kind,
            name,
            needs_grad,
        });
        self.values.push(value);
        id
    }

    /// Recomputes, in order, every value that may depend on a leaf set since the last refresh.
    pub(crate) fn refresh(&mut self) {
        for i in self.stale_from..self.nodes.len() {
            if let NodeKind::Op(op) = &self.nodes[i].kind {
                let (before, rest) = self.values.split_at_mut(i);
                op.forward(before, &mut *rest[0]);
            }
        }
        self.stale_from = self.nodes.len();
    }
}
