//! `Var`: the handle through which users touch the graph.

use nalgebra::SMatrix;

use crate::graph::{Gradients, Graph, Handle};
use crate::kernels::Real;

/// A handle to an R×C node of a [`Graph`]: a leaf or the output of an op.
///
/// `Var` is `Copy`; using one twice is a fork in the graph, and the gradients of the uses add
/// up. Its shape is in its type, so `a * b` only compiles when `a`'s columns are `b`'s rows, and
/// `a + b` only when the shapes are equal. A `Var` borrows its graph; to keep a node in a
/// struct next to the graph that owns it, keep its [`Handle`] ([`Var::handle`]).
///
/// ```
/// use nalgebra::{Matrix2x3, Matrix3x2};
/// use shapegrad::{Graph, Var};
///
/// let g = Graph::<f64>::new();
/// let a: Var<'_, f64, 2, 3> = g.var(Matrix2x3::repeat(1.0));
/// let b: Var<'_, f64, 3, 2> = g.constant(Matrix3x2::repeat(2.0));
/// let c: Var<'_, f64, 2, 2> = a * b;
/// assert_eq!(c.value()[(0, 0)], 6.0);
/// ```
#[must_use = "a Var is a handle to a recorded node: an op whose result is dropped adds a node that nothing reads"]
pub struct Var<'g, T: Real, const R: usize, const C: usize> {
    graph: &'g Graph<T>,
    id: usize,
}

impl<T: Real, const R: usize, const C: usize> Clone for Var<'_, T, R, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Real, const R: usize, const C: usize> Copy for Var<'_, T, R, C> {}

