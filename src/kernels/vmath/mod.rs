//! Vectorised element-wise math for the ops: exp, ln, tanh, sigmoid and softplus over whole
//! matrices.
//!
//! For `f64` and `f32` the functions of [`f64`](self::f64) run over the matrix's slice in one
//! loop that the compiler vectorises; `multiversion` compiles that loop for AVX-512, AVX2 and
//! SSE4.1 as well as the baseline target and picks the best one the CPU has at run time
//! (without `unsafe` in this crate). `f32` entries are widened to `f64`, computed there and
//! rounded once, so they are as accurate as `f32` allows. Every other scalar (dual numbers,
//! for instance) takes the `std` path, [`Func::scalar`]: the choice is made with
//! [`Any`] downcasts of the matrices, which the compiler resolves per type.
//!
//! Accuracy, measured against `std` by the tests in `tests.rs` over sweeps of every binade
//! and the special values (±0, subnormals, ±∞, NaN), and against correctly rounded values:
//! within 1 ulp of the true value and 2 ulp of `std` (see the bounds in `tests.rs`).

pub(super) mod f64;
#[cfg(test)]
mod tests;

use std::any::Any;

use multiversion::multiversion;
use nalgebra::SMatrix;

use crate::kernels::Real;

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

/// The kernel of one [`Func`] (`F` is its number, [`Func::id`]) for one float type. Its
/// `at` is `#[inline(always)]` and called statically, so the vectorised loops inline the
/// whole function (a function item or closure passed as a value may be left as a call, and
/// then run without the loop's vector extensions).
#[derive(Clone, Copy)]
struct Kernel<const F: u8>;

/// A scalar function that the loops of this module apply.
trait At<S>: Copy {
    fn at(self, x: S) -> S;
}

impl<const F: u8> At<f64> for Kernel<F> {
    #[inline(always)]
    fn at(self, x: f64) -> f64 {
        match F {
            0 => f64::exp(x),
            1 => f64::ln(x),
            2 => f64::tanh(x),
            3 => f64::sigmoid(x),
            _ => f64::softplus(x),
        }
    }
}

/// `f32`: widened to `f64` and rounded back once.
impl<const F: u8> At<f32> for Kernel<F> {
    #[inline(always)]
    fn at(self, x: f32) -> f32 {
        <Self as At<f64>>::at(self, f64::from(x)) as f32
    }
}

impl Func {
    /// The number of the function's [`Kernel`].
    const fn id(self) -> u8 {
        self as u8
    }
}

/// Something to do with a kernel, which [`with_kernel`] picks by [`Func`].
trait WithKernel {
    fn run<K: At<f64> + At<f32>>(self, kernel: K);
}

fn with_kernel(f: Func, job: impl WithKernel) {
    const EXP: u8 = Func::Exp.id();
    const LN: u8 = Func::Ln.id();
    const TANH: u8 = Func::Tanh.id();
    const SIGMOID: u8 = Func::Sigmoid.id();
    const SOFTPLUS: u8 = Func::Softplus.id();
    match f {
        Func::Exp => job.run(Kernel::<EXP>),
        Func::Ln => job.run(Kernel::<LN>),
        Func::Tanh => job.run(Kernel::<TANH>),
        Func::Sigmoid => job.run(Kernel::<SIGMOID>),
        Func::Softplus => job.run(Kernel::<SOFTPLUS>),
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
    struct Map<'a, S>(&'a [S], &'a mut [S]);
    impl WithKernel for Map<'_, f64> {
        fn run<K: At<f64> + At<f32>>(self, kernel: K) {
            if self.0.len() < DISPATCH_MIN {
                map_plain(self.0, self.1, kernel);
            } else {
                map(self.0, self.1, kernel);
            }
        }
    }
    impl WithKernel for Map<'_, f32> {
        fn run<K: At<f64> + At<f32>>(self, kernel: K) {
            if self.0.len() < DISPATCH_MIN {
                map_plain(self.0, self.1, kernel);
            } else {
                map(self.0, self.1, kernel);
            }
        }
    }
    if let Some((x, out)) = floats::<f64, T, R, C>(x, out) {
        with_kernel(f, Map(x.as_slice(), out.as_mut_slice()));
    } else if let Some((x, out)) = floats::<f32, T, R, C>(x, out) {
        with_kernel(f, Map(x.as_slice(), out.as_mut_slice()));
    } else {
        map_plain(x.as_slice(), out.as_mut_slice(), Scalar(f));
    }
}

