//! Playback: speed and the stall clock, drift against the current process, the `-stats` fallback.

use super::bare;
use crate::{Recorder, ViewerStats};
use hls_swarm_parse::{Event, ProgressBlock, StatsLine};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn progress(speed: Option<f64>, out_time_us: Option<i64>) -> ProgressBlock {
    ProgressBlock {
        speed,
        out_time_us,
        ..ProgressBlock::default()
    }
}

/// A viewer and the recorder of its process started at `t0`.
fn started(t0: Instant) -> (Arc<ViewerStats>, Recorder) {
    let stats = Arc::new(ViewerStats::new());
    let rec = Recorder::new(Arc::clone(&stats), t0);
    (stats, rec)
}

#[test]
fn a_viewer_slow_from_its_first_speed_is_stalled_after_five_seconds() {
    let t0 = Instant::now();
    let (stats, mut rec) = started(t0);
    rec.on_progress(&progress(Some(0.5), None), t0);
    assert!(!stats.playback(t0 + Duration::from_secs(5)).stalled);
    // N/A keeps the clock running: unknown is not healthy.
    rec.on_progress(&progress(None, None), t0 + Duration::from_secs(3));
    let later = stats.playback(t0 + Duration::from_millis(5_001));
    assert!(later.stalled);
    assert_eq!(later.speed, Some(0.5));
    rec.on_progress(&progress(Some(1.0), None), t0 + Duration::from_secs(6));
    assert!(!stats.playback(t0 + Duration::from_secs(11)).stalled);
    // Slow again: the clock restarts from the new crossing.
    rec.on_progress(&progress(Some(0.8), None), t0 + Duration::from_secs(20));
    let p = stats.playback(t0 + Duration::from_secs(24));
    assert_eq!(
        (p.stalled, p.below_for),
        (false, Some(Duration::from_secs(4)))
    );
}

#[test]
fn a_viewer_silent_for_five_seconds_is_stalled_until_it_reports_again() {
    let t0 = Instant::now();
    let (stats, mut rec) = started(t0);
    // Before its first report a process is not judged: ffmpeg is still opening the stream.
    assert!(!stats.playback(t0 + Duration::from_secs(30)).stalled);
    rec.on_progress(&progress(Some(1.0), None), t0 + Duration::from_secs(30));
    assert!(!stats.playback(t0 + Duration::from_secs(35)).stalled);
    // A stale playlist: ffmpeg waits for a segment inside its read loop and reports nothing.
    let silent = stats.playback(t0 + Duration::from_millis(35_001));
    assert_eq!((silent.stalled, silent.speed), (true, Some(1.0)));
    rec.on_progress(&progress(Some(1.0), None), t0 + Duration::from_secs(40));
    assert!(!stats.playback(t0 + Duration::from_secs(41)).stalled);
    // A new process run is not stalled for the silence of the one before it.
    let _next = Recorder::new(Arc::clone(&stats), t0 + Duration::from_secs(50));
    assert!(!stats.playback(t0 + Duration::from_secs(60)).stalled);
}

#[test]
fn drift_is_measured_from_the_current_process_start() {
    let t0 = Instant::now();
    let (stats, mut rec) = started(t0);
    rec.on_progress(
        &progress(Some(1.0), Some(8_000_000)),
        t0 + Duration::from_secs(10),
    );
    assert_eq!(stats.playback(t0).drift_ms, Some(2_000));
    let t1 = t0 + Duration::from_secs(60);
    let mut rec = Recorder::new(Arc::clone(&stats), t1);
    assert_eq!(stats.playback(t1).drift_ms, None);
    rec.on_progress(
        &progress(Some(1.0), Some(4_500_000)),
        t1 + Duration::from_secs(5),
    );
    let p = stats.playback(t1);
    assert_eq!((p.drift_ms, p.max_drift_ms), (Some(500), 2_000));
}

#[test]
fn the_stats_line_is_a_fallback_only_without_progress_blocks() {
    let t0 = Instant::now();
    let (stats, mut rec) = started(t0);
    let stats_line = |speed| {
        let line = StatsLine {
            speed: Some(speed),
            ..StatsLine::default()
        };
        bare(Event::Stats(line))
    };
    rec.on_line(&stats_line(1.5), t0);
    assert_eq!(stats.playback(t0).speed, Some(1.5));
    rec.on_progress(&progress(Some(1.1), None), t0);
    rec.on_line(&stats_line(0.1), t0);
    assert_eq!(stats.playback(t0).speed, Some(1.1));
}