impl<T: Real, const R: usize, const C: usize> std::fmt::Debug for Var<'_, T, R, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var {{ id: {}, shape: {R}×{C} }}", self.id)
    }
}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    pub(crate) fn new(graph: &'g Graph<T>, id: usize) -> Self {
        Var { graph, id }
    }

    /// The graph this var belongs to.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Matrix1::new(1.0));
    /// assert!(std::ptr::eq(x.graph(), &g));
    /// ```
    pub fn graph(&self) -> &'g Graph<T> {
        self.graph
    }

    /// The node's index on the tape (creation order, from 0).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Matrix1::new(1.0));
    /// let y = x + x;
    /// assert_eq!((x.id(), y.id()), (0, 1));
    /// ```
    pub fn id(&self) -> usize {
        self.id
    }

    /// A lifetime-free name of this node (its graph and id, its shape in the type), to keep in
    /// a struct next to the graph and turn back into a `Var` with [`Graph::at`].
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// use shapegrad::{Graph, Handle};
    ///
    /// let g = Graph::<f64>::new();
    /// let x: Handle<f64, 1, 1> = g.var(Matrix1::new(3.0)).handle();
    /// assert_eq!(g.at(x).value()[0], 3.0);
    /// ```
    pub fn handle(&self) -> Handle<T, R, C> {
        Handle::new(self.graph.id(), self.id)
    }

    /// The name given with [`Graph::var_named`] or [`Graph::constant_named`], if any.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// assert_eq!(g.var(nalgebra::Matrix1::new(1.0)).name(), None);
    /// ```
    pub fn name(&self) -> Option<String> {
        self.graph.name_of(self.id)
    }

    /// Calls `f` with the node's name (or `None`), borrowed from the graph: no allocation, for
    /// lookups by name on every step (the optimizers').
    pub(crate) fn with_name<Out>(&self, f: impl FnOnce(Option<&str>) -> Out) -> Out {
        f(self.graph.tape().borrow().nodes[self.id].name.as_deref())
    }

    /// `` `W` (node 3, 5×10)`` or `node 3 (var, 5×10)`: this node as messages name it.
    pub(crate) fn label(&self) -> String {
        self.graph.label_of(self.id)
    }

    /// A copy of the current value, recomputed first if a leaf it depends on was given a new
    /// value (only the stale ancestors are recomputed).
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(Matrix1::new(2.0));
    /// let y = x.component_mul(x);
    /// assert_eq!(y.value()[0], 4.0);
    /// x.set_value(Matrix1::new(3.0));
    /// assert_eq!(y.value()[0], 9.0);
    /// ```
    #[track_caller]
    pub fn value(&self) -> SMatrix<T, R, C> {
        *crate::contract::layout::matrix(self.graph.fresh(self.id).value(self.id))
    }

    /// Copies the current value into `out` (as [`Var::value`], without a matrix on the stack:
    /// for large values).
    ///
    /// ```
    /// use nalgebra::SMatrix;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(SMatrix::<f64, 300, 100>::from_element(0.5));
    /// let mut out = Box::new(SMatrix::<f64, 300, 100>::zeros());
    /// x.sum().value(); // any read
    /// x.copy_value_to(&mut out);
    /// assert_eq!(out[(299, 99)], 0.5);
    /// ```
    #[track_caller]
    pub fn copy_value_to(&self, out: &mut SMatrix<T, R, C>) {
        out.copy_from(crate::contract::layout::matrix::<T, R, C>(
            self.graph.fresh(self.id).value(self.id),
        ));
    }

    /// A copy of the current value in a box, made on the heap without passing through the
    /// stack (as [`Var::value`], for large values: a 500×500 `f64` is 2 MB, a spawned
    /// thread's whole stack).
    ///
    /// ```
    /// use nalgebra::SMatrix;
    /// use shapegrad::{Graph, boxed};
    ///
    /// let g = Graph::<f64>::new();
    /// let x = g.var_from(&boxed::from_element::<f64, 500, 500>(2.0));
    /// let y = x.component_mul(x);
    /// let value: Box<SMatrix<f64, 500, 500>> = y.value_boxed();
    /// assert_eq!(value[(250, 250)], 4.0);
    /// ```
    #[track_caller]
    pub fn value_boxed(&self) -> Box<SMatrix<T, R, C>> {
        let tape = self.graph.fresh(self.id);
        crate::contract::boxed::from_column_slice(&tape.value(self.id)[..R * C])
    }

    /// Gives a leaf a new value; what depends on it is recomputed when next read.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.constant(Matrix1::new(2.0));
    /// let w = g.var(Matrix1::new(5.0));
    /// let y = w * x;
    /// x.set_value(Matrix1::new(-1.0)); // the next batch
    /// assert_eq!(y.value()[0], -5.0);
    /// ```
    ///
    /// # Panics
    /// If the var is the output of an op rather than a leaf.
    #[track_caller]
    pub fn set_value(&self, value: SMatrix<T, R, C>) {
        self.set_value_from(&value);
    }

    /// [`Var::set_value`] from a reference (no copy of the matrix on the stack).
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(Matrix2::zeros());
    /// x.set_value_from(&Matrix2::identity());
    /// assert_eq!(x.value(), Matrix2::identity());
    /// ```
    ///
    /// # Panics
    /// If the var is the output of an op rather than a leaf.
    #[track_caller]
    pub fn set_value_from(&self, value: &SMatrix<T, R, C>) {
        let mut tape = self.graph.tape_mut();
        match tape.leaf_mut(self.id) {
            Some(entries) => {
                crate::contract::layout::matrix_mut::<T, R, C>(entries).copy_from(value)
            }
            None => {
                drop(tape);
                self.not_a_leaf("set_value")
            }
        }
    }

    /// Changes a leaf's value in place, e.g. an optimizer step; what depends on it is
    /// recomputed when next read.
    ///
    /// The closure gets a copy of the value and no borrow of the graph is held while it runs,
    /// so it may read the graph (`x.value()`, another var's value); the result is written back
    /// afterwards.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let w = g.var(Matrix1::new(5.0));
    /// let loss = w.component_mul(w);
    /// let d_w = *loss.backward().wrt(w);
    /// w.update_value(|w| *w -= d_w * 0.25);
    /// assert_eq!(w.value()[0], 2.5);
    /// assert_eq!(loss.value()[0], 6.25);
    /// w.update_value(|w| *w = loss.value()); // reading the graph inside is fine
    /// assert_eq!(w.value()[0], 6.25);
    /// ```
    ///
    /// # Panics
    /// If the var is the output of an op rather than a leaf.
    #[track_caller]
    pub fn update_value(&self, f: impl FnOnce(&mut SMatrix<T, R, C>)) {
        self.assert_leaf("update_value");
        crate::contract::scratch::with_scratch::<T, R, C, _>(|scratch| {
            self.copy_value_to(scratch);
            f(scratch);
            self.set_value_from(scratch);
        });
    }

    /// [`Var::update_value`] without the copy: `f` gets the leaf's entries in the graph's
    /// buffer, with the graph borrowed, so it must not touch the graph. For the optimizers,
    /// whose rules see only matrices.
    #[track_caller]
    pub(crate) fn update_in_place(&self, f: impl FnOnce(&mut SMatrix<T, R, C>)) {
        let mut tape = self.graph.tape_mut();
        match tape.leaf_mut(self.id) {
            Some(entries) => f(crate::contract::layout::matrix_mut(entries)),
            None => {
                drop(tape);
                self.not_a_leaf("update_value")
            }
        }
    }

    #[track_caller]
    fn assert_leaf(&self, method: &str) {
        if !self.graph.is_leaf(self.id) {
            self.not_a_leaf(method);
        }
    }

    #[cold]
    #[track_caller]
    fn not_a_leaf(&self, method: &str) -> ! {
        panic!(
            "shapegrad: {method} needs a leaf (Graph::var, Graph::constant), but {} is the \
             output of an op; give its leaves new values instead",
            self.label()
        );
    }

    /// Backward pass from this node, seeded with `seed` = ∂loss/∂self, a matrix of this node's
    /// own shape. Use it for a vector-Jacobian product, or when the loss is computed outside the
    /// graph (the notes' `dD = randn(D.shape)`).
    ///
    /// The pass visits only this node's ancestors that lead to a var, and writes only their
    /// gradients; see [`Graph`] for the cost model.
    ///
    /// ```
    /// use nalgebra::{SMatrix, Matrix2x3};
    /// use shapegrad::Graph;
    ///
    /// let g = Graph::<f64>::new();
    /// let w = g.var(SMatrix::<f64, 2, 4>::repeat(1.0));
    /// let x = g.var(SMatrix::<f64, 4, 3>::repeat(2.0));
    /// let d = w * x;
    /// let d_d = Matrix2x3::new(1.0, 0.0, 0.0, 0.0, 0.0, 2.0);
    /// let grads = d.backward_with(d_d);
    /// assert_eq!(*grads.wrt(w), d_d * x.value().transpose());
    /// assert_eq!(*grads.wrt(x), w.value().transpose() * d_d);
    /// ```
    ///
    /// # Panics
    /// If a [`Gradients`] of an earlier backward pass of this graph is still alive.
    #[track_caller]
    pub fn backward_with(self, seed: SMatrix<T, R, C>) -> Gradients<'g, T> {
        self.backward_with_ref(&seed)
    }

    /// [`Var::backward_with`] with the seed by reference (for large seeds).
    ///
    /// ```
    /// use nalgebra::Matrix2;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(Matrix2::repeat(1.0));
    /// let grads = x.scale(3.0).backward_with_ref(&Matrix2::identity());
    /// assert_eq!(*grads.wrt(x), Matrix2::identity() * 3.0);
    /// ```
    ///
    /// # Panics
    /// As [`Var::backward_with`].
    #[track_caller]
    pub fn backward_with_ref(self, seed: &SMatrix<T, R, C>) -> Gradients<'g, T> {
        self.graph.backward_from(self.id, |d: &mut [T]| {
            crate::contract::layout::matrix_mut::<T, R, C>(d).copy_from(seed)
        })
    }
}

