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
pub(crate) const NO_GRAD: u32 = u32::MAX;

pub(crate) mod layout {
    use crate::contract::Inputs;
    use crate::kernels::Real;

    /// Where a graph keeps an op's inputs: each input's matrix at an offset of one flat buffer
    /// of values, and its gradient as a piece of one flat buffer of gradients that the graph
    /// cuts out. Sealed.
    pub trait Layout<T: Real>: Inputs<T> {
        /// The number of inputs.
        const ARITY: usize;
        /// The number of entries of each input (the first [`Layout::ARITY`]; 0 after).
        const LENS: [usize; 3];

        /// The inputs, read from `values` at `offsets` (the first [`Layout::ARITY`]).
        fn refs<'a>(offsets: &[u32; 3], values: &'a [T]) -> Self::Refs<'a>;

        /// The gradient slots over `pieces` (one per input, `None`: the input needs no
        /// gradient; each piece at least as long as its input), with `written[k]` saying
        /// whether piece `k` holds a contribution of this pass already.
        fn slots<'a>(
            pieces: [Option<&'a mut [T]>; 3],
            written: &'a mut [bool; 3],
        ) -> Self::GradsMut<'a>;
    }
}

/// A gradient slot over `piece`, if there is one.
#[inline(always)]
fn slot<'a, T: Real, const R: usize, const C: usize>(
    piece: Option<&'a mut [T]>,
    written: &'a mut bool,
) -> Option<GradSlot<'a, T, R, C>> {
    piece.map(|piece| GradSlot::new(crate::contract::layout::matrix_mut(piece), written))
}

#[inline(always)]
fn matrix<T: Real, const R: usize, const C: usize>(values: &[T], offset: u32) -> &SMatrix<T, R, C> {
    crate::contract::layout::matrix(&values[offset as usize..])
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
    const ARITY: usize = 1;
    const LENS: [usize; 3] = [R * C, 0, 0];

    #[inline(always)]
    fn refs<'a>(offsets: &[u32; 3], values: &'a [T]) -> Self::Refs<'a> {
        (matrix(values, offsets[0]),)
    }
    #[inline(always)]
    fn slots<'a>(
        [p0, _, _]: [Option<&'a mut [T]>; 3],
        [w0, _, _]: &'a mut [bool; 3],
    ) -> Self::GradsMut<'a> {
        (slot(p0, w0),)
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
    const ARITY: usize = 2;
    const LENS: [usize; 3] = [R1 * C1, R2 * C2, 0];

    #[inline(always)]
    fn refs<'a>(offsets: &[u32; 3], values: &'a [T]) -> Self::Refs<'a> {
        (matrix(values, offsets[0]), matrix(values, offsets[1]))
    }
    #[inline(always)]
    fn slots<'a>(
        [p0, p1, _]: [Option<&'a mut [T]>; 3],
        [w0, w1, _]: &'a mut [bool; 3],
    ) -> Self::GradsMut<'a> {
        (slot(p0, w0), slot(p1, w1))
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
    const ARITY: usize = 3;
    const LENS: [usize; 3] = [R1 * C1, R2 * C2, R3 * C3];

    #[inline(always)]
    fn refs<'a>(offsets: &[u32; 3], values: &'a [T]) -> Self::Refs<'a> {
        (
            matrix(values, offsets[0]),
            matrix(values, offsets[1]),
            matrix(values, offsets[2]),
        )
    }
    #[inline(always)]
    fn slots<'a>(
        [p0, p1, p2]: [Option<&'a mut [T]>; 3],
        [w0, w1, w2]: &'a mut [bool; 3],
    ) -> Self::GradsMut<'a> {
        (slot(p0, w0), slot(p1, w1), slot(p2, w2))
    }
}
