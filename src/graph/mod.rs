//! Layer 4, the graph: [`Graph`] (the builder, over the tape), [`Var`] (the typed handle users
//! touch), [`VarTuple`] (an op's inputs as vars), [`Handle`] (a lifetime-free name of a node)
//! and [`Gradients`] (the typed result of a backward pass).

mod gradients;
mod handle;
pub(crate) mod inspect;
mod replay;
mod var;
pub(crate) mod var_tuple;

pub use gradients::Gradients;
pub use handle::Handle;
pub use replay::{Place, Replay};
pub use var::{Loss, Var};
pub use var_tuple::VarTuple;

use std::cell::{Ref, RefCell, RefMut};
use std::sync::atomic::{AtomicU64, Ordering};

use nalgebra::SMatrix;

use crate::contract::Op;
use crate::kernels::Real;
use crate::tape::Tape;
use crate::tape::grads::GradStore;
use crate::tape::node::Kind;
use crate::tape::pool::Parts;

/// A graph (a tape) of matrix operations, recorded as they are built.
///
/// Leaves are created with [`Graph::var`] (differentiable) and [`Graph::constant`]; ops on the
/// returned [`Var`] handles (`a * b`, `a + b`, `a.relu()`, …, or [`Graph::apply`] for your own
/// [`Op`]) compute their value at once and record a node. Nodes are recorded in creation order,
/// which is a topological order, so [`Var::backward`] walks the tape in reverse.
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
/// [`Var::backward`] and reads the gradients. From the third step on (the first lays out the
/// gradients, the second caches the plan), a step makes no heap allocation (`tests/alloc/`
/// counts them with a counting allocator).
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
///
/// # What a step costs
///
/// A replayed step costs what changed and what is read, not the whole tape:
///
/// * setting a leaf marks stale only the nodes that depend on it (once: a stale node is not
///   visited again until it is recomputed);
/// * reading a value ([`Var::value`], or a backward pass from it) recomputes only its stale
///   ancestors, each once, inputs first;
/// * a backward pass from a root visits only the root's ancestors that lead to a
///   [`var`](Graph::var) (its *plan*, made on the second pass from that root and cached; the
///   first pass walks the records, so a graph built for one pass does not pay for a plan) and
///   writes no other gradient buffer; a var the root does not reach reads as zeros.
///
/// So several outputs on one graph (a training loss, a one-row prediction, a held-out
/// evaluation) do not slow each other down: an output that is not read costs nothing.
///
/// # Owning a graph
///
/// A `Graph` is [`Send`]: a struct can own it together with [`Handle`]s (lifetime-free,
/// `Copy` and `Send` names of its nodes, with their shapes in their types) and move to another
/// thread. [`Graph::at`] turns a handle back into a [`Var`]:
///
/// ```
/// use nalgebra::{Matrix1, Vector2};
/// use shapegrad::{Graph, Handle};
///
/// /// A controller built at start-up: its cost and the gradient with respect to the command.
/// struct Controller {
///     graph: Graph<f64>,
///     state: Handle<f64, 2, 1>,
///     command: Handle<f64, 1, 1>,
///     cost: Handle<f64, 1, 1>,
/// }
///
/// impl Controller {
///     fn new() -> Self {
///         let graph = Graph::new();
///         let state = graph.constant_named("state", Vector2::zeros());
///         let command = graph.var_named("command", Matrix1::new(0.0));
///         let gain = graph.constant(Vector2::new(1.0, 0.5).transpose());
///         let error = gain * state + command;
///         let cost = error.component_mul(error);
///         let (state, command, cost) = (state.handle(), command.handle(), cost.handle());
///         Controller { graph, state, command, cost }
///     }
///
///     /// d cost / d command at this state.
///     fn gradient(&self, state: Vector2<f64>) -> f64 {
///         self.graph.at(self.state).set_value(state);
///         let grads = self.graph.at(self.cost).backward();
///         grads.wrt(self.graph.at(self.command))[0]
///     }
/// }
///
/// let controller = Controller::new();
/// let worker = std::thread::spawn(move || controller.gradient(Vector2::new(2.0, 2.0)));
/// assert_eq!(worker.join().unwrap(), 6.0); // 2·(1·2 + 0.5·2 + 0)
/// ```
pub struct Graph<T: Real> {
    /// This graph's identity, unique in the process.
    id: u64,
    /// The tape and the gradients, boxed so that a dropped graph hands them to the next one
    /// by moving a pointer (`src/tape/pool.rs`); `None` only while the graph is dropped.
    parts: Option<Box<Parts<T>>>,
}

