//! `Replay`: a graph held for a loop of replayed steps, and `Place`, a node's offsets in it.

use std::cell::RefMut;
use std::marker::PhantomData;

use nalgebra::SMatrix;

use crate::contract::inputs::NO_GRAD;
use crate::contract::layout::{matrix, matrix_mut};
use crate::graph::{Graph, Var};
use crate::kernels::Real;
use crate::tape::Tape;
use crate::tape::grads::GradStore;

/// A graph held for a loop of replayed steps: the tape and the gradients stay borrowed from
/// [`Graph::replay`] until the `Replay` is dropped, so a step pays no borrow or lookup, and
/// every read and write goes to offsets found once ([`Place`]).
///
/// Each step sets leaves ([`Replay::set`], [`Replay::update`]), runs [`Replay::backward`]
/// and reads gradients ([`Replay::wrt`]) and values ([`Replay::value`]), with the same
/// semantics and cost model as [`Var::set_value`], [`Var::backward`], [`Gradients::wrt`] and
/// [`Var::value`]: only what changed is recomputed, a pass visits only its root's plan, and a
/// step allocates nothing. What it saves is the fixed cost of those calls (a borrow of the
/// tape and of the gradients, a node lookup, a shape-erased seed): a few nanoseconds per step
/// instead of tens, which matters for graphs of a few small ops.
///
/// ```
/// use nalgebra::Matrix1;
/// use shapegrad::Graph;
///
/// // The circuit f = (x + y)·z, built once.
/// let g = Graph::<f64>::new();
/// let (x, y, z) = (g.var(Matrix1::new(-2.0)), g.var(Matrix1::new(5.0)), g.var(Matrix1::new(-4.0)));
/// let f = (x + y).component_mul(z);
///
/// let mut replay = g.replay();
/// let (px, py, pz, pf) = (replay.place(x), replay.place(y), replay.place(z), replay.place(f));
/// for step in 0..3 {
///     replay.set(px, &Matrix1::new(step as f64));
///     replay.backward(pf);
///     let (d_x, d_z) = (replay.wrt(px)[0], replay.wrt(pz)[0]);
///     assert_eq!((d_x, d_z), (-4.0, step as f64 + 5.0)); // df/dx = z, df/dz = x + y
///     assert_eq!(replay.value(pf)[0], (step as f64 + 5.0) * -4.0);
/// }
/// drop(replay); // gives the graph back to the Var methods
/// assert_eq!(x.value()[0], 2.0);
/// ```
///
/// While a `Replay` is alive, the graph's other entry points ([`Var::value`],
/// [`Var::set_value`], [`Var::backward`], building ops) panic and say so: use the replay's
/// methods, or drop it first.
///
/// [`Gradients::wrt`]: crate::Gradients::wrt
#[must_use = "a Replay holds the graph until it is dropped"]
pub struct Replay<'g, T: Real> {
    graph: u64,
    tape: RefMut<'g, Tape<T>>,
    store: RefMut<'g, GradStore<T>>,
}

/// Where a node of a graph lives while a [`Replay`] holds it: its value's and its gradient's
/// offsets, with its shape in its type. `Copy`, `Send` and `'static`; found once with
/// [`Replay::place`] and valid for every later replay of the same graph (offsets never move).
///
/// ```
/// use nalgebra::Vector2;
/// let g = shapegrad::Graph::<f64>::new();
/// let v = g.var(Vector2::new(3.0, 4.0));
/// let loss = v.norm_squared();
/// let (pv, ploss) = {
///     let mut replay = g.replay();
///     (replay.place(v), replay.place(loss))
/// };
/// let mut replay = g.replay();
/// replay.backward(ploss);
/// assert_eq!(*replay.wrt(pv), Vector2::new(6.0, 8.0));
/// ```
pub struct Place<T: Real, const R: usize, const C: usize> {
    graph: u64,
    id: u32,
    /// The offset of the value.
    value: u32,
    /// The offset of the gradient, or [`NO_GRAD`].
    grad: u32,
    leaf: bool,
    _scalar: PhantomData<fn() -> T>,
}

impl<T: Real, const R: usize, const C: usize> Clone for Place<T, R, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Real, const R: usize, const C: usize> Copy for Place<T, R, C> {}

impl<T: Real, const R: usize, const C: usize> std::fmt::Debug for Place<T, R, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Place {{ graph: {}, id: {}, shape: {R}×{C} }}",
            self.graph, self.id
        )
    }
}

