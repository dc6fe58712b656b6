//! Dimension arithmetic for the shape-changing ops: how an op's output shape is computed from its
//! input shapes, and the limits of each way of doing it.
//!
//! Rust's stable const generics cannot compute a type from an expression: `SMatrix<T, {A + B}, C>`
//! needs the nightly feature `generic_const_exprs`. shapegrad therefore uses one of three
//! mechanisms per op, and each op's doc says which:
//!
//! 1. **Typed equality.** The rule is that two dimensions are the same parameter, e.g. `vstack`
//!    takes `(A×C)` and `(B×C)` with one `C`. Works for every size, fails in `cargo check` (and so
//!    in editors) with rustc's own "expected `3`, found `2`".
//! 2. **Computed output ([`Plus`]).** The output dimension is `A + B`, computed by the compiler
//!    the way nalgebra's `DimAdd`/`DimSum` do it: convert `Const<A>` and `Const<B>` to typenum
//!    numbers (`ToTypenum`), add them, convert back (`ToConst`). The result is inferred (no annotation needed) and checked in `cargo check`.
//!    Limit: nalgebra's tables between `Const<N>` and typenum stop at 127, so `A`, `B` and
//!    `A + B` must all be at most 127. Beyond that the bound `Const<A>: Plus<B>` does not hold,
//!    and the compiler says so with the message of [`Plus`] rather than typenum's bit lists.
//!    Used by `vstack` and `hstack` ([`Vstack`](crate::ops::Vstack),
//!    [`Hstack`](crate::ops::Hstack)); past 127, `vstack_to::<S, _>` and `hstack_to::<S, _>` take the
//!    declared path below instead.
//! 3. **Declared output + const assertion.** The caller names the output shape (a turbofish such
//!    as `reshape::<3, 2>()`, or a type annotation `let y: Var<'_, f64, 144, 1> = x.flatten()`),
//!    and a const assertion checks it against the input shape. Works for every size (flatten
//!    of a 28×28 image to 784×1) and the message leads with the numbers
//!    (`reshape 2×3 → 4×2: 6 entries in, 8 out`), but it fires at monomorphization:
//!    `cargo build` and `cargo test` report it, `cargo check` and editors do not. The
//!    assertion is an associated const of a small generic struct (e.g.
//!    `SameElementCount::<2, 3, 4, 2>::ASSERT`), whose message is assembled at compile time
//!    with the numbers in it; both the sugar method and `forward` evaluate it, so the error is
//!    reported once, points at the rule's line in shapegrad, and its last note points at the
//!    caller's line. Used by [`Reshape`](crate::ops::Reshape) (and `flatten`),
//!    [`FixedView`](crate::ops::FixedView), stacking past 127 (`vstack_to`, `hstack_to`; the
//!    ops themselves check `A + B = S` this way, so they work at any size), flattened
//!    Jacobians and Hessians, and the empty-input rules of the reductions (`mean` of a 3×0
//!    matrix, `rowwise_max` of rows with no entries).
//!
//! Why not compute `R·C` for `flatten` like `A + B`? Because products pass 127 at once (12×12,
//! 28×28), and past the table the computed output cannot be named at all; a declared output
//! costs one type annotation and has no limit. Why not declare the output of `vstack` too?
//! Because the computed sum is inferred and its mistakes show in `cargo check`, with rustc's
//! "expected `6`, found `5`"; for more than 127 rows or columns, `vstack_to::<S, _>` declares it.
//!
//! Row and column selection ([`Row`](crate::ops::Row), [`Column`](crate::ops::Column)) take a
//! runtime index, like nalgebra's `row(i)`: their output shape (1×C, R×1) needs no arithmetic,
//! and an index out of range panics when the op is applied.
//!
//! typenum appears only here, in the where-clause of `Plus`'s one impl: no public signature of
//! shapegrad names a typenum type, and users write no bounds for concrete sizes. Generic code
//! that stacks matrices of generic sizes repeats the bound `Const<A>: Plus<B, Output = Const<S>>`.
//!
//! ```
//! use nalgebra::{Const, SMatrix};
//! use shapegrad::{Graph, Var, shape::Plus};
//!
//! // A generic helper that stacks a matrix on itself: S = R + R, computed by the compiler.
//! fn twice<'g, const R: usize, const S: usize>(x: Var<'g, f64, R, 2>) -> Var<'g, f64, S, 2>
//! where
//!     Const<R>: Plus<R, Output = Const<S>>,
//! {
//!     x.vstack(x)
//! }
//!
//! let g = Graph::<f64>::new();
//! let x = g.var(SMatrix::<f64, 3, 2>::repeat(1.0));
//! let y = twice(x); // 6×2, inferred
//! assert_eq!(y.value(), SMatrix::<f64, 6, 2>::repeat(1.0));
//! ```

mod message;

pub(crate) use message::{Message, fail};

use nalgebra::{Const, ToConst, ToTypenum};
use std::ops::Add;

