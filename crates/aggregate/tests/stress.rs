//! Stress: writers update and register/remove viewers while readers load snapshots and a ticker ticks.

use hls_swarm_aggregate::{Aggregator, Snapshot};
use hls_swarm_stats::{Counter, ExitReason, LatencyKind, Stream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

const WRITERS: u32 = 4;
const READERS: usize = 2;
const VIEWERS_PER_WRITER: u32 = 50;
const ROUNDS: u64 = 200;

/// Every total that must never go down between two successive snapshots.
fn monotone_fields(s: &Snapshot) -> Vec<u64> {
    let mut v: Vec<u64> = s.totals.counters.0.to_vec();
    v.extend([
        s.totals.avio_bytes,
        s.viewers.started,
        s.viewers.process_starts,
        s.pipeline.lines_read(),
        s.latency.tcp_connect.count,
        s.http_errors.iter().map(|(_, n)| n).sum(),
        s.exits.iter().map(|e| e.count).sum(),
    ]);
    v
}

fn assert_not_behind(earlier: &Snapshot, later: &Snapshot) {
    assert!(later.seq >= earlier.seq);
    for (i, (a, b)) in monotone_fields(earlier)
        .iter()
        .zip(monotone_fields(later).iter())
        .enumerate()
    {
        assert!(
            b >= a,
            "field {i} went back from {a} to {b} (seq {} -> {})",
            earlier.seq,
            later.seq
        );
    }
}

#[test]
fn snapshots_are_monotone_and_final_totals_exact() {
    let swarm = Arc::new(Aggregator::new(
        "http://o/m.m3u8",
        WRITERS * VIEWERS_PER_WRITER,
        Instant::now(),
    ));
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(WRITERS as usize + READERS + 1));

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (swarm, start) = (Arc::clone(&swarm), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                let ids = w * VIEWERS_PER_WRITER..(w + 1) * VIEWERS_PER_WRITER;
                for round in 0..ROUNDS {
                    for id in ids.clone() {
                        let v = swarm.register(id);
                        if round == 0 {
                            v.begin_process();
                        }
                        v.add(Counter::SegmentRequests, 1);
                        v.add(Counter::ManifestRequests, 2);
                        v.add_avio_bytes(100);
                        v.add_lines_read(Stream::Stderr, 3);
                        if round % 50 == 0 {
                            v.set_last_error(if id % 2 == 0 { "even" } else { "odd" });
                            v.record_exit(ExitReason::Code(1));
                        }
                        if round % 10 == 0 {
                            v.record_http_error(404);
                            v.record_latency(LatencyKind::TcpConnect, Duration::from_micros(500));
                        }
                    }
                    // Halfway, half the viewers finish and are removed (their totals retire);
                    // the next round registers those ids again as fresh viewers.
                    if round == ROUNDS / 2 - 1 {
                        for id in ids.clone().step_by(2) {
                            assert!(swarm.remove(id));
                        }
                    }
                }
            })
        })
        .collect();

    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (swarm, done, start) = (Arc::clone(&swarm), Arc::clone(&done), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                let mut last = swarm.snapshot();
                let mut loads = 0u64;
                while !done.load(Ordering::Acquire) {
                    let now = swarm.snapshot();
                    assert_not_behind(&last, &now);
                    last = now;
                    loads += 1;
                }
                loads
            })
        })
        .collect();

    let ticker = {
        let (swarm, done) = (Arc::clone(&swarm), Arc::clone(&done));
        thread::spawn(move || {
            let mut last = swarm.tick(Instant::now());
            let mut ticks = 1u64;
            while !done.load(Ordering::Acquire) {
                let now = swarm.tick(Instant::now());
                assert_not_behind(&last, &now);
                last = now;
                ticks += 1;
            }
            ticks
        })
    };

    start.wait();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Release);
    let loads: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    let ticks = ticker.join().unwrap();
    assert!(ticks > 1 && loads > 0, "ticks {ticks}, loads {loads}");

    // Every id received ROUNDS updates, across one or two lives (retired + fresh).
    let s = swarm.tick(Instant::now());
    let viewers = u64::from(WRITERS * VIEWERS_PER_WRITER);
    let c = &s.totals.counters;
    assert_eq!(c.get(Counter::SegmentRequests), viewers * ROUNDS);
    assert_eq!(c.get(Counter::ManifestRequests), 2 * viewers * ROUNDS);
    assert_eq!(s.totals.avio_bytes, 100 * viewers * ROUNDS);
    assert_eq!(s.pipeline.stderr.read, 3 * viewers * ROUNDS);
    assert_eq!(
        s.http_errors.iter().map(|(_, n)| n).sum::<u64>(),
        viewers * ROUNDS / 10
    );
    assert_eq!(s.latency.tcp_connect.count, viewers * ROUNDS / 10);
    assert_eq!(s.viewers.started, viewers);
    assert_eq!(
        s.exits.iter().map(|e| e.count).sum::<u64>(),
        viewers * ROUNDS / 50
    );
    assert_eq!(s.exits.len(), 2);
    assert_eq!(s.viewers.registered, viewers);
}
