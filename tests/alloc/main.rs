//! Allocation counts, as one test binary of its own: its `#[global_allocator]` counts, per
//! thread, the heap allocations a closure makes (`counting.rs`), so the test harness's own
//! threads do not disturb it and the tests may run in parallel. One module per behaviour:
//!
//! - `replay`: a replayed step (set leaves, forward, backward, read gradients and values),
//!   fresh graphs once the thread has built one, second-order entry points, the plan cache;
//! - `gemm`: the blocked matrix product's packing buffers belong to the thread;
//! - `training`: mini-batch training with AdamW, a schedule and clipping.
//!
//! `cargo test --test alloc` runs them all, `cargo test --test alloc gemm::` one module; CI
//! also runs `gemm::` in a release build, where it counts more steps.

#[path = "../common/mod.rs"]
mod common;
mod counting;

mod gemm;
mod replay;
#[cfg(all(feature = "data", feature = "io"))]
mod training;

use std::hint::black_box;

use counting::{Counting, allocations};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn the_counter_sees_an_allocation() {
    assert_eq!(
        allocations(|| drop(black_box(Vec::<u8>::with_capacity(1)))),
        1
    );
    assert_eq!(allocations(|| drop(black_box(Box::new([1u64; 4])))), 1);
    assert_eq!(
        allocations(|| _ = black_box(nalgebra::Matrix1::new(1.0))),
        0
    );
}
