//! Scratch matrices lent per thread, on the heap when large: the matrix form of the kernels'
//! scratch buffers (`crate::kernels::scratch`).

use nalgebra::SMatrix;

use crate::contract::layout;
use crate::kernels::Real;

/// Matrices smaller than this are lent on the stack.
pub(crate) const MIN_BYTES: usize = 16 << 10;

/// Calls `f` with a scratch R×C matrix (stale contents, or zeros for a small one): a large one
/// lives in a per-thread heap buffer kept for the next call, never on the stack.
pub(crate) fn with_scratch<T: Real, const R: usize, const C: usize, Out>(
    f: impl FnOnce(&mut SMatrix<T, R, C>) -> Out,
) -> Out {
    if size_of::<SMatrix<T, R, C>>() < MIN_BYTES {
        return on_the_stack(f);
    }
    crate::kernels::scratch::with_buffer::<T, Out>(R * C, |entries| f(layout::matrix_mut(entries)))
}

/// `f` on a zeroed matrix on the stack. A function of its own: inside `with_scratch`'s frame,
/// a debug build would reserve the matrix's stack for large shapes too, on the path that never
/// makes one (320 KB for a 200×200 `f64`, enough to overflow a 256 KiB stack).
fn on_the_stack<T: Real, const R: usize, const C: usize, Out>(
    f: impl FnOnce(&mut SMatrix<T, R, C>) -> Out,
) -> Out {
    f(&mut SMatrix::zeros())
}

#[cfg(test)]
mod tests {
    use nalgebra::SMatrix;

    use super::with_scratch;

    #[test]
    fn a_large_scratch_matrix_comes_back_on_the_next_call_with_its_contents() {
        with_scratch(|m: &mut SMatrix<f64, 100, 100>| m[(3, 4)] = 7.0);
        with_scratch(|m: &mut SMatrix<f64, 100, 100>| assert_eq!(m[(3, 4)], 7.0));
    }
}
