//! One byte budget per thread for everything shapegrad keeps between calls: a dropped graph's
//! spare tape (`src/tape/pool.rs`), scratch buffers (`scratch`) and the GEMM's packing
//! buffers (`float`). Each cache asks [`hold`] before it keeps a buffer and gives the bytes
//! back with [`unhold`] when it lets the buffer go; what does not fit is freed at once.
//!
//! The caches only exist to spare the allocator (and the page faults of large blocks) on the
//! next step: a buffer that does not fit costs an allocation next time, never a wrong result.

use std::cell::Cell;

/// The default per-thread byte budget of shapegrad's caches: 64 MiB (see
/// [`set_thread_cache_budget`](crate::set_thread_cache_budget)).
///
/// ```
/// assert_eq!(shapegrad::DEFAULT_THREAD_CACHE_BYTES, 64 << 20);
/// ```
pub const DEFAULT_THREAD_CACHE_BYTES: usize = 64 << 20;

thread_local! {
    static BUDGET: Cell<usize> = const { Cell::new(DEFAULT_THREAD_CACHE_BYTES) };
    static HELD: Cell<usize> = const { Cell::new(0) };
}

/// Whether a cache may keep `bytes` more; if so they are counted as held.
pub(crate) fn hold(bytes: usize) -> bool {
    let (Ok(budget), Ok(held)) = (BUDGET.try_with(Cell::get), HELD.try_with(Cell::get)) else {
        return false; // the thread is exiting: keep nothing
    };
    match held.checked_add(bytes) {
        Some(total) if total <= budget => {
            let _ = HELD.try_with(|h| h.set(total));
            true
        }
        _ => false,
    }
}

/// Gives back `bytes` a cache held (it took the buffer out, or freed it).
pub(crate) fn unhold(bytes: usize) {
    let _ = HELD.try_with(|h| h.set(h.get().saturating_sub(bytes)));
}

/// The bytes this thread's caches hold now.
pub(crate) fn held() -> usize {
    HELD.try_with(Cell::get).unwrap_or(0)
}

/// This thread's budget in bytes.
pub(crate) fn budget() -> usize {
    BUDGET.try_with(Cell::get).unwrap_or(0)
}

/// Sets this thread's budget (the caches over it are emptied by the caller).
pub(crate) fn set_budget(bytes: usize) {
    let _ = BUDGET.try_with(|b| b.set(bytes));
}

#[cfg(test)]
mod tests {
    use super::{budget, held, hold, set_budget, unhold};

    #[test]
    fn what_does_not_fit_the_budget_is_not_held() {
        let (before, old) = (held(), budget());
        set_budget(before + 100);
        assert!(hold(60));
        assert!(!hold(41), "60 + 41 bytes are over a budget of 100");
        assert!(hold(40));
        assert_eq!(held(), before + 100);
        unhold(100);
        assert_eq!(held(), before);
        set_budget(old);
    }
}