/// `m[i] = f(m[i])` for every entry, in place.
pub(crate) fn apply_in_place<T: Real, const R: usize, const C: usize>(
    f: Func,
    m: &mut SMatrix<T, R, C>,
) {
    struct Apply<'a, S>(&'a mut [S]);
    impl WithKernel for Apply<'_, f64> {
        fn run<K: At<f64> + At<f32>>(self, kernel: K) {
            if self.0.len() < DISPATCH_MIN {
                self.0.iter_mut().for_each(|x| *x = kernel.at(*x));
            } else {
                apply(self.0, kernel);
            }
        }
    }
    impl WithKernel for Apply<'_, f32> {
        fn run<K: At<f64> + At<f32>>(self, kernel: K) {
            if self.0.len() < DISPATCH_MIN {
                self.0.iter_mut().for_each(|x| *x = kernel.at(*x));
            } else {
                apply(self.0, kernel);
            }
        }
    }
    let m_any: &mut dyn Any = m;
    if let Some(m) = m_any.downcast_mut::<SMatrix<f64, R, C>>() {
        return with_kernel(f, Apply(m.as_mut_slice()));
    }
    let m_any: &mut dyn Any = m;
    if let Some(m) = m_any.downcast_mut::<SMatrix<f32, R, C>>() {
        return with_kernel(f, Apply(m.as_mut_slice()));
    }
    m.apply(|x| *x = f.scalar(*x));
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
    struct Scale<'a, S>(&'a [S], &'a [S], &'a mut [S], bool);
    impl WithKernel for Scale<'_, f64> {
        fn run<K: At<f64> + At<f32>>(self, kernel: K) {
            if self.0.len() < DISPATCH_MIN {
                scale_plain(self.0, self.1, self.2, self.3, kernel);
            } else {
                scale(self.0, self.1, self.2, self.3, kernel);
            }
        }
    }
    impl WithKernel for Scale<'_, f32> {
        fn run<K: At<f64> + At<f32>>(self, kernel: K) {
            if self.0.len() < DISPATCH_MIN {
                scale_plain(self.0, self.1, self.2, self.3, kernel);
            } else {
                scale(self.0, self.1, self.2, self.3, kernel);
            }
        }
    }
    let d_any: &dyn Any = d;
    if let (Some((x, out)), Some(d)) = (floats::<f64, T, R, C>(x, out), d_any.downcast_ref()) {
        let d: &SMatrix<f64, R, C> = d;
        with_kernel(
            f,
            Scale(x.as_slice(), d.as_slice(), out.as_mut_slice(), add),
        );
    } else if let (Some((x, out)), Some(d)) = (floats::<f32, T, R, C>(x, out), d_any.downcast_ref())
    {
        let d: &SMatrix<f32, R, C> = d;
        with_kernel(
            f,
            Scale(x.as_slice(), d.as_slice(), out.as_mut_slice(), add),
        );
    } else {
        scale(
            x.as_slice(),
            d.as_slice(),
            out.as_mut_slice(),
            add,
            Scalar(f),
        );
    }
}

/// `x` and `out` as matrices of `S` if `T` is `S`.
#[allow(clippy::type_complexity)]
fn floats<'a, S: 'static, T: Real, const R: usize, const C: usize>(
    x: &'a SMatrix<T, R, C>,
    out: &'a mut SMatrix<T, R, C>,
) -> Option<(&'a SMatrix<S, R, C>, &'a mut SMatrix<S, R, C>)> {
    let (x, out): (&dyn Any, &mut dyn Any) = (x, out);
    Some((x.downcast_ref()?, out.downcast_mut()?))
}

/// `out[i] = f(x[i])`, compiled for each vector extension and chosen at run time.
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "x86_64+sse4.1"
))]
fn map<S: Copy, F: At<S>>(x: &[S], out: &mut [S], f: F) {
    map_plain(x, out, f);
}

/// [`map`] without the dispatch, for short slices (and inside each compiled version).
#[inline(always)]
fn map_plain<S: Copy, F: At<S>>(x: &[S], out: &mut [S], f: F) {
    for (o, &x) in out.iter_mut().zip(x) {
        *o = f.at(x);
    }
}

/// `xs[i] = f(xs[i])`; dispatched like [`map`] (short slices skip the dispatch).
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "x86_64+sse4.1"
))]
fn apply<S: Copy, F: At<S>>(xs: &mut [S], f: F) {
    xs.iter_mut().for_each(|x| *x = f.at(*x));
}

/// `out[i] = d[i]·f(x[i])`, or `+=` when `add`; dispatched like [`map`].
#[multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx2+avx+sse4.1",
    "x86_64+avx2+avx+sse4.1",
    "x86_64+sse4.1"
))]
fn scale<S, F>(x: &[S], d: &[S], out: &mut [S], add: bool, f: F)
where
    S: Copy + std::ops::Mul<Output = S> + std::ops::AddAssign,
    F: At<S>,
{
    scale_plain(x, d, out, add, f);
}

/// [`scale`] without the dispatch.
#[inline(always)]
fn scale_plain<S, F>(x: &[S], d: &[S], out: &mut [S], add: bool, f: F)
where
    S: Copy + std::ops::Mul<Output = S> + std::ops::AddAssign,
    F: At<S>,
{
    let triples = out.iter_mut().zip(x.iter().zip(d));
    if add {
        triples.for_each(|(o, (&x, &d))| *o += d * f.at(x));
    } else {
        triples.for_each(|(o, (&x, &d))| *o = d * f.at(x));
    }
}
