//! Vectorised element-wise math for the ops: exp, ln, tanh, sigmoid and softplus over whole
//! matrices.
//!
//! For `f64` and `f32` the functions of [`f64`](self::f64) run over the matrix's slice in one
//! loop that the compiler vectorises; with feature `simd` that loop is compiled for AVX-512,
//! AVX2 and SSE4.1 as well as the baseline target and the best version the CPU has runs
//! (`src/kernels/simd.rs`). The functions use no fused multiply-add, so every version gives
//! the same bits (`tests.rs` compares them). `f32` entries are widened to `f64`, computed
//! there and rounded once, so they are as accurate as `f32` allows. Every other scalar (dual
//! numbers, for instance) takes the `std` path, [`Func::scalar`]; the choice is the kernels'
//! float [`dispatch`], which the compiler resolves per type.
//!
//! Accuracy, measured against `std` by the tests in `tests.rs` over sweeps of every binade
//! and the special values (±0, subnormals, ±∞, NaN), and against correctly rounded values:
//! within 1 ulp of the true value and 2 ulp of `std` (see the bounds in `tests.rs`).

pub(super) mod f64;
#[cfg(test)]
mod tests;

use nalgebra::SMatrix;

use crate::kernels::Real;
use crate::kernels::float::{Float, FloatJob, Same, dispatch};
use crate::kernels::simd::dispatched;

/// The length from which the loops dispatch to the vector extensions the CPU has (below it,
/// a constant for static matrices, they run as compiled for the baseline target and skip
/// the dispatch).
const DISPATCH_MIN: usize = 64;

/// An element-wise function with a vectorised kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    /// eˣ.
    Exp,
    /// ln x.
    Ln,
    /// tanh x.
    Tanh,
    /// σ(x) = 1 / (1 + e⁻ˣ).
    Sigmoid,
    /// ln(1 + eˣ).
    Softplus,
}

impl Func {
    /// The function on any scalar, with `std`'s (or the scalar type's own) exp, ln and tanh:
    /// the path of scalars other than `f32` and `f64`, and the reference of the tests.
    pub(crate) fn scalar<T: Real>(self, x: T) -> T {
        match self {
            Func::Exp => x.exp(),
            Func::Ln => x.ln(),
            Func::Tanh => x.tanh(),
            Func::Sigmoid => logistic(x),
            Func::Softplus => x.max(T::zero()) + (-x.abs()).exp().ln_1p(),
        }
    }
}

/// σ(x) without overflow: the exponential is only ever taken of a non-positive number.
pub(crate) fn logistic<T: Real>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// The kernel of one [`Func`] (`F` is its number, [`Func::id`]). Its `at` is
/// `#[inline(always)]` and called statically, so the vectorised loops inline the whole
/// function (a function item or closure passed as a value may be left as a call, and then
/// run without the loop's vector extensions).
#[derive(Clone, Copy)]
struct Kernel<const F: u8>;

/// A scalar function that the loops of this module apply.
trait At<S>: Copy {
    fn at(self, x: S) -> S;
}

/// The functions of [`f64`](self::f64); an `f32` is widened to `f64` and rounded back once.
impl<const F: u8, S: Float> At<S> for Kernel<F> {
    #[inline(always)]
    fn at(self, x: S) -> S {
        let x = x.widened();
        S::rounded(match F {
            0 => f64::exp(x),
            1 => f64::ln(x),
            2 => f64::tanh(x),
            3 => f64::sigmoid(x),
            _ => f64::softplus(x),
        })
    }
}

impl Func {
    /// The number of the function's [`Kernel`].
    const fn id(self) -> u8 {
        self as u8
    }

    /// Runs `job` with this function's [`Kernel`].
    #[inline(always)]
    fn with_kernel<S: Float>(self, job: Loop<'_, S>) {
        const EXP: u8 = Func::Exp.id();
        const LN: u8 = Func::Ln.id();
        const TANH: u8 = Func::Tanh.id();
        const SIGMOID: u8 = Func::Sigmoid.id();
        const SOFTPLUS: u8 = Func::Softplus.id();
        match self {
            Func::Exp => job.dispatch(Kernel::<EXP>),
            Func::Ln => job.dispatch(Kernel::<LN>),
            Func::Tanh => job.dispatch(Kernel::<TANH>),
            Func::Sigmoid => job.dispatch(Kernel::<SIGMOID>),
            Func::Softplus => job.dispatch(Kernel::<SOFTPLUS>),
        }
    }
}

/// `std`'s function (the scalar path), as an [`At`].
#[derive(Clone, Copy)]
struct Scalar(Func);

impl<T: Real> At<T> for Scalar {
    fn at(self, x: T) -> T {
        self.0.scalar(x)
    }
}

