//! The rules of the flat results, checked when the code is built: a matrix input of R×C
//! entries takes N = R·C directions, and a matrix output of RO×CO entries gives M = RO·CO
//! Jacobian rows. Stable Rust cannot compute R·C in a type, so N and M are declared by the
//! caller (the result's type) and checked here; the public entry points evaluate the check
//! themselves, so the compiler's note points at the caller's line. The messages lead with the
//! numbers.

use crate::contract::shape::{Message, fail};

/// The rule of a flat Hessian: N directions, one per entry of the R×C input, N = R·C.
pub(super) struct Directions<const N: usize, const R: usize, const C: usize>;

impl<const N: usize, const R: usize, const C: usize> Directions<N, R, C> {
    pub(super) const ASSERT: () = if N != R * C {
        fail(Self::message())
    };

    const fn message() -> Message {
        Message::new("second_order: a ")
            .shape(R, C)
            .text(" input has ")
            .number(R * C)
            .text(" entries, so its flat Hessian is ")
            .shape(R * C, R * C)
            .text(", not ")
            .shape(N, N)
            .text(" (N = R·C)")
    }
}

/// The rule of a flat Jacobian of an RO×CO output with respect to an R×C input: M×N with
/// M = RO·CO rows and N = R·C columns.
pub(super) struct FlatJacobian<
    const M: usize,
    const N: usize,
    const R: usize,
    const C: usize,
    const RO: usize,
    const CO: usize,
>;

impl<
    const M: usize,
    const N: usize,
    const R: usize,
    const C: usize,
    const RO: usize,
    const CO: usize,
> FlatJacobian<M, N, R, C, RO, CO>
{
    pub(super) const ASSERT: () = if M != RO * CO || N != R * C {
        fail(Self::message())
    };

    const fn message() -> Message {
        Message::new("second_order: the flat Jacobian of a ")
            .shape(RO, CO)
            .text(" value of a ")
            .shape(R, C)
            .text(" input is ")
            .shape(RO * CO, R * C)
            .text(", not ")
            .shape(M, N)
            .text(" (M = RO·CO, N = R·C)")
    }
}