impl<T: Real> Graph<T> {
    /// Holds this graph for a loop of replayed steps: see [`Replay`].
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var(Matrix1::new(3.0));
    /// let loss = w.component_mul(w);
    /// let mut replay = g.replay();
    /// let (pw, ploss) = (replay.place(w), replay.place(loss));
    /// for _ in 0..50 {
    ///     replay.backward(ploss);
    ///     replay.update(pw, |w, d_w| *w -= d_w * 0.25); // gradient descent on w²
    /// }
    /// assert!(replay.value(pw)[0].abs() < 1e-12);
    /// ```
    ///
    /// # Panics
    /// If a [`Gradients`](crate::Gradients) of this graph, or another `Replay` of it, is
    /// still alive.
    #[track_caller]
    pub fn replay(&self) -> Replay<'_, T> {
        let Ok(store) = self.grads().try_borrow_mut() else {
            panic!(
                "shapegrad: Graph::replay was called while a `Gradients` or a `Replay` of this \
                 graph is still alive; drop it first"
            )
        };
        let Ok(tape) = self.tape().try_borrow_mut() else {
            panic!(
                "shapegrad: Graph::replay was called while another `Replay` of this graph is alive"
            )
        };
        Replay {
            graph: self.id(),
            tape,
            store,
        }
    }
}

impl<'g, T: Real> Replay<'g, T> {
    /// Where `v` lives: its offsets, checked once here and then used by every call that
    /// takes the place.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f32>::new();
    /// let x = g.constant(nalgebra::Matrix1::new(2.0_f32));
    /// let mut replay = g.replay();
    /// let px = replay.place(x);
    /// assert_eq!(replay.value(px)[0], 2.0);
    /// ```
    ///
    /// # Panics
    /// If `v` belongs to another graph.
    #[track_caller]
    pub fn place<const R: usize, const C: usize>(&mut self, v: Var<'g, T, R, C>) -> Place<T, R, C> {
        if v.graph().id() != self.graph {
            panic!(
                "shapegrad: Replay::place was given {}, which belongs to another graph",
                v.label()
            );
        }
        self.store.grow(&self.tape);
        let node = &self.tape.nodes[v.id()];
        Place {
            graph: self.graph,
            id: v.id() as u32,
            value: node.at.output,
            grad: self.store.offsets()[v.id()],
            leaf: node.is_leaf(),
            _scalar: PhantomData,
        }
    }

    #[track_caller]
    #[inline(always)]
    fn check<const R: usize, const C: usize>(&self, place: Place<T, R, C>) {
        if place.graph != self.graph {
            self.foreign(place.id);
        }
    }

    #[cold]
    #[track_caller]
    fn foreign(&self, id: u32) -> ! {
        panic!(
            "shapegrad: a Replay of graph #{} was given the place of node {id} of another graph",
            self.graph
        )
    }

    /// Gives leaf `place` a new value, as [`Var::set_value_from`]; what depends on it is
    /// recomputed when next read.
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let a = g.var(Matrix2::identity());
    /// let t = a.transpose();
    /// let mut replay = g.replay();
    /// let (pa, pt) = (replay.place(a), replay.place(t));
    /// replay.set(pa, &Matrix2::new(1.0, 2.0, 3.0, 4.0));
    /// assert_eq!(*replay.value(pt), Matrix2::new(1.0, 3.0, 2.0, 4.0));
    /// ```
    ///
    /// # Panics
    /// If `place` is the output of an op rather than a leaf, or of another graph.
    #[track_caller]
    #[inline]
    pub fn set<const R: usize, const C: usize>(
        &mut self,
        place: Place<T, R, C>,
        value: &SMatrix<T, R, C>,
    ) {
        self.check(place);
        if !place.leaf {
            self.not_a_leaf(place.id, "set");
        }
        let entries = self
            .tape
            .write_leaf(place.id as usize, place.value as usize);
        matrix_mut::<T, R, C>(entries).copy_from(value);
    }

    /// Changes leaf `place` in place, given its value and its gradient from the last backward
    /// pass (zeros if the pass did not reach it): an optimizer step. What depends on it is
    /// recomputed when next read.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var(Matrix1::new(2.0));
    /// let loss = w.component_mul(w).scale(0.5);
    /// let mut replay = g.replay();
    /// let (pw, ploss) = (replay.place(w), replay.place(loss));
    /// replay.backward(ploss);
    /// replay.update(pw, |w, d_w| *w -= d_w * 0.5); // d_w = w = 2
    /// assert_eq!(replay.value(pw)[0], 1.0);
    /// ```
    ///
    /// # Panics
    /// If `place` is not a [`Graph::var`] (an op's output, a constant), or of another graph.
    #[track_caller]
    #[inline]
    pub fn update<const R: usize, const C: usize>(
        &mut self,
        place: Place<T, R, C>,
        f: impl FnOnce(&mut SMatrix<T, R, C>, &SMatrix<T, R, C>),
    ) {
        self.check(place);
        if !place.leaf || place.grad == NO_GRAD {
            self.not_a_leaf(place.id, "update (a var)");
        }
        let entries = self
            .tape
            .write_leaf(place.id as usize, place.value as usize);
        f(matrix_mut(entries), matrix(self.store.at(place.grad)));
    }

    #[cold]
    #[track_caller]
    fn not_a_leaf(&self, id: u32, method: &str) -> ! {
        panic!(
            "shapegrad: Replay::{method} needs a leaf, but {} is not one",
            self.tape.label(id as usize)
        );
    }

