//! The inputs of an op: a tuple of matrices, so that an op's arity is part of its type.
//!
//! An op with inputs `(SMatrix<T, R, K>, SMatrix<T, K, C>)` receives them in `forward` as
//! [`Inputs::Refs`] `(&SMatrix<T, R, K>, &SMatrix<T, K, C>)`, and its `backward` returns the
//! tuple type itself: one gradient per input, each of its input's shape. Tuples of one, two and
//! three matrices are inputs; [`VarTuple`](crate::VarTuple) is the matching tuple of graph
//! handles that [`Graph::apply`](crate::Graph::apply) takes.
//!
//! How a graph finds the inputs in its flat buffers is the sealed supertrait `Layout`: plain
//! slices and offsets, so this contract does not depend on the graph's internals.

use nalgebra::SMatrix;

use crate::contract::GradSlot;
use crate::kernels::Real;

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
pub trait Inputs<T: Real>: Sized + Send + 'static + crate::contract::sealed::Sealed {
    /// The inputs as `forward` and `backward` see them: a tuple of references,
    /// e.g. `(&SMatrix<T, R, K>, &SMatrix<T, K, C>)`.
    type Refs<'a>: Copy;
    /// Where [`Op::backward_into`](crate::Op::backward_into) writes the input gradients:
    /// a tuple of `Option<`[`GradSlot`]`<'a, T, R, C>>`, `None` where the input needs no
    /// gradient (a constant, or a value computed from constants only).
    type GradsMut<'a>;

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
}

/// No input's gradient is wanted: the offset a graph gives for it.
pub(crate) const NO_GRAD: usize = usize::MAX;

pub(crate) mod layout {
    use crate::contract::Inputs;
    use crate::kernels::Real;

    /// Where a graph keeps an op's inputs: each input's matrix at an offset of one flat buffer
    /// of values, its gradient at an offset of one flat buffer of gradients, and whether that
    /// gradient holds a contribution of the current pass in a flag per node. Sealed.
    pub trait Layout<T: Real>: Inputs<T> {
        /// `[usize; N]`: one entry per input (a node id, or an offset).
        type Ids: Copy + Default + AsRef<[usize]> + AsMut<[usize]> + Send + 'static;

        /// Each input's number of entries, R·C.
        const LENS: Self::Ids;

        /// The inputs, read from `values` at `offsets` (one per input).
        fn refs<'a>(offsets: &Self::Ids, values: &'a [T]) -> Self::Refs<'a>;

        /// The gradient slots of nodes `ids`, at `offsets` of `grads` ([`super::NO_GRAD`]: the
        /// input needs none); a node's gradient holds a contribution of pass `pass` if its
        /// entry in `stamps` is `pass`. `None` if two inputs are the same node (their slots
        /// would alias).
        fn slots<'a>(
            ids: &Self::Ids,
            offsets: &Self::Ids,
            grads: &'a mut [T],
            stamps: &'a mut [u32],
            pass: u32,
        ) -> Option<Self::GradsMut<'a>>;

        /// Adds each gradient to its input's slot in turn: correct when inputs repeat.
        fn accumulate_each(
            gradients: Self,
            ids: &Self::Ids,
            offsets: &Self::Ids,
            grads: &mut [T],
            stamps: &mut [u32],
            pass: u32,
        );
    }
}

/// One input's gradient slot, if it wants one.
#[inline(always)]
fn slot<'a, T: Real, const R: usize, const C: usize>(
    offset: usize,
    grads: &'a mut [T],
    stamp: &'a mut u32,
    pass: u32,
) -> Option<GradSlot<'a, T, R, C>> {
    (offset != NO_GRAD)
        .then(|| GradSlot::stamped(crate::contract::layout::matrix_mut(grads), stamp, pass))
}

/// The range of an input's gradient, or an empty one (which overlaps nothing).
#[inline(always)]
fn range(offset: usize, len: usize) -> std::ops::Range<usize> {
    if offset == NO_GRAD {
        0..0
    } else {
        offset..offset + len
    }
}

#[inline(always)]
fn matrix<T: Real, const R: usize, const C: usize>(
    values: &[T],
    offset: usize,
) -> &SMatrix<T, R, C> {
    crate::contract::layout::matrix(&values[offset..])
}

fn add_at<T: Real, const R: usize, const C: usize>(
    offset: usize,
    grads: &mut [T],
    (stamp, pass): (&mut u32, u32),
    grad: &SMatrix<T, R, C>,
) {
    let start = offset.min(grads.len());
    if let Some(slot) = slot::<T, R, C>(offset, &mut grads[start..], stamp, pass) {
        slot.add(grad);
    }
}

fn add_some<T: Real, const R: usize, const C: usize>(
    slot: Option<GradSlot<'_, T, R, C>>,
    grad: &SMatrix<T, R, C>,
) {
    if let Some(slot) = slot {
        slot.add(grad);
    }
}

// ---- one input ----

impl<T: Real, const R: usize, const C: usize> crate::contract::sealed::Sealed
    for (SMatrix<T, R, C>,)
{
}

impl<T: Real, const R: usize, const C: usize> Inputs<T> for (SMatrix<T, R, C>,) {
    type Refs<'a> = (&'a SMatrix<T, R, C>,);
    type GradsMut<'a> = (Option<GradSlot<'a, T, R, C>>,);

    fn accumulate(grads: Self, into: Self::GradsMut<'_>) {
        add_some(into.0, &grads.0);
    }
}

