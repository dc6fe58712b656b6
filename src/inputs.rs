//! The inputs of an op: a tuple of matrices, so that an op's arity is part of its type.
//!
//! An op with inputs `(SMatrix<T, R, K>, SMatrix<T, K, C>)` receives them in `forward` as
//! [`Inputs::Refs`] `(&SMatrix<T, R, K>, &SMatrix<T, K, C>)`, and its `backward` returns the
//! tuple type itself: one gradient per input, each of its input's shape. Tuples of one, two and
//! three matrices are inputs; [`VarTuple`] is the matching tuple of graph handles that
//! [`Graph::apply`](crate::Graph::apply) takes.

use nalgebra::SMatrix;

use crate::gradients::GradBuffer;
use crate::value::{downcast, downcast_mut};
use crate::{GradSlot, Graph, Real, Value, Var};

/// The tape's value slots, in node order.
#[doc(hidden)]
pub type Slots<T> = [Box<dyn Value<T>>];

/// The tape's gradient buffers, in node order: `None` for a node that needs no gradient.
#[doc(hidden)]
pub type GradSlots<T> = [Option<GradBuffer<T>>];

/// A tuple of matrices that an [`Op`](crate::Op) takes as inputs, and returns as their
/// gradients.
///
/// Implemented for `(SMatrix<T, R, C>,)`, `(SMatrix<T, R1, C1>, SMatrix<T, R2, C2>)` and
/// three-matrix tuples; sealed.
///
/// ```
/// use nalgebra::SMatrix;
/// use shapegrad::Inputs;
///
/// type MatMulInputs = (SMatrix<f64, 2, 3>, SMatrix<f64, 3, 4>);
/// let a = SMatrix::<f64, 2, 3>::repeat(1.0);
/// let b = SMatrix::<f64, 3, 4>::repeat(2.0);
/// let refs: <MatMulInputs as Inputs<f64>>::Refs<'_> = (&a, &b);
/// assert_eq!(refs.0 * refs.1, SMatrix::<f64, 2, 4>::repeat(6.0));
/// ```
pub trait Inputs<T: Real>: Sized + 'static + crate::sealed::Sealed {
    /// The inputs as `forward` and `backward` see them: a tuple of references,
    /// e.g. `(&SMatrix<T, R, K>, &SMatrix<T, K, C>)`.
    type Refs<'a>: Copy;
    /// Where [`Op::backward_into`](crate::Op::backward_into) writes the input gradients:
    /// a tuple of `Option<`[`GradSlot`]`<'a, T, R, C>>`, `None` where the input needs no
    /// gradient (a constant, or a value computed from constants only).
    type GradsMut<'a>;
    /// The inputs' node ids, `[usize; N]`.
    #[doc(hidden)]
    type Ids: Copy + AsRef<[usize]> + 'static;

    /// Adds each gradient in `grads` to its slot in `into` ([`GradSlot::add`]), skipping the
    /// `None`s.
    ///
    /// ```
    /// use nalgebra::SMatrix;
    /// use shapegrad::{GradSlot, Inputs};
    ///
    /// let (mut d_a, mut written) = (SMatrix::<f64, 1, 2>::repeat(1.0), true);
    /// let grads = (SMatrix::<f64, 1, 2>::repeat(2.0), SMatrix::<f64, 2, 1>::repeat(5.0));
    /// let slots = (Some(GradSlot::new(&mut d_a, &mut written)), None);
    /// <(SMatrix<f64, 1, 2>, SMatrix<f64, 2, 1>)>::accumulate(grads, slots);
    /// assert_eq!(d_a, SMatrix::<f64, 1, 2>::repeat(3.0));
    /// ```
    fn accumulate(grads: Self, into: Self::GradsMut<'_>);

    /// Typed references to the input values.
    #[doc(hidden)]
    fn refs<'a>(ids: &Self::Ids, values: &'a Slots<T>) -> Self::Refs<'a>;

    /// Typed, disjoint mutable references to the input gradients; `None` when two inputs are
    /// the same node (then the caller adds one gradient at a time, [`Inputs::accumulate_each`]).
    #[doc(hidden)]
    fn grads_mut<'a>(ids: &Self::Ids, grads: &'a mut GradSlots<T>) -> Option<Self::GradsMut<'a>>;

    /// Adds each gradient to its input's slot in turn; correct when inputs repeat.
    #[doc(hidden)]
    fn accumulate_each(grads: Self, ids: &Self::Ids, slots: &mut GradSlots<T>);
}

