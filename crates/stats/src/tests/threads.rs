//! The threading contract of `ViewerStats`: one-writer-at-a-time methods are loud when two calls
//! overlap (debug builds) and free in release builds; a writer handed over through a lock is fine.

use crate::sync::WriterCheck;
use crate::tick::{RING_SLOTS, TickSource};
use crate::{LatencyKind, ViewerStats};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The message of the panic `f` raises.
#[cfg(debug_assertions)]
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map_or_else(|_| String::new(), |m| m.to_string()),
    }
}

#[test]
#[cfg(debug_assertions)]
fn an_overlapping_turn_panics_and_names_its_method() {
    let check = WriterCheck::new();
    let first = check.turn("ViewerStats::record_latency");
    let message = panic_message(|| drop(check.turn("ViewerStats::record_speed")));
    assert!(
        message.starts_with("ViewerStats::record_speed overlapped another call"),
        "{message}"
    );
    drop(first);
    // The first turn is over: the next one is let in.
    drop(check.turn("ViewerStats::record_speed"));
}

#[test]
#[cfg(debug_assertions)]
fn a_drain_inside_a_drain_of_the_same_viewer_panics() {
    let stats = ViewerStats::new();
    stats.record_latency(LatencyKind::TcpConnect, Duration::from_micros(5));
    let message = panic_message(|| {
        stats.drain_latency(LatencyKind::TcpConnect, |_| {
            stats.drain_latency(LatencyKind::PlaylistFetch, |_| {});
        });
    });
    assert!(
        message.starts_with("TickSource::drain_latency overlapped another call"),
        "{message}"
    );
    // The unwind ended the outer turn too: draining works again.
    stats.record_latency(LatencyKind::TcpConnect, Duration::from_micros(6));
    assert!(stats.drain_latency(LatencyKind::TcpConnect, |_| {}) >= 1);
}

#[test]
#[cfg(not(debug_assertions))]
fn release_builds_carry_no_check() {
    assert_eq!(std::mem::size_of::<WriterCheck>(), 0);
}

#[test]
fn a_writer_handed_over_through_a_lock_loses_nothing() {
    const CALLS: u64 = 500;
    let stats = Arc::new(ViewerStats::new());
    let handover = Arc::new(Mutex::new(()));
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let (stats, handover) = (Arc::clone(&stats), Arc::clone(&handover));
            thread::spawn(move || {
                for _ in 0..CALLS {
                    let _writer = handover.lock().unwrap();
                    stats.record_latency(LatencyKind::TcpConnect, Duration::from_micros(1));
                    stats.record_speed(1.0, Instant::now());
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let totals = stats.latency_totals(LatencyKind::TcpConnect);
    // Nobody drained: the ring holds the first RING_SLOTS samples and counts the rest as lost.
    assert_eq!(
        (totals.count, totals.lost),
        (2 * CALLS, 2 * CALLS - RING_SLOTS as u64)
    );
    assert_eq!(
        stats.drain_latency(LatencyKind::TcpConnect, |_| {}),
        RING_SLOTS
    );
}
