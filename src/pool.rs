//! Per-thread caches of memory, so that a graph built afresh every step, and a large leaf
//! updated in place every step, reuse the memory of the last step instead of asking the
//! system allocator again.
//!
//! Why: glibc serves blocks above its mmap threshold (128 KiB at first) by `mmap`, and returns
//! a heap top larger than twice that threshold to the system when it is freed. A graph whose
//! buffers are that large (the spiral net's values and gradients are megabytes) then
//! page-faults on every fresh build: measured on v0.1, a fresh W2 step took 737 µs instead of
//! 123 µs.
//!
//! * **Spare parts.** A dropped graph's tape and gradient store go back to a per-thread list
//!   (emptied, capacity kept; at most [`MAX_SPARE`] per scalar type and [`MAX_BYTES`] each), and
//!   [`Graph::new`](crate::Graph::new) takes them: a fresh graph of the same size as the last
//!   one allocates nothing but the boxes of its ops that carry data.
//! * **Scratch matrices.** [`with_scratch`] lends a matrix for a copy of a leaf's value
//!   ([`Var::update_value`](crate::Var::update_value)): on the stack below [`MIN_BYTES`], else
//!   a cached heap box (at most [`MAX_BUFFERS`] of them per thread).

use std::any::{Any, TypeId};
use std::cell::RefCell;

use nalgebra::SMatrix;

use crate::Real;
use crate::graph::Parts;

/// Matrices smaller than this are lent on the stack.
pub(crate) const MIN_BYTES: usize = 16 << 10;
/// At most this many scratch matrices are cached per thread.
pub(crate) const MAX_BUFFERS: usize = 64;
/// At most this many spare tapes are kept per thread and scalar type.
pub(crate) const MAX_SPARE: usize = 4;
/// A spare tape holding more than this many bytes is freed instead of kept.
pub(crate) const MAX_BYTES: usize = 64 << 20;

#[derive(Default)]
struct Cache {
    /// Scratch matrices, each a `Box<SMatrix<..>>`, grouped by type.
    scratch: Vec<(TypeId, Vec<Box<dyn Any>>)>,
    scratch_count: usize,
    /// Spare parts, grouped by `T`: each a `Vec<(Tape<T>, GradStore<T>)>`, so that taking
    /// and giving back moves no box.
    spare: Vec<(TypeId, Box<dyn Any>)>,
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

/// The spare parts of scalar type `T`.
// Boxed on purpose: taking and giving back moves a pointer, not the parts (450 bytes).
#[allow(clippy::vec_box)]
fn spare<T: Real>(cache: &mut Cache) -> &mut Vec<Box<Parts<T>>> {
    let id = TypeId::of::<T>();
    let at = match cache.spare.iter().position(|(t, _)| *t == id) {
        Some(at) => at,
        None => {
            cache
                .spare
                .push((id, Box::new(Vec::<Box<Parts<T>>>::new())));
            cache.spare.len() - 1
        }
    };
    cache.spare[at]
        .1
        .downcast_mut()
        .expect("shapegrad internal error: spare parts of another type")
}

/// An empty tape and gradient store, with the capacity of a dropped graph's if one is cached.
pub(crate) fn take_parts<T: Real>() -> Box<Parts<T>> {
    CACHE
        .try_with(|cache| spare::<T>(&mut *cache.try_borrow_mut().ok()?).pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Empties a dropped graph's parts and keeps them for [`take_parts`], if they are not too
/// large and the cache has room.
pub(crate) fn give_parts<T: Real>(mut parts: Box<Parts<T>>) {
    if parts.bytes() > MAX_BYTES {
        return;
    }
    parts.clear();
    let _ = CACHE.try_with(|cache| {
        if let Ok(mut cache) = cache.try_borrow_mut() {
            let spare = spare::<T>(&mut cache);
            if spare.len() < MAX_SPARE {
                spare.push(parts);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use nalgebra::{Matrix1, SMatrix};

    use super::{take_parts, with_scratch};
    use crate::Graph;

    type Big = SMatrix<f64, 100, 100>; // 80 KB

    #[test]
    fn a_large_scratch_matrix_comes_back_on_the_next_call_with_its_contents() {
        with_scratch::<f64, 100, 100>(|m: &mut Big| m[(3, 4)] = 7.0);
        with_scratch::<f64, 100, 100>(|m: &mut Big| assert_eq!(m[(3, 4)], 7.0));
    }

    #[test]
    fn a_dropped_graph_leaves_its_capacity_to_the_next_one() {
        drop(take_parts::<f32>()); // whatever was cached before
        let g = Graph::<f32>::new();
        let mut x = g.var(Matrix1::new(1.0_f32));
        for _ in 0..100 {
            x = x + x;
        }
        drop(x.backward());
        drop(g);
        let mut parts = take_parts::<f32>();
        let tape = parts.tape.get_mut();
        assert!(tape.nodes.is_empty() && tape.nodes.capacity() >= 101);
        assert!(parts.bytes() >= 101 * size_of::<f32>());
    }
}