/// A tuple of [`Var`]s from one graph, the inputs of [`Graph::apply`](crate::Graph::apply).
///
/// `(Var<'g, T, R, C>,)`, `(Var<..>, Var<..>)` and three-`Var` tuples; each maps to the
/// [`Inputs`] tuple of the same shapes.
pub trait VarTuple<'g, T: Real>: Copy + crate::sealed::Sealed {
    /// The matching tuple of matrices.
    type Values: Inputs<T>;
    /// The graph of the inputs (they must all share one) and their node ids.
    #[doc(hidden)]
    fn graph_and_ids(self) -> (&'g Graph<T>, <Self::Values as Inputs<T>>::Ids);
}

fn add_into<T: Real, const R: usize, const C: usize>(
    slot: &mut Option<GradBuffer<T>>,
    grad: &SMatrix<T, R, C>,
) {
    add_some(slot_mut(slot), grad);
}

#[inline(always)]
fn slot_mut<T: Real, const R: usize, const C: usize>(
    slot: &mut Option<GradBuffer<T>>,
) -> Option<GradSlot<'_, T, R, C>> {
    let buffer = slot.as_mut()?;
    Some(GradSlot::new(
        downcast_mut::<T, SMatrix<T, R, C>>(&mut *buffer.value),
        &mut buffer.written,
    ))
}

fn add_some<T: Real, const R: usize, const C: usize>(
    slot: Option<GradSlot<'_, T, R, C>>,
    grad: &SMatrix<T, R, C>,
) {
    if let Some(slot) = slot {
        slot.add(grad);
    }
}

#[inline(always)]
fn value_ref<T: Real, const R: usize, const C: usize>(
    values: &Slots<T>,
    id: usize,
) -> &SMatrix<T, R, C> {
    downcast::<T, SMatrix<T, R, C>>(&*values[id])
}

fn same_graph<'g, T: Real>(a: &'g Graph<T>, b: &Graph<T>) -> &'g Graph<T> {
    assert!(
        std::ptr::eq(a, b),
        "shapegrad: an op was given Vars from two different Graphs; \
         all inputs of an op must come from the same Graph"
    );
    a
}

// ---- one input ----

impl<T: Real, const R: usize, const C: usize> crate::sealed::Sealed for (SMatrix<T, R, C>,) {}

impl<T: Real, const R: usize, const C: usize> Inputs<T> for (SMatrix<T, R, C>,) {
    type Refs<'a> = (&'a SMatrix<T, R, C>,);
    type GradsMut<'a> = (Option<GradSlot<'a, T, R, C>>,);
    type Ids = [usize; 1];

    fn accumulate(grads: Self, into: Self::GradsMut<'_>) {
        add_some(into.0, &grads.0);
    }
    #[inline(always)]
    fn refs<'a>(ids: &[usize; 1], values: &'a Slots<T>) -> Self::Refs<'a> {
        (value_ref(values, ids[0]),)
    }
    #[inline(always)]
    fn grads_mut<'a>(ids: &[usize; 1], grads: &'a mut GradSlots<T>) -> Option<Self::GradsMut<'a>> {
        Some((slot_mut(&mut grads[ids[0]]),))
    }
    fn accumulate_each(grads: Self, ids: &[usize; 1], slots: &mut GradSlots<T>) {
        add_into(&mut slots[ids[0]], &grads.0);
    }
}