/// The next graph's identity.
static NEXT_GRAPH: AtomicU64 = AtomicU64::new(1);

impl<T: Real> Default for Graph<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real> std::fmt::Debug for Graph<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.tape().try_borrow() {
            Ok(tape) => f
                .debug_struct("Graph")
                .field("id", &self.id)
                .field("nodes", &tape.nodes.len())
                .finish(),
            Err(_) => f.write_str("Graph { <being modified> }"),
        }
    }
}

impl<T: Real> Drop for Graph<T> {
    /// Hands the tape's buffers to a per-thread cache for the next graph built on this thread
    /// (`src/tape/pool.rs`).
    fn drop(&mut self) {
        if let Some(parts) = self.parts.take() {
            crate::tape::pool::give_parts(parts);
        }
    }
}

#[cold]
#[track_caller]
fn held_by_replay() -> ! {
    panic!(
        "shapegrad: this graph is held by a `Replay` (Graph::replay): use the replay's methods, \
         or drop it first"
    )
}

/// Panics with the anomaly a walk of `tape` stopped at, if any.
#[track_caller]
fn raise<T: Real>(tape: &mut Tape<T>) {
    if let Some(anomaly) = tape.anomaly.take() {
        panic!("{}", anomaly.0);
    }
}

impl<T: Real> Graph<T> {
    /// An empty graph.
    pub fn new() -> Self {
        Graph {
            id: NEXT_GRAPH.fetch_add(1, Ordering::Relaxed),
            parts: Some(crate::tape::pool::take_parts()),
        }
    }

    /// The tape.
    #[inline(always)]
    pub(crate) fn tape(&self) -> &RefCell<Tape<T>> {
        &self.parts().tape
    }

    /// The gradient store.
    #[inline(always)]
    pub(crate) fn grads(&self) -> &RefCell<GradStore<T>> {
        &self.parts().grads
    }

    #[inline(always)]
    fn parts(&self) -> &Parts<T> {
        self.parts
            .as_deref()
            .expect("shapegrad internal error: a graph used while it is dropped")
    }

