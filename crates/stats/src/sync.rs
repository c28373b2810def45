//! The one place this crate takes its atomics and locks from: `std` normally, `loom` under `cfg(loom)`.
//!
//! Every concurrent type in this crate imports from here, so `RUSTFLAGS="--cfg loom"` swaps the
//! whole crate onto loom's model-checked primitives. Atomics are created in `new()`, never in a
//! `static`: loom's constructors are not `const`.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicI64, AtomicU8, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU32, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// Raises `cell` to `value` if `value` is larger; never lowers it. Returns the maximum after the call.
///
/// A CAS loop rather than `fetch_max` so that the common case (not a new maximum) is one load
/// and no write: a peak cell read by the aggregator is not dirtied by every sample.
pub(crate) fn cas_max_u64(cell: &AtomicU64, value: u64) -> u64 {
    // Relaxed: the maximum is a standalone value; no other memory is published with it.
    let mut current = cell.load(Ordering::Relaxed);
    while value > current {
        // Relaxed (both): as above; a failed CAS reloads and retries against the newer value.
        match cell.compare_exchange_weak(current, value, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return value,
            Err(actual) => current = actual,
        }
    }
    current
}

/// [`cas_max_u64`] for signed values (drift can be negative while ffmpeg catches up).
pub(crate) fn cas_max_i64(cell: &AtomicI64, value: i64) -> i64 {
    // Relaxed: the maximum is a standalone value; no other memory is published with it.
    let mut current = cell.load(Ordering::Relaxed);
    while value > current {
        // Relaxed (both): as above; a failed CAS reloads and retries against the newer value.
        match cell.compare_exchange_weak(current, value, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return value,
            Err(actual) => current = actual,
        }
    }
    current
}
