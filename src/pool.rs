//! A per-thread cache of large matrix buffers, so that a graph built afresh every step reuses
//! the buffers of the previous one instead of asking the system allocator again.
//!
//! Why: glibc serves blocks above its mmap threshold (128 KiB at first) by `mmap`, and returns
//! a heap top larger than twice that threshold to the system when it is freed. A graph whose
//! matrices are that large (the spiral net's 300×100 `f64` activations and gradients are
//! 240 KB each) then page-faults on every buffer of every fresh build: measured, a fresh W2
//! step took 737 µs instead of 123 µs. W3's 64×64 buffers (32 KB, about 60 per step, 2 MB
//! freed at once) varied from 0.50 to 0.74 of the hand-written time between runs.
//!
//! Buffers of at least [`MIN_BYTES`] go back to this cache when their graph is dropped (at
//! most [`MAX_BUFFERS`] of them and [`MAX_BYTES`] in all per thread; the rest are freed), and
//! the next graph's nodes and gradient buffers of the same type take them. Smaller buffers are
//! left to the allocator, which recycles them well.
//!
//! A cached buffer holds stale entries: takers overwrite it (an op's output, a leaf's value)
//! or treat it as unwritten (a gradient buffer, see `GradSlot`).

use std::any::{Any, TypeId};
use std::cell::RefCell;

/// Buffers smaller than this are not cached.
pub(crate) const MIN_BYTES: usize = 16 << 10;
/// At most this many buffers are cached per thread.
pub(crate) const MAX_BUFFERS: usize = 256;
/// At most this many bytes are cached per thread.
pub(crate) const MAX_BYTES: usize = 64 << 20;

struct Cache {
    /// The cached buffers, grouped by type.
    by_type: Vec<(TypeId, Vec<Box<dyn Any>>)>,
    buffers: usize,
    bytes: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = const {
        RefCell::new(Cache { by_type: Vec::new(), buffers: 0, bytes: 0 })
    };
}

/// A cached buffer of type `M` with stale contents, if the cache holds one.
pub(crate) fn take<M: Any>() -> Option<Box<M>> {
    if size_of::<M>() < MIN_BYTES {
        return None;
    }
    CACHE
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            let id = TypeId::of::<M>();
            let (_, same) = cache.by_type.iter_mut().find(|(t, _)| *t == id)?;
            let buffer = same.pop()?.downcast::<M>().ok()?;
            cache.buffers -= 1;
            cache.bytes -= size_of::<M>();
            Some(buffer)
        })
        .ok()
        .flatten()
}

/// Keeps `buffer` for a later [`take`] if it is large and the cache has room; frees it
/// otherwise.
pub(crate) fn give(buffer: Box<dyn Any>) {
    let bytes = size_of_val(&*buffer);
    if bytes < MIN_BYTES {
        return;
    }
    let _ = CACHE.try_with(|cache| {
        if let Ok(mut cache) = cache.try_borrow_mut()
            && cache.buffers < MAX_BUFFERS
            && cache.bytes + bytes <= MAX_BYTES
        {
            cache.buffers += 1;
            cache.bytes += bytes;
            let id = (*buffer).type_id();
            match cache.by_type.iter_mut().find(|(t, _)| *t == id) {
                Some((_, same)) => same.push(buffer),
                None => cache.by_type.push((id, vec![buffer])),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use nalgebra::SMatrix;

    use super::{MAX_BUFFERS, give, take};

    type Big = SMatrix<f64, 100, 100>; // 80 KB
    type Other = SMatrix<f32, 80, 64>; // 20 KB

    #[test]
    fn a_given_large_buffer_comes_back_once_and_only_as_its_own_type() {
        assert!(take::<Big>().is_none());
        let mut b = Box::new(Big::zeros());
        b[(3, 4)] = 7.0;
        give(b);
        assert!(take::<Other>().is_none());
        let back = take::<Big>().expect("cached");
        assert_eq!(back[(3, 4)], 7.0);
        assert!(take::<Big>().is_none());
    }

    #[test]
    fn small_buffers_are_not_cached_and_the_count_is_bounded() {
        give(Box::new(SMatrix::<f64, 40, 50>::zeros())); // 16 000 bytes
        assert!(take::<SMatrix<f64, 40, 50>>().is_none());
        for _ in 0..MAX_BUFFERS + 5 {
            give(Box::new(Other::zeros()));
        }
        let mut back = 0;
        while take::<Other>().is_some() {
            back += 1;
        }
        assert_eq!(back, MAX_BUFFERS);
    }
}
