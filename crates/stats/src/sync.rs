//! The one place this crate takes its atomics and locks from: `std` normally, `loom` under `cfg(loom)`.
//!
//! Every concurrent type in this crate imports from here, so `RUSTFLAGS="--cfg loom"` swaps the
//! whole crate onto loom's model-checked primitives. Atomics are created in `new()`, never in a
//! `static`: loom's constructors are not `const`. Clippy enforces the rule:
//! `crates/stats/clippy.toml` disallows the `std` atomic types, and this file alone is allowed to
//! name them. Outside loom the atomics are therefore std's behind a transparent newtype of this
//! crate's own (a re-export would be the very type clippy disallows), which derefs to std's, so
//! every method is std's, inlined.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicI64, AtomicU8, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::Ordering;
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std_atomics::{AtomicI64, AtomicU8, AtomicU32, AtomicU64};

/// std's atomics under this crate's own names (see the module docs).
#[cfg(not(loom))]
mod std_atomics {
    #![allow(clippy::disallowed_types)]

    macro_rules! std_atomic {
        ($($name:ident: $int:ty),* $(,)?) => {$(
            #[doc = concat!("`std::sync::atomic::", stringify!($name), "`, taken from the facade.")]
            #[repr(transparent)]
            pub(crate) struct $name(std::sync::atomic::$name);

            impl $name {
                pub(crate) const fn new(value: $int) -> Self {
                    $name(std::sync::atomic::$name::new(value))
                }
            }

            impl std::ops::Deref for $name {
                type Target = std::sync::atomic::$name;

                #[inline(always)]
                fn deref(&self) -> &Self::Target {
                    &self.0
                }
            }

            impl std::fmt::Debug for $name {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    self.0.fmt(f)
                }
            }
        )*};
    }

    std_atomic!(AtomicU8: u8, AtomicU32: u32, AtomicU64: u64, AtomicI64: i64);
}

/// Defines `$name(cell, value)`: raises `cell` to `value` if `value` is larger, never lowers it,
/// and returns the maximum after the call.
///
/// A CAS loop rather than `fetch_max` so that the common case (not a new maximum) is one load
/// and no write: a peak cell read by the aggregator is not dirtied by every sample.
macro_rules! cas_max {
    ($(#[$doc:meta])* $name:ident, $atomic:ty, $int:ty) => {
        $(#[$doc])*
        pub(crate) fn $name(cell: &$atomic, value: $int) -> $int {
            // Relaxed: the maximum is a standalone value; no other memory is published with it.
            let mut current = cell.load(Ordering::Relaxed);
            while value > current {
                // Relaxed (both): as above; a failed CAS reloads and retries against the newer value.
                let (success, failure) = (Ordering::Relaxed, Ordering::Relaxed);
                match cell.compare_exchange_weak(current, value, success, failure) {
                    Ok(_) => return value,
                    Err(actual) => current = actual,
                }
            }
            current
        }
    };
}

cas_max!(
    /// The peak of an unsigned cell (latency maximum).
    cas_max_u64,
    AtomicU64,
    u64
);
cas_max!(
    /// The peak of a signed cell (drift can be negative while ffmpeg catches up).
    cas_max_i64,
    AtomicI64,
    i64
);

/// Makes a single-writer method loud when misused: in debug builds, a call that overlaps another
/// call under the same check (from another thread) panics, naming the method; in release builds
/// the check is zero-sized and compiles to nothing, so the hot path pays nothing.
///
/// It catches the misuse that loses data in practice, two threads inside the methods at once. It
/// cannot prove the contract (every call ordered after the previous one by a lock, a channel or a
/// join): in debug builds the flag itself orders calls that do not overlap.
#[derive(Debug)]
pub(crate) struct WriterCheck {
    #[cfg(debug_assertions)]
    busy: AtomicU8,
}

impl WriterCheck {
    pub(crate) fn new() -> Self {
        WriterCheck {
            #[cfg(debug_assertions)]
            busy: AtomicU8::new(0),
        }
    }

    /// Starts a turn of `method`, which ends when the returned guard drops.
    #[inline(always)]
    pub(crate) fn turn(&self, method: &'static str) -> WriterTurn<'_> {
        #[cfg(debug_assertions)]
        {
            // Acquire: a turn that finds the flag clear sees everything the previous turn wrote.
            let overlapping = self.busy.swap(1, Ordering::Acquire) != 0;
            assert!(
                !overlapping,
                "{method} overlapped another call of the same group: it expects one caller at \
                 a time (see `ViewerStats`, # Threads)"
            );
        }
        #[cfg(not(debug_assertions))]
        let _ = method;
        WriterTurn { check: self }
    }
}

/// One turn of a [`WriterCheck`]; dropping it (also on unwind) lets the next turn in.
#[derive(Debug)]
pub(crate) struct WriterTurn<'a> {
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    check: &'a WriterCheck,
}

impl Drop for WriterTurn<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // Release: publishes this turn's writes to the next turn's Acquire swap.
        #[cfg(debug_assertions)]
        self.check.busy.store(0, Ordering::Release);
    }
}
