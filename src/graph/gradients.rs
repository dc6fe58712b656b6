//! Typed gradients: `grads.wrt(w)` has `w`'s own shape.

use std::cell::Ref;

use nalgebra::SMatrix;

use crate::graph::{Graph, Var};
use crate::kernels::Real;
use crate::tape::grads::GradStore;
use crate::tape::node::Kind;

/// The result of a backward pass: the gradient of every node that needs one, each typed as its
/// node.
///
/// [`Gradients::wrt`] returns `&SMatrix<T, R, C>` of the var's own shape, so reading a
/// gradient into the wrong shape does not compile. The gradients are those of the last backward
/// pass; while a `Gradients` is alive the graph can still be read, extended and given new leaf
/// values, but another backward pass on it panics — drop this one first.
///
/// ```
/// use nalgebra::{Matrix1, Matrix2x3};
/// use shapegrad::Graph;
///
/// let g = Graph::<f64>::new();
/// let w = g.var(Matrix2x3::repeat(1.0));
/// let unused = g.var(Matrix1::new(5.0));
/// let grads = w.sum().backward();
/// let d_w: &Matrix2x3<f64> = grads.wrt(w);
/// assert_eq!(*d_w, Matrix2x3::repeat(1.0));
/// assert_eq!(grads.wrt(unused)[0], 0.0); // a var used by nothing gets zeros
/// ```
#[must_use = "the gradients live only in this value: read them with `wrt`, or pass them to an optimizer"]
pub struct Gradients<'g, T: Real> {
    graph: &'g Graph<T>,
    store: Ref<'g, GradStore<T>>,
}

impl<T: Real> std::fmt::Debug for Gradients<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gradients")
            .field("graph", &self.graph.id())
            .field("root", &self.store.last_root())
            .field("with_gradient", &self.store.with_gradient())
            .finish()
    }
}

impl<'g, T: Real> Gradients<'g, T> {
    pub(crate) fn new(graph: &'g Graph<T>, store: Ref<'g, GradStore<T>>) -> Self {
        Gradients { graph, store }
    }

    /// ∂output/∂`v`, of `v`'s shape.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let x = g.var(Matrix1::new(3.0));
    /// let grads = x.component_mul(x).backward();
    /// assert_eq!(grads.wrt(x)[0], 6.0); // d(x²)/dx; the two uses add up
    /// ```
    ///
    /// # Panics
    /// If `v` is a constant (or computed from constants only), was created after this
    /// backward pass, or belongs to another graph. Use [`Gradients::get`] to get `None` instead
    /// in the first two cases.
    #[track_caller]
    #[inline]
    pub fn wrt<const R: usize, const C: usize>(&self, v: Var<'g, T, R, C>) -> &SMatrix<T, R, C> {
        match self.get(v) {
            Some(grad) => grad,
            None => panic!("{}", self.why_none(v.id())),
        }
    }

    /// ∂output/∂`v`, or `None` if `v` has no gradient: it is a constant, depends on constants
    /// only, or was created after this backward pass.
    ///
    /// ```
    /// use nalgebra::Matrix1;
    /// let g = shapegrad::Graph::<f64>::new();
    /// let c = g.constant(Matrix1::new(3.0));
    /// let grads = c.sum().backward();
    /// assert!(grads.get(c).is_none());
    /// ```
    ///
    /// # Panics
    /// If `v` belongs to another graph.
    #[track_caller]
    #[inline]
    pub fn get<const R: usize, const C: usize>(
        &self,
        v: Var<'g, T, R, C>,
    ) -> Option<&SMatrix<T, R, C>> {
        if !std::ptr::eq(v.graph(), self.graph) {
            panic!(
                "shapegrad: Gradients::wrt was given {}, which belongs to another graph",
                v.label()
            );
        }
        Some(crate::contract::layout::matrix(
            self.store.gradient(v.id())?,
        ))
    }

    /// ∂output/∂`v`, or why there is none (the message [`Gradients::wrt`] and
    /// [`Gradients::get`] panic with), for callers that report it themselves.
    pub(crate) fn lookup<const R: usize, const C: usize>(
        &self,
        v: Var<'g, T, R, C>,
    ) -> Result<&SMatrix<T, R, C>, String> {
        if !std::ptr::eq(v.graph(), self.graph) {
            return Err(format!(
                "shapegrad: {} belongs to another graph than these gradients",
                v.label()
            ));
        }
        match self.store.gradient(v.id()) {
            Some(entries) => Ok(crate::contract::layout::matrix(entries)),
            None => Err(self.why_none(v.id())),
        }
    }

    /// The gradient of node `id` as a column-major slice, for shape-erased tools.
    pub(crate) fn slice_of(&self, id: usize, len: usize) -> Option<&[T]> {
        Some(&self.store.gradient(id)?[..len])
    }

    fn why_none(&self, id: usize) -> String {
        let label = self.graph.label_of(id);
        if !self.store.knows(id) {
            return format!(
                "shapegrad: {label} was created after this backward pass, so it has no gradient \
                 in it; call backward again"
            );
        }
        match self.graph.tape_ref().nodes[id].kind {
            Kind::Constant => format!(
                "shapegrad: {label} is a constant and has no gradient; create it with \
                 Graph::var to differentiate with respect to it"
            ),
            _ => format!(
                "shapegrad: {label} is computed from constants only and has no gradient; \
                 make one of its leaves a Graph::var to differentiate with respect to it"
            ),
        }
    }
}
