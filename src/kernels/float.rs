//! `f64` and `f32`, the scalars with fast paths in this layer (the blocked GEMM, the
//! vectorised exp, ln, tanh, …): what those paths need of each ([`Float`]), and the one place
//! where a generic scalar `T` is recognised as one of them ([`dispatch`]).
//!
//! The recognition is a comparison of type ids, which the compiler resolves for each `T`: a
//! graph of `f64` calls the `f64` path directly, a graph of dual numbers the generic one, and
//! neither pays for the test at run time.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::marker::PhantomData;

use nalgebra::SMatrix;

use crate::kernels::Real;
use crate::kernels::gemm_kernel::{self, Strided};

/// `f64` or `f32`: what the fast paths need of a machine float.
pub(crate) trait Float: Real {
    /// Zero, as a constant.
    const ZERO: Self;

    /// `self·b + c`, rounded once. A single instruction only where the CPU has FMA (else a
    /// library call): call it only where `target_has!("fma")`.
    fn fused(self, b: Self, c: Self) -> Self;

    /// The value as an `f64`, exactly. The element-wise kernels compute in `f64`.
    fn widened(self) -> f64;

    /// `x` rounded (once) to this type.
    fn rounded(x: f64) -> Self;

    /// `c = a·b` (or `+=`) by the blocked GEMM with this type's micro-tile (see
    /// [`gemm_kernel::gemm`]).
    fn gemm(c: &mut [Self], a: Strided<'_, Self>, b: Strided<'_, Self>, accumulate: bool);

    /// Runs `f` with this thread's two packing buffers of the GEMM for this type.
    fn with_buffers<R>(f: impl FnOnce(&mut Vec<Self>, &mut Vec<Self>) -> R) -> R;
}

/// The GEMM's two packing buffers of one type on one thread, and the bytes of them counted
/// in the thread's cache budget (`budget`).
struct Packing<S> {
    a: Vec<S>,
    b: Vec<S>,
    held: usize,
}

impl<S> Packing<S> {
    const EMPTY: Self = Packing {
        a: Vec::new(),
        b: Vec::new(),
        held: 0,
    };

    /// Runs `f` with the buffers, then keeps what they grew to if the budget allows, or
    /// frees them (so they shrink back after an outsized product).
    fn with<R>(&mut self, f: impl FnOnce(&mut Vec<S>, &mut Vec<S>) -> R) -> R {
        let out = f(&mut self.a, &mut self.b);
        let now = (self.a.capacity() + self.b.capacity()) * size_of::<S>();
        if now > self.held {
            if crate::kernels::budget::hold(now - self.held) {
                self.held = now;
            } else {
                self.release();
            }
        }
        out
    }

    fn release(&mut self) {
        (self.a, self.b) = (Vec::new(), Vec::new());
        crate::kernels::budget::unhold(std::mem::take(&mut self.held));
    }
}

thread_local! {
    static BUFFERS_F64: RefCell<Packing<f64>> = const { RefCell::new(Packing::EMPTY) };
    static BUFFERS_F32: RefCell<Packing<f32>> = const { RefCell::new(Packing::EMPTY) };
}

