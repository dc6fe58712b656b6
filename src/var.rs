//! `Var`: the handle through which users touch the graph.

use nalgebra::SMatrix;

use crate::value::{downcast, downcast_mut};
use crate::{Gradients, Graph, Real};

/// A handle to an R×C node of a [`Graph`]: a leaf or the output of an op.
///
/// `Var` is `Copy`; using one twice is a fork in the graph, and the gradients of the uses add
/// up. Its shape is in its type, so `a * b` only compiles when `a`'s columns are `b`'s rows, and
/// `a + b` only when the shapes are equal.
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

    /// The name given with [`Graph::var_named`] or [`Graph::constant_named`], if any.
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// assert_eq!(g.var(nalgebra::Matrix1::new(1.0)).name(), None);
    /// ```
    pub fn name(&self) -> Option<String> {
        self.graph.name_of(self.id)
    }

    /// A copy of the current value, recomputed first if a leaf it depends on was given a new
    /// value.
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
    pub fn value(&self) -> SMatrix<T, R, C> {
        *downcast::<T, SMatrix<T, R, C>>(&*self.graph.value_ref(self.id))
    }

    /// Gives a leaf a new value; everything computed from it is recomputed when next read.
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
    pub fn set_value(&self, value: SMatrix<T, R, C>) {
        *downcast_mut::<T, SMatrix<T, R, C>>(&mut *self.graph.leaf_mut(self.id)) = value;
    }

    /// Changes a leaf's value in place (no copy of the matrix), e.g. an optimizer step;
    /// everything computed from it is recomputed when next read.
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
    /// ```
    ///
    /// # Panics
    /// If the var is the output of an op rather than a leaf.
    pub fn update_value(&self, f: impl FnOnce(&mut SMatrix<T, R, C>)) {
        f(downcast_mut::<T, SMatrix<T, R, C>>(
            &mut *self.graph.leaf_mut(self.id),
        ));
    }

    /// Backward pass from this node, seeded with `seed` = ∂loss/∂self, a matrix of this node's
    /// own shape. Use it for a vector-Jacobian product, or when the loss is computed outside the
    /// graph (the notes' `dD = randn(D.shape)`).
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
    pub fn backward_with(self, seed: SMatrix<T, R, C>) -> Gradients<'g, T> {
        self.graph.backward_from(self.id, &seed)
    }
}

impl<'g, T: Real> Var<'g, T, 1, 1> {
    /// Backward pass from this 1×1 output (the loss), seeded with ∂loss/∂loss = 1: afterwards
    /// [`Gradients::wrt`] gives ∂loss/∂v for every `v` of the graph.
    ///
    /// Only 1×1 outputs have `backward`; for others, choose a seed with
    /// [`Var::backward_with`]. Each call starts from zero gradients (they do not accumulate
    /// across calls).
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
    pub fn backward(self) -> Gradients<'g, T> {
        self.backward_with(SMatrix::<T, 1, 1>::identity())
    }
}
