//! Scratch matrices lent per thread: a large matrix's copy (a leaf's value updated in place,
//! a clipped gradient) reuses the heap box of the last call instead of asking the allocator
//! again, and small ones live on the stack.
//!
//! Why: glibc serves blocks above its mmap threshold (128 KiB at first) by `mmap`, so a large
//! box allocated and freed every step page-faults every step.

use std::any::{Any, TypeId};
use std::cell::RefCell;

use nalgebra::SMatrix;

use crate::kernels::Real;

/// Matrices smaller than this are lent on the stack.
pub(crate) const MIN_BYTES: usize = 16 << 10;
/// At most this many scratch matrices are cached per thread.
pub(crate) const MAX_BUFFERS: usize = 64;

#[derive(Default)]
struct Cache {
    /// Scratch matrices, each a `Box<SMatrix<..>>`, grouped by type.
    scratch: Vec<(TypeId, Vec<Box<dyn Any>>)>,
    scratch_count: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

fn group(groups: &mut Vec<(TypeId, Vec<Box<dyn Any>>)>, id: TypeId) -> &mut Vec<Box<dyn Any>> {
    let at = match groups.iter().position(|(t, _)| *t == id) {
        Some(at) => at,
        None => {
            groups.push((id, Vec::new()));
            groups.len() - 1
        }
    };
    &mut groups[at].1
}

/// Calls `f` with a scratch R×C matrix (stale contents), then keeps the matrix for the next
/// call.
pub(crate) fn with_scratch<T: Real, const R: usize, const C: usize>(
    f: impl FnOnce(&mut SMatrix<T, R, C>),
) {
    if size_of::<SMatrix<T, R, C>>() < MIN_BYTES {
        f(&mut SMatrix::zeros());
        return;
    }
    let id = TypeId::of::<SMatrix<T, R, C>>();
    let cached = CACHE
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            let buffer = group(&mut cache.scratch, id).pop()?;
            cache.scratch_count -= 1;
            buffer.downcast::<SMatrix<T, R, C>>().ok()
        })
        .ok()
        .flatten();
    let mut buffer = cached.unwrap_or_else(|| {
        let zeros = vec![T::zero(); R * C];
        Box::new(SMatrix::<T, R, C>::from_column_slice(&zeros))
    });
    f(&mut buffer);
    let _ = CACHE.try_with(|cache| {
        if let Ok(mut cache) = cache.try_borrow_mut()
            && cache.scratch_count < MAX_BUFFERS
        {
            cache.scratch_count += 1;
            group(&mut cache.scratch, id).push(buffer);
        }
    });
}

#[cfg(test)]
mod tests {
    use nalgebra::SMatrix;

    use super::with_scratch;

    type Big = SMatrix<f64, 100, 100>; // 80 KB

    #[test]
    fn a_large_scratch_matrix_comes_back_on_the_next_call_with_its_contents() {
        with_scratch::<f64, 100, 100>(|m: &mut Big| m[(3, 4)] = 7.0);
        with_scratch::<f64, 100, 100>(|m: &mut Big| assert_eq!(m[(3, 4)], 7.0));
    }
}