    /// The up-to-date value of `place`, recomputed first where a leaf it depends on changed,
    /// as [`Var::value`] (by reference: nothing is copied).
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(Matrix1::new(2.0));
    /// let y = x.exp();
    /// let mut replay = g.replay();
    /// let (px, py) = (replay.place(x), replay.place(y));
    /// replay.set(px, &Matrix1::new(0.0));
    /// assert_eq!(replay.value(py)[0], 1.0);
    /// ```
    ///
    /// # Panics
    /// With anomaly detection on, if bringing it up to date met a value that is not finite.
    #[track_caller]
    #[inline]
    pub fn value<const R: usize, const C: usize>(
        &mut self,
        place: Place<T, R, C>,
    ) -> &SMatrix<T, R, C> {
        self.check(place);
        self.refresh(place.id as usize);
        matrix(&self.tape.values[place.value as usize..])
    }

    #[track_caller]
    #[inline(always)]
    fn refresh(&mut self, id: usize) {
        self.tape.refresh(id);
        if self.tape.anomaly.is_some() {
            self.raise();
        }
    }

    #[cold]
    #[track_caller]
    fn raise(&mut self) -> ! {
        let anomaly = self.tape.anomaly.take().map(|a| a.0).unwrap_or_default();
        panic!("{anomaly}")
    }

    /// A backward pass from the 1×1 output `root` (a loss), as [`Var::backward`]; read the
    /// gradients with [`Replay::wrt`].
    ///
    /// ```
    /// use nalgebra::Vector3;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let v = g.var(Vector3::new(1.0, 2.0, 3.0));
    /// let total = v.sum();
    /// let mut replay = g.replay();
    /// let (pv, ptotal) = (replay.place(v), replay.place(total));
    /// replay.backward(ptotal);
    /// assert_eq!(*replay.wrt(pv), Vector3::repeat(1.0));
    /// ```
    ///
    /// # Panics
    /// With anomaly detection on, if the pass met a value or gradient that is not finite.
    #[track_caller]
    #[inline]
    pub fn backward(&mut self, root: Place<T, 1, 1>) {
        self.run(root, |d: &mut [T]| d[0] = T::one());
    }

    /// A backward pass from `root` seeded with `seed` = ∂loss/∂root, as
    /// [`Var::backward_with_ref`].
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let v = g.var(Vector2::new(1.0, 2.0));
    /// let doubled = v.scale(2.0);
    /// let mut replay = g.replay();
    /// let (pv, pd) = (replay.place(v), replay.place(doubled));
    /// replay.backward_with(pd, &Vector2::new(1.0, -1.0));
    /// assert_eq!(*replay.wrt(pv), Vector2::new(2.0, -2.0));
    /// ```
    ///
    /// # Panics
    /// As [`Replay::backward`].
    #[track_caller]
    #[inline]
    pub fn backward_with<const R: usize, const C: usize>(
        &mut self,
        root: Place<T, R, C>,
        seed: &SMatrix<T, R, C>,
    ) {
        self.run(root, |d: &mut [T]| matrix_mut::<T, R, C>(d).copy_from(seed));
    }

    #[track_caller]
    #[inline(always)]
    fn run<const R: usize, const C: usize>(
        &mut self,
        root: Place<T, R, C>,
        seed: impl FnOnce(&mut [T]),
    ) {
        self.check(root);
        let id = root.id as usize;
        self.refresh(id);
        let Replay { tape, store, .. } = self;
        store.grow(tape);
        let plan = tape.backward_plan(id, store.offsets(), store.len());
        let tape = &**tape;
        if let Some(anomaly) = store.run(tape, id, tape.plans.backward(plan), seed) {
            panic!("{}", anomaly.0);
        }
    }

    /// ∂output/∂`place` from the last backward pass, of `place`'s shape (zeros if the pass
    /// did not reach it), as [`Gradients::wrt`](crate::Gradients::wrt).
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let (a, b) = (g.var(Matrix1::new(2.0)), g.var(Matrix1::new(7.0)));
    /// let (square, unrelated) = (a.component_mul(a), b.scale(3.0));
    /// let mut replay = g.replay();
    /// let (pa, pb) = (replay.place(a), replay.place(b));
    /// let (psquare, punrelated) = (replay.place(square), replay.place(unrelated));
    /// replay.backward(punrelated);
    /// replay.backward(psquare);
    /// assert_eq!((replay.wrt(pa)[0], replay.wrt(pb)[0]), (4.0, 0.0)); // b not reached
    /// ```
    ///
    /// # Panics
    /// If `place` is a constant or computed from constants only (it has no gradient), or of
    /// another graph.
    #[track_caller]
    #[inline]
    pub fn wrt<const R: usize, const C: usize>(&self, place: Place<T, R, C>) -> &SMatrix<T, R, C> {
        self.check(place);
        if place.grad == NO_GRAD {
            self.no_gradient(place.id);
        }
        matrix(self.store.at(place.grad))
    }

    #[cold]
    #[track_caller]
    fn no_gradient(&self, id: u32) -> ! {
        panic!(
            "shapegrad: {} has no gradient: it is a constant or computed from constants only",
            self.tape.label(id as usize)
        );
    }
}
