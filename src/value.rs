//! The scalar and matrix types the tape stores.

use std::any::Any;
use std::fmt::Debug;

use nalgebra::SMatrix;

/// A scalar shapegrad differentiates over: `f32`, `f64`, or any other nalgebra
/// [`RealField`](nalgebra::RealField) that is `Copy`.
///
/// It is implemented for every such type; you never implement it yourself.
///
/// ```
/// fn takes_real<T: shapegrad::Real>(x: T) -> T { x * x }
/// assert_eq!(takes_real(3.0_f32), 9.0);
/// assert_eq!(takes_real(3.0_f64), 9.0);
/// ```
pub trait Real: nalgebra::RealField + Copy {}

impl<T: nalgebra::RealField + Copy> Real for T {}

/// A matrix value the tape stores: implemented for every `SMatrix<T, R, C>` and nothing else.
///
/// An [`Op`](crate::Op)'s output is a `Value`. The methods give a shape-erased view of the
/// matrix (its entries in nalgebra's column-major order) for the generic parts of the library,
/// such as [`gradcheck`](crate::check::gradcheck).
///
/// ```
/// use nalgebra::SMatrix;
/// use shapegrad::Value;
///
/// let m = SMatrix::<f64, 2, 3>::from_fn(|r, c| (10 * r + c) as f64);
/// let v: &dyn Value<f64> = &m;
/// assert_eq!(v.shape(), (2, 3));
/// // Column-major: the first column (0, 10) comes first.
/// assert_eq!(&v.as_slice()[..3], &[0.0, 10.0, 1.0]);
/// ```
pub trait Value<T: Real>: Any + Debug + crate::sealed::Sealed {
    /// `(R, C)`: the number of rows and columns.
    fn shape(&self) -> (usize, usize);
    /// The `R·C` entries in column-major order: entry `(r, c)` is at `r + c·R`.
    fn as_slice(&self) -> &[T];
    /// The entries in column-major order, mutably.
    fn as_mut_slice(&mut self) -> &mut [T];
    /// A new zero matrix of the same shape, on the heap.
    fn boxed_zeros(&self) -> Box<dyn Value<T>>;
    /// A matrix of the same shape on the heap, with stale entries if it comes from the
    /// per-thread cache of large buffers (zeros otherwise): for buffers that are written
    /// before they are read.
    #[doc(hidden)]
    fn boxed_scratch(&self) -> Box<dyn Value<T>>;
}

impl<T: Real, const R: usize, const C: usize> crate::sealed::Sealed for SMatrix<T, R, C> {}

impl<T: Real, const R: usize, const C: usize> Value<T> for SMatrix<T, R, C> {
    fn shape(&self) -> (usize, usize) {
        (R, C)
    }
    fn as_slice(&self) -> &[T] {
        nalgebra::Matrix::as_slice(self)
    }
    fn as_mut_slice(&mut self) -> &mut [T] {
        nalgebra::Matrix::as_mut_slice(self)
    }
    fn boxed_zeros(&self) -> Box<dyn Value<T>> {
        Box::new(Self::zeros())
    }
    fn boxed_scratch(&self) -> Box<dyn Value<T>> {
        crate::pool::take::<Self>().unwrap_or_else(|| Box::new(Self::zeros()))
    }
}

const WRONG_SLOT: &str = "shapegrad internal error: a tape slot holds a matrix of another shape";

/// The typed matrix behind a tape slot.
#[inline(always)]
pub(crate) fn downcast<T: Real, M: Value<T>>(value: &dyn Value<T>) -> &M {
    (value as &dyn Any).downcast_ref::<M>().expect(WRONG_SLOT)
}

/// The typed matrix behind a tape slot, mutably.
#[inline(always)]
pub(crate) fn downcast_mut<T: Real, M: Value<T>>(value: &mut dyn Value<T>) -> &mut M {
    (value as &mut dyn Any)
        .downcast_mut::<M>()
        .expect(WRONG_SLOT)
}