/// `A + B` computed by the compiler: `Const<A>: Plus<B, Output = Const<S>>` holds exactly when
/// `S = A + B` and `A`, `B`, `S` are all at most 127 (see the [module doc](self)).
///
/// You never implement it; it is implemented for every `Const<A>` where the sum is known.
///
/// ```
/// use nalgebra::Const;
/// use shapegrad::shape::Plus;
///
/// let five: <Const<2> as Plus<3>>::Output = Const::<5>;
/// # let _ = five;
/// ```
///
/// A sum past 127 is rejected with this trait's message:
///
/// ```compile_fail
/// use nalgebra::Const;
/// use shapegrad::shape::Plus;
///
/// let too_big: <Const<100> as Plus<50>>::Output = Const::<150>;
/// ```
#[diagnostic::on_unimplemented(
    message = "shapegrad cannot compute {Self} + {B} here: computed sums stop at 127, and generic code needs the bound `Const<A>: Plus<B, Output = Const<S>>`",
    label = "the sum of these dimensions is computed through nalgebra's typenum tables, which end at 127",
    note = "in generic code, add `where Const<A>: Plus<B, Output = Const<S>>` (A, B and S your parameters); past 127, declare the size, checked when built: `a.vstack_to::<S, _>(b)` / `a.hstack_to::<S, _>(b)`; see the module doc of `shapegrad::shape`"
)]
pub trait Plus<const B: usize>: crate::contract::sealed::Sealed {
    /// `Const<A + B>`.
    type Output;
}

impl<const N: usize> crate::contract::sealed::Sealed for Const<N> {}

// The same bounds as nalgebra's `impl DimAdd<Const<B>> for Const<A>`, written out rather than
// delegated to `DimAdd`: when the sum is past the table, `do_not_recommend` here makes rustc
// report `Const<A>: Plus<B>` with the message above, where a `DimAdd` bound made it descend
// into nalgebra's impl and print `UInt<UInt<…>>: ToConst` (typenum's bit lists).
#[diagnostic::do_not_recommend]
impl<const A: usize, const B: usize> Plus<B> for Const<A>
where
    Const<A>: ToTypenum,
    Const<B>: ToTypenum,
    <Const<A> as ToTypenum>::Typenum: Add<<Const<B> as ToTypenum>::Typenum>,
    typenum::Sum<<Const<A> as ToTypenum>::Typenum, <Const<B> as ToTypenum>::Typenum>: ToConst,
{
    type Output = <typenum::Sum<<Const<A> as ToTypenum>::Typenum, <Const<B> as ToTypenum>::Typenum> as ToConst>::Const;
}

/// The rule `A + B = S` of stacking with a declared output size (`vstack_to`, `hstack_to`, and
/// the stacking ops themselves), evaluated when the code is built; the message leads with the
/// numbers: `100 + 50 = 150, not the declared 149`.
pub(crate) struct SumIs<const A: usize, const B: usize, const S: usize>;

impl<const A: usize, const B: usize, const S: usize> SumIs<A, B, S> {
    pub(crate) const ASSERT: () = if A + B != S {
        fail(Self::message())
    };

    const fn message() -> Message {
        Message::new("stacking ")
            .number(A)
            .text(" and ")
            .number(B)
            .text(": ")
            .number(A)
            .text(" + ")
            .number(B)
            .text(" = ")
            .number(A + B)
            .text(", not the declared ")
            .number(S)
            .text(" (vstack_to/hstack_to::<S> need S = A + B)")
    }
}

/// The rule of the row-wise maximum and everything built on it (`rowwise_max`, `softmax`,
/// `log_softmax`, the softmax cross-entropies): every row has an entry, C ≥ 1. Evaluated when
/// the code is built, by the sugar methods (so the note points at the caller's line) and by
/// the kernels.
pub(crate) struct RowsHaveEntries<const R: usize, const C: usize>;

impl<const R: usize, const C: usize> RowsHaveEntries<R, C> {
    pub(crate) const ASSERT: () = if C == 0 {
        fail(Self::message())
    };

    const fn message() -> Message {
        Message::new("a ").shape(R, C).text(
            " matrix has rows of 0 entries, which have no maximum: rowwise_max, softmax, \
             log_softmax and the softmax cross-entropies need C ≥ 1 columns",
        )
    }
}

/// The rule of the means over all entries (`mean`, `mse`): R·C ≥ 1. Evaluated when the code is
/// built, by the sugar methods too, so the note points at the caller's line.
pub(crate) struct EntriesToAverage<const R: usize, const C: usize>;

impl<const R: usize, const C: usize> EntriesToAverage<R, C> {
    pub(crate) const ASSERT: () = if R * C == 0 {
        fail(Self::message())
    };

    const fn message() -> Message {
        Message::new("a ")
            .shape(R, C)
            .text(" matrix has 0 entries, which have no mean: mean and mse need R·C ≥ 1")
    }
}
