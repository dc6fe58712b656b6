//! Spare parts: a dropped graph's tape and gradient store, emptied with their capacity kept,
//! for the next graph built on the same thread.
//!
//! Why: glibc serves blocks above its mmap threshold (128 KiB at first) by `mmap`, and returns
//! a heap top larger than twice that threshold to the system when it is freed. A graph whose
//! buffers are that large (the spiral net's values and gradients are megabytes) then
//! page-faults on every fresh build: measured on v0.1, a fresh W2 step took 737 µs instead of
//! 123 µs. So a dropped graph's parts go back to a per-thread list (at most [`MAX_SPARE`] per
//! scalar type and [`MAX_BYTES`] each), and [`Graph::new`](crate::Graph::new) takes them: a
//! fresh graph of the same size as the last one allocates nothing (the boxes of its ops that
//! carry data are reused too, see `Tape::keep_op`).

use std::any::{Any, TypeId};
use std::cell::RefCell;

use super::Tape;
use super::grads::GradStore;
use crate::kernels::Real;

/// At most this many spare tapes are kept per thread and scalar type.
pub(crate) const MAX_SPARE: usize = 4;
/// A spare tape holding more than this many bytes is freed instead of kept.
pub(crate) const MAX_BYTES: usize = 64 << 20;

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
