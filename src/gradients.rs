//! Typed gradients: `grads.wrt(w)` has `w`'s own shape.

use std::cell::Ref;

use nalgebra::SMatrix;

use crate::graph::{NodeKind, Tape};
use crate::{Graph, Real, Value, Var};

/// One node's gradient buffer.
#[doc(hidden)]
pub struct GradBuffer<T: Real> {
    pub(crate) value: Box<dyn Value<T>>,
    /// Whether the buffer holds a contribution of the current pass; if not, its contents are
    /// stale and the first contribution overwrites them.
    pub(crate) written: bool,
}

/// The gradient buffers of a graph, reused by every backward pass.
pub(crate) struct GradStore<T: Real> {
    /// One buffer per node; `None` where the node needs no gradient.
    slots: Vec<Option<GradBuffer<T>>>,
    /// The node the last pass started from; `None` before the first pass.
    root: Option<usize>,
}

impl<T: Real> Default for GradStore<T> {
    fn default() -> Self {
        GradStore {
            slots: Vec::new(),
            root: None,
        }
    }
}

impl<T: Real> GradStore<T> {
    /// Seeds `root` and runs the tape backward from it.
    ///
    /// The buffers are not zeroed first: each holds the last pass's gradient until the first
    /// contribution of this pass overwrites it ([`GradSlot`](crate::GradSlot)). A node whose
    /// buffer nothing wrote is not reached from `root` (or only through zero contributions),
    /// so its backward is skipped, and at the end its buffer is zeroed.
    pub(crate) fn run(&mut self, tape: &Tape<T>, root: usize, seed: &dyn Value<T>) {
        // Buffers for nodes recorded since the last pass: the only allocation here.
        self.slots
            .reserve_exact(tape.nodes.len() - self.slots.len());
        for node in self.slots.len()..tape.nodes.len() {
            let slot = tape.nodes[node].needs_grad.then(|| GradBuffer {
                value: tape.values[node].boxed_scratch(),
                written: false,
            });
            self.slots.push(slot);
        }
        for slot in self.slots.iter_mut().flatten() {
            slot.written = false;
        }
        self.root = Some(root);

        if let Some(root_grad) = &mut self.slots[root] {
            root_grad
                .value
                .as_mut_slice()
                .copy_from_slice(seed.as_slice());
            root_grad.written = true;
            for i in (0..=root).rev() {
                let (before, rest) = self.slots.split_at_mut(i);
                let Some(GradBuffer {
                    value: d_out,
                    written: true,
                }) = &rest[0]
                else {
                    continue;
                };
                if let NodeKind::Op(op) = &tape.nodes[i].kind {
                    op.backward(&tape.values, i, &**d_out, before);
                }
            }
        }
        // Else the root depends on constants only: every gradient is zero.
        for slot in self.slots.iter_mut().flatten() {
            if !slot.written {
                slot.value.as_mut_slice().fill(T::zero());
            }
        }
    }

    /// Hands every buffer to `keep` (the per-thread cache), emptying the store.
    pub(crate) fn release(&mut self, keep: impl Fn(Box<dyn std::any::Any>)) {
        for buffer in self.slots.drain(..).flatten() {
            keep(buffer.value);
        }
    }

    /// The node the last backward pass started from, or `None` if none has run.
    pub(crate) fn last_root(&self) -> Option<usize> {
        self.root
    }

    /// Node `id`'s gradient from the last pass (column-major), or `None` if it has no slot.
    pub(crate) fn slot(&self, id: usize) -> Option<&[T]> {
        Some(self.slots.get(id)?.as_ref()?.value.as_slice())
    }
}

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
pub struct Gradients<'g, T: Real> {
    graph: &'g Graph<T>,
    store: Ref<'g, GradStore<T>>,
}

impl<T: Real> std::fmt::Debug for Gradients<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let with_grad = self.store.slots.iter().filter(|s| s.is_some()).count();
        f.debug_struct("Gradients")
            .field("nodes", &self.store.slots.len())
            .field("with_gradient", &with_grad)
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
    pub fn get<const R: usize, const C: usize>(
        &self,
        v: Var<'g, T, R, C>,
    ) -> Option<&SMatrix<T, R, C>> {
        assert!(
            std::ptr::eq(v.graph(), self.graph),
            "shapegrad: Gradients::wrt was given a Var of another Graph"
        );
        let slot = self.store.slots.get(v.id())?.as_ref()?;
        Some(crate::value::downcast::<T, SMatrix<T, R, C>>(&*slot.value))
    }

    /// The gradient of node `id` as a column-major slice, for shape-erased tools.
    pub(crate) fn slice_of(&self, id: usize) -> Option<&[T]> {
        self.store.slot(id)
    }

    fn why_none(&self, id: usize) -> String {
        let tape = self.graph.tape.borrow();
        let node = &tape.nodes[id];
        let label = match &node.name {
            Some(name) => format!("`{name}` (node {id})"),
            None => format!("node {id}"),
        };
        if id >= self.store.slots.len() {
            return format!(
                "shapegrad: {label} was created after this backward pass, so it has no gradient \
                 in it; call backward again"
            );
        }
        match node.kind {
            NodeKind::Constant => format!(
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
