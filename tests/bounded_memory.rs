//! (A test binary of its own, outside `tests/integration/`: its `#[global_allocator]` counts
//! every byte of the process.)
//!
//! Memory held between steps is bounded and can be given back: a global allocator counts the
//! bytes live in the process, a thread works with large graphs (spare tapes of dropped graphs,
//! scratch matrices, the product's packing buffers, for two scalar types), and
//! `release_thread_caches` brings the count back to where it was before. A budget caps what
//! the caches keep.
//!
//! One test function: the count is process-wide, so nothing else may run meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use nalgebra::SMatrix;
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::{Graph, boxed};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts the bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// What "back to the baseline" tolerates: a few hundred bytes of the standard library's own
/// bookkeeping vary from run to run (the test harness's threads, the helper thread that
/// builds a large optimizer state). The caches hold hundreds of kilobytes here.
const SLACK: isize = 4 << 10;

#[track_caller]
fn assert_at_baseline(baseline: isize, what: &str) {
    let left = live() - baseline;
    assert!(left.abs() < SLACK, "{left} bytes still live {what}");
}

const N: usize = 200;

/// A few training steps on large matrices: a product above the GEMM threshold, a leaf fed
/// twice to one op (scratch for its gradients), a clipped Adam step (scratch for the clipped
/// gradient); and the same in `f32`. Everything made here is dropped at the end.
fn work() {
    let w0: Box<SMatrix<f64, N, N>> = boxed::from_fn(|r, c| ((r + 2 * c) % 11) as f64 / 11.0);
    let g = Graph::<f64>::new();
    let w = g.var_named_from("w", &w0);
    let x = g.constant_from(&w0);
    let loss = ((w * x).tanh() + w.component_mul(w)).mean();
    let mut optimizer = Optimizer::new(Adam::default()).with_clip_norm(1e-3);
    for _ in 0..3 {
        let grads = loss.backward();
        optimizer.step(&w, &grads);
    }
    drop((optimizer, g));

    let g = Graph::<f32>::new();
    let a = g.var_from(&boxed::from_element::<f32, N, N>(0.5));
    let _ = (a * a).sum().backward();
}

#[test]
fn caches_stay_within_the_budget_and_release_gives_every_byte_back() {
    // Warm up once (the test harness's and the standard library's lazy allocations), then
    // start from empty caches.
    work();
    shapegrad::release_thread_caches();
    assert_eq!(shapegrad::thread_cache_bytes(), 0);
    let baseline = live();

    work();
    let held = live() - baseline;
    let counted = shapegrad::thread_cache_bytes();
    assert!(
        counted > 0 && held > 0,
        "the caches kept nothing: {held} bytes"
    );
    assert!(
        counted <= shapegrad::DEFAULT_THREAD_CACHE_BYTES,
        "{counted} bytes over the budget"
    );
    // What the caches count is what is live (headers of the per-type lists aside).
    assert!(
        (held - counted as isize).abs() < SLACK,
        "{held} bytes live after the work, {counted} counted by the caches"
    );

    shapegrad::release_thread_caches();
    assert_eq!(shapegrad::thread_cache_bytes(), 0);
    assert_eq!(
        live() - baseline,
        0,
        "bytes still held after release_thread_caches"
    );

    // A budget of 256 KiB: each 200×200 f64 buffer (320 KB) is freed rather than kept.
    shapegrad::set_thread_cache_budget(256 << 10);
    work();
    let held = live() - baseline;
    assert!(
        held < (256 << 10) + SLACK,
        "{held} bytes held under a 256 KiB budget"
    );
    assert!(shapegrad::thread_cache_bytes() <= 256 << 10);

    // Lowering the budget below what is held frees the caches at once.
    shapegrad::set_thread_cache_budget(0);
    assert_at_baseline(baseline, "after the budget was set to 0");
    work();
    assert_at_baseline(baseline, "under a budget of 0");
    shapegrad::set_thread_cache_budget(shapegrad::DEFAULT_THREAD_CACHE_BYTES);
}
