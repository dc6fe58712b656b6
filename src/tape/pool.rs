//! Spare parts: a dropped graph's tape and gradient store, emptied with their capacity kept,
//! for the next graph built on the same thread; and [`release_thread_caches`], which frees
//! every cache of the thread.
//!
//! Why: glibc serves blocks above its mmap threshold (128 KiB at first) by `mmap`, and returns
//! a heap top larger than twice that threshold to the system when it is freed. A graph whose
//! buffers are that large (the spiral net's values and gradients are megabytes) then
//! page-faults on every fresh build: measured on v0.1, a fresh W2 step took 737 µs instead of
//! 123 µs. So a dropped graph's parts go back to a per-thread list, as long as the thread's
//! one byte budget for caches allows (see [`set_thread_cache_budget`]), and
//! [`Graph::new`](crate::Graph::new) takes them: a fresh graph of the same size as the last
//! one allocates nothing (the boxes of its ops that carry data are reused too, see
//! `Tape::keep_op`).

use std::any::{Any, TypeId};
use std::cell::RefCell;

use super::Tape;
use super::grads::GradStore;
use crate::kernels::Real;
use crate::kernels::budget;

/// What a graph owns: its tape and its gradients.
pub(crate) struct Parts<T: Real> {
    pub(crate) tape: RefCell<Tape<T>>,
    pub(crate) grads: RefCell<GradStore<T>>,
}

impl<T: Real> Default for Parts<T> {
    fn default() -> Self {
        Parts {
            tape: RefCell::default(),
            grads: RefCell::default(),
        }
    }
}

impl<T: Real> Parts<T> {
    /// Empties both, keeping their allocations.
    pub(crate) fn clear(&mut self) {
        self.tape.get_mut().clear();
        self.grads.get_mut().clear();
    }

    /// The bytes their buffers hold.
    pub(crate) fn bytes(&mut self) -> usize {
        self.tape.get_mut().bytes() + self.grads.get_mut().bytes()
    }
}

#[derive(Default)]
struct Cache {
    /// Spare parts, grouped by `T`: each a `Vec<Box<Parts<T>>>`, so that taking and giving
    /// back moves a pointer.
    spare: Vec<(TypeId, Box<dyn Any>)>,
    /// The bytes of the spare parts, counted in the thread's budget.
    held: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
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
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            let mut parts = spare::<T>(&mut cache).pop()?;
            let bytes = parts.bytes();
            cache.held -= bytes;
            budget::unhold(bytes);
            Some(parts)
        })
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Empties a dropped graph's parts and keeps them for [`take_parts`], if the thread's budget
/// has room for their buffers; else frees them.
pub(crate) fn give_parts<T: Real>(mut parts: Box<Parts<T>>) {
    parts.clear();
    let bytes = parts.bytes();
    if !budget::hold(bytes) {
        return;
    }
    let kept = CACHE.try_with(|cache| match cache.try_borrow_mut() {
        Ok(mut cache) => {
            cache.held += bytes;
            spare::<T>(&mut cache).push(parts);
            true
        }
        Err(_) => false,
    });
    if kept != Ok(true) {
        budget::unhold(bytes);
    }
}

/// Frees this thread's spare parts.
fn release_spare_parts() {
    let spare = CACHE.try_with(|cache| {
        let mut cache = cache.try_borrow_mut().ok()?;
        budget::unhold(std::mem::take(&mut cache.held));
        Some(std::mem::take(&mut cache.spare))
    });
    drop(spare); // freed outside the borrow: a part's drop may not touch the cache
}

/// Frees every buffer shapegrad keeps on this thread between calls: the spare tapes of
/// dropped graphs, the scratch matrices and the matrix product's packing buffers. Live graphs
/// and optimizers keep theirs.
///
/// The caches only spare the allocator work on the next step, so calling this never changes
/// a result; the next graph, step or large product allocates again. Call it when a thread is
/// done with large graphs and lives on (a worker pool, a long-running service), or before
/// measuring memory. The caches never hold more than the thread's budget
/// ([`set_thread_cache_budget`]) in any case.
///
/// ```
/// use nalgebra::SMatrix;
/// use shapegrad::{Graph, boxed};
///
/// let g = Graph::<f64>::new();
/// let w = g.var_from(&boxed::from_element::<f64, 200, 200>(0.5));
/// let _ = (w * w).sum().backward(); // a large product packs its factors
/// drop(g); // the graph's buffers go to this thread's cache…
/// assert!(shapegrad::thread_cache_bytes() > 0);
/// shapegrad::release_thread_caches(); // …and are freed here
/// assert_eq!(shapegrad::thread_cache_bytes(), 0);
/// ```
pub fn release_thread_caches() {
    release_spare_parts();
    crate::kernels::scratch::release();
    crate::kernels::float::release_gemm_buffers();
}

/// The bytes shapegrad's caches hold on this thread now (spare tapes, scratch matrices, the
/// product's packing buffers), at most [`thread_cache_budget`].
///
/// ```
/// shapegrad::release_thread_caches();
/// assert_eq!(shapegrad::thread_cache_bytes(), 0);
/// ```
pub fn thread_cache_bytes() -> usize {
    budget::held()
}

/// This thread's byte budget for shapegrad's caches: [`DEFAULT_THREAD_CACHE_BYTES`](crate::DEFAULT_THREAD_CACHE_BYTES) (64 MiB)
/// unless [`set_thread_cache_budget`] changed it.
///
/// ```
/// assert_eq!(shapegrad::thread_cache_budget(), shapegrad::DEFAULT_THREAD_CACHE_BYTES);
/// ```
pub fn thread_cache_budget() -> usize {
    budget::budget()
}

/// Sets this thread's byte budget for shapegrad's caches, and frees them if they hold more.
///
/// One budget covers every cache of the thread, whatever the scalar types: the spare tape and
/// gradients of dropped graphs (so that a rebuilt graph allocates nothing), scratch matrices
/// (a large leaf updated in place, a clipped gradient, an op fed twice by one node) and the
/// matrix product's packing buffers. A buffer that does not fit is freed instead of kept (the
/// packing buffers are freed after the product that grew them), so a budget of 0 keeps
/// nothing, at the cost of allocating on every step. Each thread has its own budget (64 MiB by
/// default), so memory held by caches is at most the budget times the threads that use
/// shapegrad.
///
/// ```
/// shapegrad::set_thread_cache_budget(1 << 20); // 1 MiB on this thread
/// assert_eq!(shapegrad::thread_cache_budget(), 1 << 20);
/// assert!(shapegrad::thread_cache_bytes() <= 1 << 20);
/// ```
pub fn set_thread_cache_budget(bytes: usize) {
    budget::set_budget(bytes);
    if budget::held() > bytes {
        release_thread_caches();
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::Matrix1;

    use super::take_parts;
    use crate::graph::Graph;

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