/// A 1×1 var: a loss, the only kind of output [`Var::backward`] starts from (sealed).
#[diagnostic::on_unimplemented(
    message = "`backward()` needs a 1×1 output (a loss), and `{Self}` is not 1×1",
    label = "not a 1×1 output",
    note = "seed the pass with a gradient of the output's own shape: `y.backward_with(seed)`; \
            `backward_with(SMatrix::repeat(1.0))` differentiates the sum of its entries"
)]
pub trait Loss: crate::contract::sealed::Sealed {}

impl<T: Real> crate::contract::sealed::Sealed for Var<'_, T, 1, 1> {}
impl<T: Real> Loss for Var<'_, T, 1, 1> {}

impl<'g, T: Real, const R: usize, const C: usize> Var<'g, T, R, C> {
    /// Backward pass from this 1×1 output (the loss), seeded with ∂loss/∂loss = 1: afterwards
    /// [`Gradients::wrt`] gives ∂loss/∂v for every `v` of the graph.
    ///
    /// Only 1×1 outputs have `backward` (the compiler says so, naming the shape, for any
    /// other: see [`Loss`]); for others, choose a seed with [`Var::backward_with`]. Each call
    /// starts from zero gradients (they do not accumulate across calls).
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(Matrix1::new(-2.0));
    /// let y = g.var(Matrix1::new(5.0));
    /// let z = g.var(Matrix1::new(-4.0));
    /// let f = (x + y).component_mul(z);
    /// let grads = f.backward();
    /// assert_eq!((grads.wrt(x)[0], grads.wrt(y)[0], grads.wrt(z)[0]), (-4.0, -4.0, 3.0));
    /// ```
    ///
    /// # Panics
    /// If a [`Gradients`] of an earlier backward pass of this graph is still alive.
    #[track_caller]
    pub fn backward(self) -> Gradients<'g, T>
    where
        Self: Loss,
    {
        self.graph
            .backward_from(self.id, |d: &mut [T]| d[0] = T::one())
    }
}