/// Frees this thread's packing buffers.
pub(crate) fn release_gemm_buffers() {
    let _ = BUFFERS_F64.try_with(|p| p.try_borrow_mut().map(|mut p| p.release()));
    let _ = BUFFERS_F32.try_with(|p| p.try_borrow_mut().map(|mut p| p.release()));
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn fused(self, b: Self, c: Self) -> Self {
        self.mul_add(b, c)
    }
    #[inline(always)]
    fn widened(self) -> f64 {
        self
    }
    #[inline(always)]
    fn rounded(x: f64) -> Self {
        x
    }
    /// Tiles of 8 rows (one 64-byte line) and 8 columns with AVX-512, 4 without.
    fn gemm(c: &mut [Self], a: Strided<'_, Self>, b: Strided<'_, Self>, accumulate: bool) {
        gemm_kernel::gemm::<Self, 8, 8, 4>(c, a, b, accumulate);
    }
    fn with_buffers<R>(f: impl FnOnce(&mut Vec<Self>, &mut Vec<Self>) -> R) -> R {
        BUFFERS_F64.with_borrow_mut(|p| p.with(f))
    }
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn fused(self, b: Self, c: Self) -> Self {
        self.mul_add(b, c)
    }
    #[inline(always)]
    fn widened(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn rounded(x: f64) -> Self {
        x as f32
    }
    /// Tiles of 16 rows (one 64-byte line) and 4 columns.
    fn gemm(c: &mut [Self], a: Strided<'_, Self>, b: Strided<'_, Self>, accumulate: bool) {
        gemm_kernel::gemm::<Self, 16, 4, 4>(c, a, b, accumulate);
    }
    fn with_buffers<R>(f: impl FnOnce(&mut Vec<Self>, &mut Vec<Self>) -> R) -> R {
        BUFFERS_F32.with_borrow_mut(|p| p.with(f))
    }
}

/// Work with a fast path for the [`Float`]s and a generic one for every other scalar `T`,
/// run by [`dispatch`].
pub(crate) trait FloatJob<T> {
    /// What the work returns.
    type Output;
    /// The fast path, when `T` is the float `S` (`same` converts `T`'s matrices to `S`'s).
    fn float<S: Float>(self, same: Same<T, S>) -> Self::Output;
    /// The path of every other scalar.
    fn other(self) -> Self::Output;
}

/// Runs `job`'s fast path if `T` is `f64` or `f32`, else its generic path: the kernels' one
/// float dispatch.
#[inline(always)]
pub(crate) fn dispatch<T: Real, J: FloatJob<T>>(job: J) -> J::Output {
    if let Some(same) = Same::<T, f64>::check() {
        job.float(same)
    } else if let Some(same) = Same::<T, f32>::check() {
        job.float(same)
    } else {
        job.other()
    }
}

/// The proof that `T` is `S`, which only [`dispatch`] makes: it turns matrices of `T` into
/// the same matrices of `S`.
pub(crate) struct Same<T, S>(PhantomData<fn(T) -> S>);

impl<T, S> Clone for Same<T, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, S> Copy for Same<T, S> {}

impl<T: 'static, S: 'static> Same<T, S> {
    fn check() -> Option<Self> {
        (TypeId::of::<T>() == TypeId::of::<S>()).then_some(Same(PhantomData))
    }

    /// `m` as a matrix of `S`.
    #[inline(always)]
    pub(crate) fn matrix<const R: usize, const C: usize>(
        self,
        m: &SMatrix<T, R, C>,
    ) -> &SMatrix<S, R, C> {
        let m: &dyn Any = m;
        m.downcast_ref()
            .expect("`Same<T, S>` is made only when T is S")
    }

    /// `m` as a matrix of `S`, mutable.
    #[inline(always)]
    pub(crate) fn matrix_mut<const R: usize, const C: usize>(
        self,
        m: &mut SMatrix<T, R, C>,
    ) -> &mut SMatrix<S, R, C> {
        let m: &mut dyn Any = m;
        m.downcast_mut()
            .expect("`Same<T, S>` is made only when T is S")
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::Matrix2;

    use super::{Float, FloatJob, Same, dispatch};
    use crate::kernels::Real;

    /// Says which path ran, and reads the matrix through the proof.
    struct Which<'a, T>(&'a Matrix2<T>);

    impl<T: Real> FloatJob<T> for Which<'_, T> {
        type Output = (&'static str, f64);
        fn float<S: Float>(self, same: Same<T, S>) -> Self::Output {
            (
                std::any::type_name::<S>(),
                same.matrix(self.0)[(1, 0)].widened(),
            )
        }
        fn other(self) -> Self::Output {
            ("other", f64::NAN)
        }
    }

    #[test]
    fn f64_and_f32_take_their_fast_path_and_other_scalars_the_generic_one() {
        let m = Matrix2::new(1.0, 2.0, 3.0, 4.0);
        assert_eq!(dispatch(Which(&m)), ("f64", 3.0));
        assert_eq!(dispatch(Which(&m.cast::<f32>())), ("f32", 3.0));
        let dual = m.map(num_dual::Dual64::from_re);
        assert_eq!(dispatch(Which(&dual)).0, "other");
    }
}
