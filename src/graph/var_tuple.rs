//! `VarTuple`: the inputs of [`Graph::apply`](crate::Graph::apply), a tuple of vars whose
//! shapes give the op's [`Inputs`].

use nalgebra::SMatrix;

use crate::contract::Inputs;
use crate::contract::inputs::layout;
use crate::graph::{Graph, Var};
use crate::kernels::Real;

/// A tuple of [`Var`]s from one graph, the inputs of [`Graph::apply`](crate::Graph::apply).
///
/// `(Var<'g, T, R, C>,)`, `(Var<..>, Var<..>)` and three-`Var` tuples; each maps to the
/// [`Inputs`] tuple of the same shapes.
pub trait VarTuple<'g, T: Real>: Copy + vars::Nodes<'g, T> {
    /// The matching tuple of matrices.
    type Values: Inputs<T> + layout::Layout<T>;
}

pub(crate) mod vars {
    use crate::graph::Graph;
    use crate::kernels::Real;

    /// The graph nodes behind a tuple of vars (sealed).
    pub trait Nodes<'g, T: Real> {
        /// The node ids, in order, and how many there are (at most 3).
        fn ids(&self) -> ([usize; 3], usize);
        /// Panics, naming the first input of another graph, unless every input belongs to
        /// `graph`.
        #[track_caller]
        fn assert_graph(&self, graph: &Graph<T>, op: &str);
    }
}

#[track_caller]
fn assert_same<T: Real, const R: usize, const C: usize>(
    var: &Var<'_, T, R, C>,
    graph: &Graph<T>,
    op: &str,
) {
    if !std::ptr::eq(var.graph(), graph) {
        panic!(
            "shapegrad: `{op}` was given {}, which belongs to another graph; every input of an op \
             must come from the graph the op is recorded on",
            var.label()
        );
    }
}

impl<'g, T: Real, const R: usize, const C: usize> VarTuple<'g, T> for (Var<'g, T, R, C>,) {
    type Values = (SMatrix<T, R, C>,);
}

impl<'g, T: Real, const R: usize, const C: usize> vars::Nodes<'g, T> for (Var<'g, T, R, C>,) {
    fn ids(&self) -> ([usize; 3], usize) {
        ([self.0.id(), 0, 0], 1)
    }
    #[track_caller]
    fn assert_graph(&self, graph: &Graph<T>, op: &str) {
        assert_same(&self.0, graph, op);
    }
}

impl<'g, T: Real, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    VarTuple<'g, T> for (Var<'g, T, R1, C1>, Var<'g, T, R2, C2>)
{
    type Values = (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>);
}

impl<'g, T: Real, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    vars::Nodes<'g, T> for (Var<'g, T, R1, C1>, Var<'g, T, R2, C2>)
{
    fn ids(&self) -> ([usize; 3], usize) {
        ([self.0.id(), self.1.id(), 0], 2)
    }
    #[track_caller]
    fn assert_graph(&self, graph: &Graph<T>, op: &str) {
        assert_same(&self.0, graph, op);
        assert_same(&self.1, graph, op);
    }
}

impl<
    'g,
    T: Real,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
    const R3: usize,
    const C3: usize,
> VarTuple<'g, T> for (Var<'g, T, R1, C1>, Var<'g, T, R2, C2>, Var<'g, T, R3, C3>)
{
    type Values = (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>, SMatrix<T, R3, C3>);
}

impl<
    'g,
    T: Real,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
    const R3: usize,
    const C3: usize,
> vars::Nodes<'g, T> for (Var<'g, T, R1, C1>, Var<'g, T, R2, C2>, Var<'g, T, R3, C3>)
{
    fn ids(&self) -> ([usize; 3], usize) {
        ([self.0.id(), self.1.id(), self.2.id()], 3)
    }
    #[track_caller]
    fn assert_graph(&self, graph: &Graph<T>, op: &str) {
        assert_same(&self.0, graph, op);
        assert_same(&self.1, graph, op);
        assert_same(&self.2, graph, op);
    }
}