impl<T: Real, const R: usize, const C: usize> crate::sealed::Sealed for (Var<'_, T, R, C>,) {}

impl<'g, T: Real, const R: usize, const C: usize> VarTuple<'g, T> for (Var<'g, T, R, C>,) {
    type Values = (SMatrix<T, R, C>,);
    fn graph_and_ids(self) -> (&'g Graph<T>, [usize; 1]) {
        (self.0.graph(), [self.0.id()])
    }
}

// ---- two inputs ----

impl<T: Real, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    crate::sealed::Sealed for (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>)
{
}

impl<T: Real, const R1: usize, const C1: usize, const R2: usize, const C2: usize> Inputs<T>
    for (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>)
{
    type Refs<'a> = (&'a SMatrix<T, R1, C1>, &'a SMatrix<T, R2, C2>);
    type GradsMut<'a> = (
        Option<GradSlot<'a, T, R1, C1>>,
        Option<GradSlot<'a, T, R2, C2>>,
    );
    type Ids = [usize; 2];

    fn accumulate(grads: Self, into: Self::GradsMut<'_>) {
        add_some(into.0, &grads.0);
        add_some(into.1, &grads.1);
    }
    #[inline(always)]
    fn refs<'a>(ids: &[usize; 2], values: &'a Slots<T>) -> Self::Refs<'a> {
        (value_ref(values, ids[0]), value_ref(values, ids[1]))
    }
    #[inline(always)]
    fn grads_mut<'a>(ids: &[usize; 2], grads: &'a mut GradSlots<T>) -> Option<Self::GradsMut<'a>> {
        let [a, b] = grads.get_disjoint_mut(*ids).ok()?;
        Some((slot_mut(a), slot_mut(b)))
    }
    fn accumulate_each(grads: Self, ids: &[usize; 2], slots: &mut GradSlots<T>) {
        add_into(&mut slots[ids[0]], &grads.0);
        add_into(&mut slots[ids[1]], &grads.1);
    }
}

impl<T: Real, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    crate::sealed::Sealed for (Var<'_, T, R1, C1>, Var<'_, T, R2, C2>)
{
}

impl<'g, T: Real, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    VarTuple<'g, T> for (Var<'g, T, R1, C1>, Var<'g, T, R2, C2>)
{
    type Values = (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>);
    fn graph_and_ids(self) -> (&'g Graph<T>, [usize; 2]) {
        let graph = same_graph(self.0.graph(), self.1.graph());
        (graph, [self.0.id(), self.1.id()])
    }
}

// ---- three inputs ----

impl<
    T: Real,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
    const R3: usize,
    const C3: usize,
> crate::sealed::Sealed for (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>, SMatrix<T, R3, C3>)
{
}

impl<
    T: Real,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
    const R3: usize,
    const C3: usize,
> Inputs<T> for (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>, SMatrix<T, R3, C3>)
{
    type Refs<'a> = (
        &'a SMatrix<T, R1, C1>,
        &'a SMatrix<T, R2, C2>,
        &'a SMatrix<T, R3, C3>,
    );
    type GradsMut<'a> = (
        Option<GradSlot<'a, T, R1, C1>>,
        Option<GradSlot<'a, T, R2, C2>>,
        Option<GradSlot<'a, T, R3, C3>>,
    );
    type Ids = [usize; 3];

    fn accumulate(grads: Self, into: Self::GradsMut<'_>) {
        add_some(into.0, &grads.0);
        add_some(into.1, &grads.1);
        add_some(into.2, &grads.2);
    }
    #[inline(always)]
    fn refs<'a>(ids: &[usize; 3], values: &'a Slots<T>) -> Self::Refs<'a> {
        (
            value_ref(values, ids[0]),
            value_ref(values, ids[1]),
            value_ref(values, ids[2]),
        )
    }
    #[inline(always)]
    fn grads_mut<'a>(ids: &[usize; 3], grads: &'a mut GradSlots<T>) -> Option<Self::GradsMut<'a>> {
        let [a, b, c] = grads.get_disjoint_mut(*ids).ok()?;
        Some((slot_mut(a), slot_mut(b), slot_mut(c)))
    }
    fn accumulate_each(grads: Self, ids: &[usize; 3], slots: &mut GradSlots<T>) {
        add_into(&mut slots[ids[0]], &grads.0);
        add_into(&mut slots[ids[1]], &grads.1);
        add_into(&mut slots[ids[2]], &grads.2);
    }
}

impl<
    T: Real,
    const R1: usize,
    const C1: usize,
    const R2: usize,
    const C2: usize,
    const R3: usize,
    const C3: usize,
> crate::sealed::Sealed for (Var<'_, T, R1, C1>, Var<'_, T, R2, C2>, Var<'_, T, R3, C3>)
{
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
    fn graph_and_ids(self) -> (&'g Graph<T>, [usize; 3]) {
        let graph = same_graph(self.0.graph(), self.1.graph());
        let graph = same_graph(graph, self.2.graph());
        (graph, [self.0.id(), self.1.id(), self.2.id()])
    }
}