/// One of the module's loops over slices: `map_into`, `apply_in_place` or `scale_into`.
enum Loop<'a, S> {
    /// `out[i] = f(x[i])`: (x, out).
    Map(&'a [S], &'a mut [S]),
    /// `xs[i] = f(xs[i])`.
    Apply(&'a mut [S]),
    /// `out[i] = d[i]·f(x[i])`, or `+=` when `add`: (x, d, out, add).
    Scale(&'a [S], &'a [S], &'a mut [S], bool),
}

impl<S: Real> Loop<'_, S> {
    /// The loop with `f`, as compiled where it is inlined (for the baseline target, or in
    /// one version of [`map`], [`apply`] or [`scale`]).
    #[inline(always)]
    fn run<F: At<S>>(self, f: F) {
        match self {
            Loop::Map(x, out) => {
                for (o, &x) in out.iter_mut().zip(x) {
                    *o = f.at(x);
                }
            }
            Loop::Apply(xs) => xs.iter_mut().for_each(|x| *x = f.at(*x)),
            Loop::Scale(x, d, out, add) => {
                let triples = out.iter_mut().zip(x.iter().zip(d));
                if add {
                    triples.for_each(|(o, (&x, &d))| *o += d * f.at(x));
                } else {
                    triples.for_each(|(o, (&x, &d))| *o = d * f.at(x));
                }
            }
        }
    }

    /// The loop with `f`: from [`DISPATCH_MIN`] entries on through its version compiled for
    /// the CPU's vector extensions ([`map`], [`apply`], [`scale`]), below as compiled here.
    #[inline(always)]
    fn dispatch<F: At<S>>(self, f: F) {
        match self {
            Loop::Map(x, out) if x.len() >= DISPATCH_MIN => map(x, out, f),
            Loop::Apply(xs) if xs.len() >= DISPATCH_MIN => apply(xs, f),
            Loop::Scale(x, d, out, add) if x.len() >= DISPATCH_MIN => scale(x, d, out, add, f),
            short => short.run(f),
        }
    }
}

dispatched! {
    /// `out[i] = f(x[i])`, compiled for each vector extension and chosen at run time.
    fn map<S: Real, F: At<S>>(x: &[S], out: &mut [S], f: F) {
        Loop::Map(x, out).run(f);
    }
}

dispatched! {
    /// `xs[i] = f(xs[i])`, dispatched like [`map`].
    fn apply<S: Real, F: At<S>>(xs: &mut [S], f: F) {
        Loop::Apply(xs).run(f);
    }
}

dispatched! {
    /// `out[i] = d[i]·f(x[i])`, or `+=` when `add`; dispatched like [`map`].
    fn scale<S: Real, F: At<S>>(x: &[S], d: &[S], out: &mut [S], add: bool, f: F) {
        Loop::Scale(x, d, out, add).run(f);
    }
}

/// A [`Loop`] over matrices of any scalar `T`, with its function: for the float
/// [`dispatch`].
struct Job<'a, T, const R: usize, const C: usize>(Func, Matrices<'a, T, R, C>);

/// The matrices of a [`Loop`].
enum Matrices<'a, T, const R: usize, const C: usize> {
    Map(&'a SMatrix<T, R, C>, &'a mut SMatrix<T, R, C>),
    Apply(&'a mut SMatrix<T, R, C>),
    Scale(
        &'a SMatrix<T, R, C>,
        &'a SMatrix<T, R, C>,
        &'a mut SMatrix<T, R, C>,
        bool,
    ),
}

impl<T: Real, const R: usize, const C: usize> FloatJob<T> for Job<'_, T, R, C> {
    type Output = ();

    #[inline(always)]
    fn float<S: Float>(self, same: Same<T, S>) {
        let job = match self.1 {
            Matrices::Map(x, out) => Loop::Map(
                same.matrix(x).as_slice(),
                same.matrix_mut(out).as_mut_slice(),
            ),
            Matrices::Apply(m) => Loop::Apply(same.matrix_mut(m).as_mut_slice()),
            Matrices::Scale(x, d, out, add) => Loop::Scale(
                same.matrix(x).as_slice(),
                same.matrix(d).as_slice(),
                same.matrix_mut(out).as_mut_slice(),
                add,
            ),
        };
        self.0.with_kernel(job);
    }

    #[inline(always)]
    fn other(self) {
        let job = match self.1 {
            Matrices::Map(x, out) => Loop::Map(x.as_slice(), out.as_mut_slice()),
            Matrices::Apply(m) => Loop::Apply(m.as_mut_slice()),
            Matrices::Scale(x, d, out, add) => {
                Loop::Scale(x.as_slice(), d.as_slice(), out.as_mut_slice(), add)
            }
        };
        job.run(Scalar(self.0));
    }
}

/// `out[i] = f(x[i])` for every entry.
///
/// ```text
/// Shape: (R×C) → (R×C)
/// ```
pub(crate) fn map_into<T: Real, const R: usize, const C: usize>(
    f: Func,
    x: &SMatrix<T, R, C>,
    out: &mut SMatrix<T, R, C>,
) {
    dispatch(Job(f, Matrices::Map(x, out)));
}

/// `m[i] = f(m[i])` for every entry, in place.
pub(crate) fn apply_in_place<T: Real, const R: usize, const C: usize>(
    f: Func,
    m: &mut SMatrix<T, R, C>,
) {
    dispatch(Job(f, Matrices::Apply(m)));
}

/// `out[i] = d[i]·f(x[i])`, or `out[i] += d[i]·f(x[i])` when `add`: a local derivative that is
/// one of the functions, times the upstream gradient (softplus' = σ), in one pass.
///
/// ```text
/// Shape: (R×C), (R×C) → (R×C)
/// ```
pub(crate) fn scale_into<T: Real, const R: usize, const C: usize>(
    f: Func,
    x: &SMatrix<T, R, C>,
    d: &SMatrix<T, R, C>,
    out: &mut SMatrix<T, R, C>,
    add: bool,
) {
    dispatch(Job(f, Matrices::Scale(x, d, out, add)));
}