    /// This graph's identity: a number no other graph of this process has.
    ///
    /// ```
    /// let (a, b) = (shapegrad::Graph::<f64>::new(), shapegrad::Graph::<f64>::new());
    /// assert_ne!(a.id(), b.id());
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// A differentiable leaf holding `value`: [`Var::backward`] computes its gradient.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var(nalgebra::Matrix2::<f64>::identity());
    /// assert_eq!(w.value(), nalgebra::Matrix2::identity());
    /// ```
    pub fn var<const R: usize, const C: usize>(&self, value: SMatrix<T, R, C>) -> Var<'_, T, R, C> {
        self.push_leaf(Kind::Var, None, &value)
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
        self.push_leaf(Kind::Var, Some(name.into().into()), &value)
    }

    /// [`Graph::var`] from a reference: the matrix is copied into the graph straight from
    /// where it is, never through the stack, so a large one (a 500×500 `f64` is 2 MB, as much
    /// as a spawned thread's whole stack) can be made with [`boxed`](crate::boxed).
    ///
    /// ```
    /// use nalgebra::SMatrix;
    /// use shapegrad::{Graph, boxed};
    ///
    /// let w: Box<SMatrix<f64, 500, 500>> = boxed::from_element(0.5);
    /// let g = Graph::<f64>::new();
    /// let v = g.var_from(&w);
    /// assert_eq!(v.value_boxed()[(499, 499)], 0.5);
    /// ```
    pub fn var_from<const R: usize, const C: usize>(
        &self,
        value: &SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.push_leaf(Kind::Var, None, value)
    }

    /// [`Graph::var_named`] from a reference (see [`Graph::var_from`]).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var_named_from("W", &nalgebra::Matrix2::<f64>::identity());
    /// assert_eq!(w.name().as_deref(), Some("W"));
    /// ```
    pub fn var_named_from<const R: usize, const C: usize>(
        &self,
        name: impl Into<String>,
        value: &SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.push_leaf(Kind::Var, Some(name.into().into()), value)
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
        self.push_leaf(Kind::Constant, None, &value)
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
        self.push_leaf(Kind::Constant, Some(name.into().into()), &value)
    }

    /// [`Graph::constant`] from a reference: copied straight into the graph, never through
    /// the stack (see [`Graph::var_from`]).
    ///
    /// ```
    /// use nalgebra::SMatrix;
    /// use shapegrad::{Graph, boxed};
    ///
    /// let x: Box<SMatrix<f64, 400, 400>> = boxed::from_fn(|r, c| (r * c) as f64);
    /// let g = Graph::<f64>::new();
    /// let c = g.constant_from(&x);
    /// assert_eq!(c.value_boxed()[(3, 5)], 15.0);
    /// ```
    pub fn constant_from<const R: usize, const C: usize>(
        &self,
        value: &SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.push_leaf(Kind::Constant, None, value)
    }

    /// [`Graph::constant_named`] from a reference (see [`Graph::constant_from`]).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.constant_named_from("x", &nalgebra::Matrix1::new(2.0));
    /// assert_eq!(x.name().as_deref(), Some("x"));
    /// ```
    pub fn constant_named_from<const R: usize, const C: usize>(
        &self,
        name: impl Into<String>,
        value: &SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        self.push_leaf(Kind::Constant, Some(name.into().into()), value)
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
    /// If an input comes from another graph; the message names the input and the op, and
    /// points at the caller's line.
    #[track_caller]
    pub fn apply<'g, V, O, const R: usize, const C: usize>(
        &'g self,
        op: O,
        inputs: V,
    ) -> Var<'g, T, R, C>
    where
        V: VarTuple<'g, T>,
        O: Op<T, V::Values, Output = SMatrix<T, R, C>>,
    {
        inputs.assert_graph(self, op.name());
        let ids = inputs.ids();
        let mut tape = self.tape_mut();
        for &input in &ids.0[..ids.1] {
            tape.refresh(input);
            raise(&mut tape);
        }
        let recorded_at = std::panic::Location::caller();
        let id = tape.push_op::<V::Values, O>(op, None, ids, recorded_at);
        raise(&mut tape);
        Var::new(self, id)
    }

    /// Turns anomaly detection on or off for this graph (off by default), as PyTorch's
    /// `detect_anomaly` and JAX's `debug_nans` do.
    ///
    /// While it is on, every op's value is checked when it is computed (when the op is recorded,
    /// and when a read or a backward pass recomputes it), and every op's contribution to its
    /// inputs' gradients in a backward pass. The first one that is not finite (NaN or ±∞) stops
    /// the computation, and the call that ran it (`Var::value`, `backward`, the op) panics with
    /// the op, its node, the vars involved and the offending entries. It costs a scan of every
    /// value and gradient computed; off, it costs nothing.
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// let g = shapegrad::Graph::<f64>::new();
    /// g.detect_anomalies(true);
    /// let x = g.var_named("x", Vector2::new(4.0, 1.0));
    /// let y = x.ln().sum();
    /// x.set_value(Vector2::new(4.0, 0.0)); // ln 0 = −∞
    /// let read = std::panic::AssertUnwindSafe(|| y.value());
    /// let caught = std::panic::catch_unwind(read).unwrap_err();
    /// let message = caught.downcast_ref::<String>().unwrap();
    /// assert!(message.contains("the value of node 1 (`ln`, 2×1) is not finite at (1, 0) = -inf"));
    /// assert!(message.contains("`x` (node 0, 2×1) is finite, [4, 0]"));
    /// ```
    pub fn detect_anomalies(&self, on: bool) {
        self.tape_mut().detect_anomalies = on;
    }

    /// The var a [`Handle`] names.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let handle = g.var(nalgebra::Matrix1::new(4.0)).handle();
    /// assert_eq!(g.at(handle).value()[0], 4.0);
    /// ```
    ///
    /// # Panics
    /// If the handle names a node of another graph.
    #[track_caller]
    pub fn at<const R: usize, const C: usize>(&self, handle: Handle<T, R, C>) -> Var<'_, T, R, C> {
        if handle.graph() != self.id {
            panic!(
                "shapegrad: Graph::at was given a handle to node {} ({R}×{C}) of graph #{}, but \
                 this is graph #{}",
                handle.id(),
                handle.graph(),
                self.id
            );
        }
        Var::new(self, handle.id())
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
        self.tape_ref().nodes.len()
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
        kind: Kind,
        name: Option<Box<str>>,
        value: &SMatrix<T, R, C>,
    ) -> Var<'_, T, R, C> {
        let id = self
            .tape_mut()
            .push_leaf(kind, name, (R, C), value.as_slice());
        Var::new(self, id)
    }

    /// The tape, mutably. No borrow of the tape outlives a call into the library, and none is
    /// held while user code runs, except by a [`Replay`].
    ///
    /// # Panics
    /// While a [`Replay`] of this graph is alive.
    #[track_caller]
    pub(crate) fn tape_mut(&self) -> RefMut<'_, Tape<T>> {
        match self.tape().try_borrow_mut() {
            Ok(tape) => tape,
            Err(_) => held_by_replay(),
        }
    }

    /// The tape, to read.
    ///
    /// # Panics
    /// While a [`Replay`] of this graph is alive.
    #[track_caller]
    pub(crate) fn tape_ref(&self) -> Ref<'_, Tape<T>> {
        match self.tape().try_borrow() {
            Ok(tape) => tape,
            Err(_) => held_by_replay(),
        }
    }

    /// The tape with node `id` up to date.
    ///
    /// # Panics
    /// With anomaly detection on, if bringing it up to date met a value that is not finite.
    #[track_caller]
    pub(crate) fn fresh(&self, id: usize) -> RefMut<'_, Tape<T>> {
        let mut tape = self.tape_mut();
        tape.refresh(id);
        raise(&mut tape);
        tape
    }

    /// The tape with every node fresh, for the shape-erased tools (drawings).
    pub(crate) fn all_fresh(&self) -> Ref<'_, Tape<T>> {
        self.tape_mut().refresh_all();
        self.tape_ref()
    }

    /// Entry `k` (column-major) of node `id`'s up-to-date value.
    pub(crate) fn entry(&self, id: usize, k: usize) -> T {
        self.fresh(id).value(id)[k]
    }

    /// Sets entry `k` (column-major) of leaf `id`.
    pub(crate) fn set_leaf_entry(&self, id: usize, k: usize, x: T) {
        let mut tape = self.tape_mut();
        let entries = tape
            .leaf_mut(id)
            .expect("shapegrad internal error: not a leaf");
        entries[k] = x;
    }

    /// Node `id`'s (rows, columns).
    pub(crate) fn shape_of(&self, id: usize) -> (usize, usize) {
        let tape = self.tape_ref();
        (tape.nodes[id].rows, tape.nodes[id].cols)
    }

    /// Whether node `id` is a leaf (a var or a constant).
    pub(crate) fn is_leaf(&self, id: usize) -> bool {
        self.tape_ref().nodes[id].is_leaf()
    }

    /// The ids of the differentiable leaves (made by [`Graph::var`]), in creation order.
    pub(crate) fn var_ids(&self) -> Vec<usize> {
        let tape = self.tape_ref();
        (0..tape.nodes.len())
            .filter(|&i| matches!(tape.nodes[i].kind, Kind::Var))
            .collect()
    }

    /// The node's name, if it was created with one.
    pub(crate) fn name_of(&self, id: usize) -> Option<String> {
        self.tape_ref().nodes[id].name.as_deref().map(str::to_owned)
    }

    /// `` `W` (node 3, 5×10)`` or `node 3 (var, 5×10)`: a node as messages name it.
    pub(crate) fn label_of(&self, id: usize) -> String {
        self.tape_ref().label(id)
    }

    /// Runs backward from node `root`, whose gradient `seed` writes (given the root's
    /// gradient entries onwards), and returns the gradients.
    #[track_caller]
    #[inline]
    pub(crate) fn backward_from(
        &self,
        root: usize,
        seed: impl FnOnce(&mut [T]),
    ) -> Gradients<'_, T> {
        let Ok(mut store) = self.grads().try_borrow_mut() else {
            panic!(
                "shapegrad: backward was called while a `Gradients` from an earlier backward \
                 pass of this graph (or a `Replay` of it) is still alive; drop it (or copy out \
                 what you need) first"
            )
        };
        let mut tape = self.tape_mut();
        tape.refresh(root);
        raise(&mut tape);
        store.grow(&tape);
        let plan = tape.backward_plan(root, store.offsets(), store.len());
        if let Some(anomaly) = store.run(&tape, root, tape.plans.backward(plan), seed) {
            drop((store, tape));
            panic!("{}", anomaly.0);
        }
        drop((store, tape));
        Gradients::new(self, self.grads().borrow())
    }
}
