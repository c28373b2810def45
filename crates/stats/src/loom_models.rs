//! Loom models of the lock-free parts: run with `RUSTFLAGS="--cfg loom" cargo test -p hls-swarm-stats --release loom_`.

use crate::bytes::ByteCells;
use crate::http_errors::{HttpErrorCells, HttpStatus};
use crate::latency::SampleRing;
use crate::playback::{PlaybackCells, STALL_SPEED};
use crate::sync::{AtomicI64, AtomicU64, Ordering, cas_max_i64, cas_max_u64};
use loom::sync::Arc;
use loom::thread::{self, JoinHandle};
use std::time::Duration;

/// Runs `f` on a new model thread with its own handle to `shared`.
fn spawn_with<T>(shared: &Arc<T>, f: impl FnOnce(&T) + Send + 'static) -> JoinHandle<()>
where
    T: Send + Sync + 'static,
{
    let shared = Arc::clone(shared);
    thread::spawn(move || f(&shared))
}

#[test]
fn loom_cas_max_concurrent_writers_never_lose_the_maximum() {
    loom::model(|| {
        let peaks = Arc::new((AtomicU64::new(0), AtomicI64::new(i64::MIN)));
        let writers: Vec<_> = [(7u64, -3i64), (5, -1)]
            .into_iter()
            .map(|(u, i)| {
                spawn_with(&peaks, move |(peak, signed)| {
                    cas_max_u64(peak, u);
                    cas_max_i64(signed, i);
                })
            })
            .collect();
        cas_max_u64(&peaks.0, 6);
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(peaks.0.load(Ordering::Relaxed), 7);
        assert_eq!(peaks.1.load(Ordering::Relaxed), -1);
    });
}

#[test]
fn loom_bytes_roll_over_racing_a_reader_never_goes_backwards() {
    loom::model(|| {
        let bytes = Arc::new(ByteCells::new());
        let writer = spawn_with(&bytes, |bytes| {
            bytes.add(100);
            bytes.roll_over();
            bytes.add(50);
        });
        let first = bytes.total();
        let second = bytes.total();
        assert!(second >= first, "total went back: {first} -> {second}");
        assert!(first == 0 || first == 100 || first == 150);
        writer.join().unwrap();
        assert_eq!((bytes.total(), bytes.current()), (150, 50));
    });
}

#[test]
fn loom_concurrent_http_error_records_lose_no_count() {
    loom::model(|| {
        let errors = Arc::new(HttpErrorCells::new());
        let writers: Vec<_> = [404u16, 503]
            .into_iter()
            .map(|code| {
                spawn_with(&errors, move |errors| {
                    errors.record(HttpStatus::Code(404));
                    errors.record(HttpStatus::from_code(code));
                })
            })
            .collect();
        let mut seen = 0;
        errors.for_each(|_, n| seen += n);
        assert!(seen <= 4);
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(errors.get(HttpStatus::Code(404)), 3);
        assert_eq!(errors.get(HttpStatus::Code(503)), 1);
        let mut all = Vec::new();
        errors.for_each(|s, n| all.push((s, n)));
        assert_eq!(
            all,
            [(HttpStatus::Code(404), 3), (HttpStatus::Code(503), 1)]
        );
    });
}

/// Playback cells, and a model thread recording `speeds` (speed, at second) into them in order.
fn speeds_recorded_by_a_thread(
    speeds: &'static [(f64, u64)],
) -> (Arc<PlaybackCells>, JoinHandle<()>) {
    let playback = Arc::new(PlaybackCells::new());
    let writer = spawn_with(&playback, move |playback| {
        for &(speed, secs) in speeds {
            playback.record_speed(speed, Duration::from_secs(secs));
        }
    });
    (playback, writer)
}

#[test]
fn loom_speed_stall_transition_is_seen_consistently() {
    loom::model(|| {
        // The very first speed is slow: the clock must start.
        let (playback, writer) = speeds_recorded_by_a_thread(&[(0.5, 1), (1.2, 10)]);
        let seen = playback.values(Duration::from_secs(10));
        // Stalled for a slow speed it returns, or for the silence since the report it saw.
        if seen.stalled && !seen.silent {
            assert!(seen.speed.is_some_and(|s| s < STALL_SPEED), "{seen:?}");
        }
        if seen.silent {
            assert!(
                seen.speed.is_some(),
                "silent since a report whose speed is not seen"
            );
        }
        writer.join().unwrap();
        let after = playback.values(Duration::from_secs(10));
        assert!(!after.stalled);
        assert_eq!(after.speed, Some(1.2));
    });
}

#[test]
fn loom_first_slow_speed_starts_the_stall_clock() {
    loom::model(|| {
        let (playback, writer) = speeds_recorded_by_a_thread(&[(0.5, 1)]);
        let during = playback.values(Duration::from_secs(7));
        assert!(!during.stalled || during.speed == Some(0.5));
        writer.join().unwrap();
        assert!(playback.values(Duration::from_secs(7)).stalled);
    });
}

#[test]
fn loom_latency_ring_hands_over_each_sample_exactly_once() {
    loom::model(|| {
        let ring: Arc<SampleRing> = Arc::new(SampleRing::new());
        let producer = spawn_with(&ring, |ring| {
            ring.push(Duration::from_micros(1));
            ring.push(Duration::from_micros(2));
        });
        let mut got = Vec::new();
        ring.drain(|us| got.push(us));
        producer.join().unwrap();
        ring.drain(|us| got.push(us));
        assert_eq!(got, [1, 2]);
    });
}
