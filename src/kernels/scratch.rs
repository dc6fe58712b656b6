//! Scratch buffers lent per thread: a large matrix's copy (a leaf's value updated in place,
//! a clipped gradient, the gradients of an op whose inputs repeat) reuses the buffer of the
//! last call instead of asking the allocator again.
//!
//! Why: glibc serves blocks above its mmap threshold (128 KiB at first) by `mmap`, so a large
//! buffer allocated and freed every step page-faults every step. The buffers kept count
//! against the thread's byte budget (`budget`); one that does not fit is freed.

use std::any::{Any, TypeId};
use std::cell::RefCell;

use crate::kernels::Real;
use crate::kernels::budget;

#[derive(Default)]
struct Cache {
    /// Buffers grouped by scalar type: each a `Vec<Vec<T>>`.
    groups: Vec<(TypeId, Box<dyn Any>)>,
    /// The bytes of the buffers kept, counted in the thread's budget.
    held: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::default();
}

fn group<T: Real>(cache: &mut Cache) -> &mut Vec<Vec<T>> {
    let id = TypeId::of::<T>();
    let at = match cache.groups.iter().position(|(t, _)| *t == id) {
        Some(at) => at,
        None => {
            cache.groups.push((id, Box::new(Vec::<Vec<T>>::new())));
            cache.groups.len() - 1
        }
    };
    cache.groups[at]
        .1
        .downcast_mut()
        .expect("shapegrad internal error: scratch buffers of another type")
}

fn bytes<T>(buffer: &Vec<T>) -> usize {
    buffer.capacity() * size_of::<T>()
}

/// Calls `f` with a scratch buffer of `len` entries (stale contents), then keeps the buffer
/// for the next call if the thread's budget allows.
pub(crate) fn with_buffer<T: Real, Out>(len: usize, f: impl FnOnce(&mut [T]) -> Out) -> Out {
    let cached = CACHE
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            let buffers = group::<T>(&mut cache);
            let at = buffers.iter().position(|b| b.capacity() >= len)?;
            let buffer = buffers.swap_remove(at);
            cache.held -= bytes(&buffer);
            budget::unhold(bytes(&buffer));
            Some(buffer)
        })
        .ok()
        .flatten();
    let mut buffer = cached.unwrap_or_default();
    if buffer.len() < len {
        buffer.resize(len, T::zero());
    }
    let out = f(&mut buffer[..len]);
    let size = bytes(&buffer);
    if budget::hold(size) {
        let kept = CACHE.try_with(|cache| match cache.try_borrow_mut() {
            Ok(mut cache) => {
                cache.held += size;
                group::<T>(&mut cache).push(buffer);
                true
            }
            Err(_) => false,
        });
        if kept != Ok(true) {
            budget::unhold(size);
        }
    }
    out
}

/// Frees every scratch buffer of this thread.
pub(crate) fn release() {
    let _ = CACHE.try_with(|cache| {
        if let Ok(mut cache) = cache.try_borrow_mut() {
            budget::unhold(std::mem::take(&mut cache.held));
            cache.groups = Vec::new();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::with_buffer;

    #[test]
    fn a_scratch_buffer_comes_back_on_the_next_call_with_its_contents() {
        with_buffer::<f64, _>(10_000, |b| b[9_999] = 7.0);
        with_buffer::<f64, _>(10_000, |b| assert_eq!(b[9_999], 7.0));
    }

    #[test]
    fn calls_may_nest() {
        with_buffer::<f32, _>(100, |outer| {
            with_buffer::<f32, _>(100, |inner| inner[0] = 1.0);
            outer[0] = 2.0;
        });
    }
}

/// Values at least this large are built by [`boxed_large`] on a helper thread.
const LARGE_BYTES: usize = 64 << 10;

/// `Box::new(make())`, for a value that may be too large for the calling thread's stack
/// (`Box::new` builds its argument on the stack first, and a debug build makes further
/// copies there): a value of [`LARGE_BYTES`] or more is made and boxed on a helper thread
/// whose stack is sized for it (see [`with_stack_for`]), and only the box comes back.
pub(crate) fn boxed_large<S: Send, F: FnOnce() -> S + Send>(make: F) -> Box<S> {
    with_stack_for(size_of::<S>(), || Box::new(make()))
}

/// Runs `f`, which builds a value of `bytes` bytes on its stack, on a helper thread whose
/// stack is sized for it if `bytes` is [`LARGE_BYTES`] or more; directly otherwise. The
/// helper's stack is 16 times the value plus 8 MiB (reserved, touched only as used): a
/// debug build of nalgebra's constructors keeps several copies in nested frames. For
/// states made once per parameter (an optimizer's, a loaded checkpoint's), where a thread's
/// start costs little next to the megabytes it spares the caller's stack.
pub(crate) fn with_stack_for<Out: Send>(bytes: usize, f: impl FnOnce() -> Out + Send) -> Out {
    if bytes < LARGE_BYTES {
        return f();
    }
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("shapegrad-large-value".into())
            .stack_size(16 * bytes + (8 << 20))
            .spawn_scoped(scope, f)
            .expect("shapegrad: could not start a thread to build a large value off the stack");
        match helper.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod large_tests {
    use super::boxed_large;

    #[test]
    fn a_large_value_is_boxed_without_touching_a_small_stack() {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(|| {
                let big = boxed_large(|| [1.5_f64; 100_000]); // 800 KB
                assert_eq!(big[99_999], 1.5);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
