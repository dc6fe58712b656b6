//! `Handle`: a node's name without a borrow of its graph.

use std::marker::PhantomData;

use crate::kernels::Real;

/// A lifetime-free name of an R×C node: its graph's identity and its id, with the shape in the
/// type. `Copy`, `Send`, `Sync` and `'static`, so a struct can hold it next to the
/// [`Graph`](crate::Graph) that owns the node, and move with it to another thread;
/// [`Graph::at`](crate::Graph::at) turns it back into a [`Var`](crate::Var) (and panics if
/// the handle is of another graph).
///
/// ```
/// use nalgebra::Vector3;
/// use shapegrad::{Graph, Handle};
///
/// struct Model {
///     graph: Graph<f64>,
///     input: Handle<f64, 3, 1>,
///     output: Handle<f64, 1, 1>,
/// }
///
/// let graph = Graph::new();
/// let x = graph.constant(Vector3::new(1.0, 2.0, 3.0));
/// let y = x.norm_squared();
/// let model = Model { input: x.handle(), output: y.handle(), graph };
///
/// model.graph.at(model.input).set_value(Vector3::new(0.0, 0.0, 2.0));
/// assert_eq!(model.graph.at(model.output).value()[0], 4.0);
/// ```
pub struct Handle<T: Real, const R: usize, const C: usize> {
    graph: u64,
    id: usize,
    _scalar: PhantomData<fn() -> T>,
}

impl<T: Real, const R: usize, const C: usize> Handle<T, R, C> {
    pub(crate) fn new(graph: u64, id: usize) -> Self {
        Handle {
            graph,
            id,
            _scalar: PhantomData,
        }
    }

    /// The node's id on its graph's tape (as [`Var::id`](crate::Var::id)).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(nalgebra::Matrix1::new(1.0));
    /// assert_eq!(x.handle().id(), x.id());
    /// ```
    pub fn id(&self) -> usize {
        self.id
    }

    /// The identity of the node's graph (as [`Graph::id`](crate::Graph::id)).
    ///
    /// ```
    /// let g = shapegrad::Graph::<f64>::new();
    /// assert_eq!(g.var(nalgebra::Matrix1::new(1.0)).handle().graph(), g.id());
    /// ```
    pub fn graph(&self) -> u64 {
        self.graph
    }
}

impl<T: Real, const R: usize, const C: usize> Clone for Handle<T, R, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Real, const R: usize, const C: usize> Copy for Handle<T, R, C> {}

impl<T: Real, const R: usize, const C: usize> PartialEq for Handle<T, R, C> {
    fn eq(&self, other: &Self) -> bool {
        (self.graph, self.id) == (other.graph, other.id)
    }
}

impl<T: Real, const R: usize, const C: usize> Eq for Handle<T, R, C> {}

impl<T: Real, const R: usize, const C: usize> std::hash::Hash for Handle<T, R, C> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.graph, self.id).hash(state);
    }
}

impl<T: Real, const R: usize, const C: usize> std::fmt::Debug for Handle<T, R, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Handle {{ graph: {}, id: {}, shape: {R}×{C} }}",
            self.graph, self.id
        )
    }
}