impl<T: Real, const R: usize, const C: usize> layout::Layout<T> for (SMatrix<T, R, C>,) {
    type Ids = [usize; 1];
    const LENS: [usize; 1] = [R * C];

    #[inline(always)]
    fn refs<'a>(offsets: &[usize; 1], values: &'a [T]) -> Self::Refs<'a> {
        (matrix(values, offsets[0]),)
    }
    #[inline(always)]
    fn slots<'a>(
        ids: &[usize; 1],
        offsets: &[usize; 1],
        grads: &'a mut [T],
        stamps: &'a mut [u32],
        pass: u32,
    ) -> Option<Self::GradsMut<'a>> {
        let start = offsets[0].min(grads.len());
        Some((slot(
            offsets[0],
            &mut grads[start..],
            &mut stamps[ids[0]],
            pass,
        ),))
    }
    fn accumulate_each(
        gradients: Self,
        ids: &[usize; 1],
        offsets: &[usize; 1],
        grads: &mut [T],
        stamps: &mut [u32],
        pass: u32,
    ) {
        add_at(offsets[0], grads, (&mut stamps[ids[0]], pass), &gradients.0);
    }
}

// ---- two inputs ----

impl<T: Real, const R1: usize, const C1: usize, const R2: usize, const C2: usize>
    crate::contract::sealed::Sealed for (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>)
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

    fn accumulate(grads: Self, into: Self::GradsMut<'_>) {
        add_some(into.0, &grads.0);
        add_some(into.1, &grads.1);
    }
}

impl<T: Real, const R1: usize, const C1: usize, const R2: usize, const C2: usize> layout::Layout<T>
    for (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>)
{
    type Ids = [usize; 2];
    const LENS: [usize; 2] = [R1 * C1, R2 * C2];

    #[inline(always)]
    fn refs<'a>(offsets: &[usize; 2], values: &'a [T]) -> Self::Refs<'a> {
        (matrix(values, offsets[0]), matrix(values, offsets[1]))
    }
    #[inline(always)]
    fn slots<'a>(
        ids: &[usize; 2],
        offsets: &[usize; 2],
        grads: &'a mut [T],
        stamps: &'a mut [u32],
        pass: u32,
    ) -> Option<Self::GradsMut<'a>> {
        let [w0, w1] = stamps.get_disjoint_mut(*ids).ok()?;
        let ranges = [range(offsets[0], R1 * C1), range(offsets[1], R2 * C2)];
        let [g0, g1] = grads.get_disjoint_mut(ranges).ok()?;
        Some((
            slot(offsets[0], g0, w0, pass),
            slot(offsets[1], g1, w1, pass),
        ))
    }
    fn accumulate_each(
        gradients: Self,
        ids: &[usize; 2],
        offsets: &[usize; 2],
        grads: &mut [T],
        stamps: &mut [u32],
        pass: u32,
    ) {
        add_at(offsets[0], grads, (&mut stamps[ids[0]], pass), &gradients.0);
        add_at(offsets[1], grads, (&mut stamps[ids[1]], pass), &gradients.1);
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
> crate::contract::sealed::Sealed for (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>, SMatrix<T, R3, C3>)
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

    fn accumulate(grads: Self, into: Self::GradsMut<'_>) {
        add_some(into.0, &grads.0);
        add_some(into.1, &grads.1);
        add_some(into.2, &grads.2);
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
> layout::Layout<T> for (SMatrix<T, R1, C1>, SMatrix<T, R2, C2>, SMatrix<T, R3, C3>)
{
    type Ids = [usize; 3];
    const LENS: [usize; 3] = [R1 * C1, R2 * C2, R3 * C3];

    #[inline(always)]
    fn refs<'a>(offsets: &[usize; 3], values: &'a [T]) -> Self::Refs<'a> {
        (
            matrix(values, offsets[0]),
            matrix(values, offsets[1]),
            matrix(values, offsets[2]),
        )
    }
    #[inline(always)]
    fn slots<'a>(
        ids: &[usize; 3],
        offsets: &[usize; 3],
        grads: &'a mut [T],
        stamps: &'a mut [u32],
        pass: u32,
    ) -> Option<Self::GradsMut<'a>> {
        let [w0, w1, w2] = stamps.get_disjoint_mut(*ids).ok()?;
        let ranges = [
            range(offsets[0], R1 * C1),
            range(offsets[1], R2 * C2),
            range(offsets[2], R3 * C3),
        ];
        let [g0, g1, g2] = grads.get_disjoint_mut(ranges).ok()?;
        Some((
            slot(offsets[0], g0, w0, pass),
            slot(offsets[1], g1, w1, pass),
            slot(offsets[2], g2, w2, pass),
        ))
    }
    fn accumulate_each(
        gradients: Self,
        ids: &[usize; 3],
        offsets: &[usize; 3],
        grads: &mut [T],
        stamps: &mut [u32],
        pass: u32,
    ) {
        add_at(offsets[0], grads, (&mut stamps[ids[0]], pass), &gradients.0);
        add_at(offsets[1], grads, (&mut stamps[ids[1]], pass), &gradients.1);
        add_at(offsets[2], grads, (&mut stamps[ids[2]], pass), &gradients.2);
    }
}
