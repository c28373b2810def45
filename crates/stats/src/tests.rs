//! Unit tests: what each ffmpeg event does to a viewer's statistics.

use crate::tick::{RING_SLOTS, TickSource};
use crate::*;
use hls_swarm_parse::{Context, Event, Line, ProgressBlock, RequestKind, StatsLine, Timestamp};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn at(ctx: &'static str, addr: u64, ms: Option<i64>, event: Event<'static>) -> Line<'static> {
    Line {
        time: ms.map(|naive_unix_ms| Timestamp { naive_unix_ms }),
        context: Some(Context { name: ctx, addr }),
        level: None,
        event: Some(event),
    }
}

fn get(path: &'static str, kind: RequestKind) -> Event<'static> {
    Event::HttpRequest {
        method: "GET",
        path,
        kind,
    }
}

fn hls_request(url: &'static str) -> Event<'static> {
    Event::HlsSegmentRequest {
        url,
        offset: 0,
        playlist: Some(0),
    }
}

/// A variant lookup that remembers what it created, as the aggregate's map would.
#[derive(Default)]
struct Variants(Mutex<Vec<(String, Arc<VariantStats>)>>);

impl VariantLookup for Variants {
    fn variant(&self, path: &str) -> Arc<VariantStats> {
        let mut all = self.0.lock().unwrap();
        if let Some((_, v)) = all.iter().find(|(p, _)| p == path) {
            return Arc::clone(v);
        }
        let v = Arc::new(VariantStats::new());
        all.push((path.to_owned(), Arc::clone(&v)));
        v
    }
}

impl Variants {
    fn values(&self, path: &str) -> Option<VariantValues> {
        let all = self.0.lock().unwrap();
        all.iter().find(|(p, _)| p == path).map(|(_, v)| v.values())
    }
}

/// The start of `origin-restart.stderr`: master, two media playlists, segments of both, reloads.
fn two_variant_session(rec: &mut Recorder, t0: Instant) {
    let lines = [
        at("http", 1, None, get("/master.m3u8", RequestKind::Manifest)),
        at(
            "hls",
            9,
            None,
            Event::Opening {
                url: "http://o/v0/index.m3u8",
                kind: RequestKind::Manifest,
            },
        ),
        at(
            "http",
            2,
            None,
            get("/v0/index.m3u8", RequestKind::Manifest),
        ),
        at(
            "http",
            3,
            None,
            Event::Opening {
                url: "http://o/v1/index.m3u8",
                kind: RequestKind::Manifest,
            },
        ),
        at(
            "http",
            2,
            None,
            get("/v1/index.m3u8", RequestKind::Manifest),
        ),
        at("hls", 9, None, hls_request("http://o/v0/seg00332.ts")),
        at(
            "http",
            4,
            None,
            get("/v0/seg00332.ts", RequestKind::Segment),
        ),
        at("hls", 9, None, hls_request("http://o/v0/seg00333.ts")),
        at(
            "http",
            5,
            None,
            get("/v0/seg00333.ts", RequestKind::Segment),
        ),
        at("hls", 9, None, hls_request("http://o/v1/seg00332.ts")),
        at(
            "http",
            6,
            None,
            get("/v1/seg00332.ts", RequestKind::Segment),
        ),
        at(
            "http",
            2,
            None,
            get("/v0/index.m3u8", RequestKind::Manifest),
        ),
        at(
            "hls",
            9,
            None,
            Event::MediaSequenceChange { from: 329, to: 330 },
        ),
        at("hls", 9, None, hls_request("http://o/v0/seg00334.ts")),
        at(
            "http",
            4,
            None,
            get("/v0/seg00334.ts?token=1", RequestKind::Segment),
        ),
    ];
    for (i, line) in lines.iter().enumerate() {
        rec.on_line(line, t0 + Duration::from_millis(10 * i as u64));
    }
}

#[test]
fn every_http_request_line_counts_once_by_kind() {
    let stats = Arc::new(ViewerStats::new());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now());
    two_variant_session(&mut rec, Instant::now());
    assert_eq!(stats.get(Counter::ManifestRequests), 4);
    assert_eq!(stats.get(Counter::SegmentRequests), 4);
    assert_eq!(stats.get(Counter::HlsSegmentRequests), 4);
    assert_eq!(stats.counters().total_requests(), 8);
    assert_eq!(stats.get(Counter::SequenceChanges), 1);
    assert_eq!(stats.get(Counter::SequenceJumps), 0);
}

#[test]
fn requests_are_attributed_to_media_playlists_and_never_to_the_master() {
    let stats = Arc::new(ViewerStats::new());
    let variants = Arc::new(Variants::default());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now()).with_variants(variants.clone());
    two_variant_session(&mut rec, Instant::now());
    assert_eq!(
        rec.variant_paths().collect::<Vec<_>>(),
        ["/v0/index.m3u8", "/v1/index.m3u8"]
    );
    assert!(variants.values("/master.m3u8").is_none());
    let v0 = variants.values("/v0/index.m3u8").unwrap();
    assert_eq!((v0.manifest_requests, v0.segment_requests), (2, 3));
    let v1 = variants.values("/v1/index.m3u8").unwrap();
    assert_eq!((v1.manifest_requests, v1.segment_requests), (1, 1));
}

#[test]
fn a_first_playlist_followed_by_segments_is_a_media_playlist() {
    let stats = Arc::new(ViewerStats::new());
    let variants = Arc::new(Variants::default());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now()).with_variants(variants.clone());
    let now = Instant::now();
    rec.on_line(
        &at(
            "http",
            1,
            None,
            get("/live/stream.m3u8", RequestKind::Manifest),
        ),
        now,
    );
    rec.on_line(&at("hls", 9, None, hls_request("http://o/live/s1.ts")), now);
    rec.on_line(
        &at("http", 1, None, get("/live/s1.ts", RequestKind::Segment)),
        now,
    );
    rec.on_line(
        &at(
            "http",
            1,
            None,
            get("/live/stream.m3u8", RequestKind::Manifest),
        ),
        now,
    );
    let v = variants.values("/live/stream.m3u8").unwrap();
    assert_eq!((v.manifest_requests, v.segment_requests), (2, 1));
}

#[test]
fn segments_go_to_the_longest_matching_playlist_directory() {
    let stats = Arc::new(ViewerStats::new());
    let variants = Arc::new(Variants::default());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now()).with_variants(variants.clone());
    let now = Instant::now();
    for (path, kind) in [
        ("/master.m3u8", RequestKind::Manifest),
        ("/low.m3u8", RequestKind::Manifest),
        ("/hi/index.m3u8", RequestKind::Manifest),
        ("/hi/a.ts", RequestKind::Segment),
        ("/low_a.ts", RequestKind::Segment),
    ] {
        rec.on_line(&at("http", 1, None, get(path, kind)), now);
    }
    assert_eq!(
        variants.values("/hi/index.m3u8").unwrap().segment_requests,
        1
    );
    assert_eq!(variants.values("/low.m3u8").unwrap().segment_requests, 1);
}

#[test]
fn http_errors_count_by_status_and_by_the_request_they_answer() {
    let stats = Arc::new(ViewerStats::new());
    let variants = Arc::new(Variants::default());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now()).with_variants(variants.clone());
    let now = Instant::now();
    two_variant_session(&mut rec, now);
    rec.on_line(
        &at(
            "http",
            7,
            None,
            get("/v0/seg00335.ts", RequestKind::Segment),
        ),
        now,
    );
    rec.on_line(
        &at(
            "http",
            2,
            None,
            get("/v1/index.m3u8", RequestKind::Manifest),
        ),
        now,
    );
    rec.on_line(
        &at(
            "http",
            7,
            None,
            Event::HttpError {
                status: 404,
                reason: "Not Found",
            },
        ),
        now,
    );
    for _ in 0..3 {
        let e = Event::HttpError {
            status: 500,
            reason: "Internal Server Error",
        };
        rec.on_line(&at("http", 2, None, e), now);
    }
    rec.on_line(
        &at(
            "http",
            2,
            None,
            Event::HttpError {
                status: 302,
                reason: "Found",
            },
        ),
        now,
    );
    let mut seen = Vec::new();
    stats.for_each_http_error(|status, n| seen.push((status, n)));
    assert_eq!(
        seen,
        [
            (HttpStatus::Code(404), 1),
            (HttpStatus::Code(500), 3),
            (HttpStatus::Other, 1)
        ]
    );
    assert_eq!(stats.get(Counter::HttpErrors), 5);
    assert_eq!(stats.get(Counter::HttpErrorsSegment), 1);
    assert_eq!(stats.get(Counter::HttpErrorsManifest), 4);
    assert_eq!(variants.values("/v1/index.m3u8").unwrap().http_errors, 4);
    assert_eq!(variants.values("/v0/index.m3u8").unwrap().http_errors, 1);
}

#[test]
fn tcp_connect_time_pairs_start_and_success_on_the_same_context() {
    let stats = Arc::new(ViewerStats::new());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now());
    let start = |addr| Event::TcpConnectStart { addr, port: 80 };
    let done = |addr| Event::TcpConnected { addr, port: 80 };
    let now = Instant::now();
    rec.on_line(&at("tcp", 1, Some(1_000), start("10.0.0.1")), now);
    rec.on_line(&at("tcp", 2, Some(1_001), start("10.0.0.1")), now);
    rec.on_line(&at("tcp", 2, Some(1_004), done("10.0.0.1")), now);
    rec.on_line(&at("tcp", 1, Some(1_012), done("10.0.0.1")), now);
    // A success with no start seen (line dropped) counts but gives no sample.
    rec.on_line(&at("tcp", 3, Some(1_013), done("10.0.0.1")), now);
    let failed = Event::TcpConnectFailed {
        target: "o:80",
        reason: "Connection refused",
    };
    rec.on_line(&at("tcp", 4, Some(1_020), start("10.0.0.1")), now);
    rec.on_line(&at("tcp", 4, Some(1_021), failed), now);
    assert_eq!(stats.get(Counter::TcpConnects), 3);
    assert_eq!(stats.get(Counter::TcpConnectFailures), 1);
    let mut samples = Vec::new();
    stats.drain_latency(LatencyKind::TcpConnect, |us| samples.push(us));
    assert_eq!(samples, [3_000, 12_000]);
    let totals = stats.latency_totals(LatencyKind::TcpConnect);
    assert_eq!((totals.count, totals.max_us, totals.lost), (2, 12_000, 0));
    assert_eq!(stats.drain_latency(LatencyKind::TcpConnect, |_| {}), 0);
}

#[test]
fn playlist_fetch_is_bounded_by_the_next_step_that_needs_the_body() {
    let stats = Arc::new(ViewerStats::new());
    let mut rec = Recorder::new(Arc::clone(&stats), Instant::now());
    let now = Instant::now();
    let open_v0 = Event::Opening {
        url: "http://o/v0/index.m3u8",
        kind: RequestKind::Manifest,
    };
    let lines = [
        // master fetched, then the demuxer opens a variant: 2 ms.
        at(
            "http",
            1,
            Some(100),
            get("/master.m3u8", RequestKind::Manifest),
        ),
        at("hls", 9, Some(102), open_v0),
        // v0 fetched, then the demuxer asks for a v0 segment: 5 ms.
        at(
            "http",
            2,
            Some(103),
            get("/v0/index.m3u8", RequestKind::Manifest),
        ),
        at("hls", 9, Some(108), hls_request("http://o/v0/s1.ts")),
        // reload with nothing new, superseded by the next reload: no sample for the first.
        at(
            "http",
            2,
            Some(2_000),
            get("/v0/index.m3u8", RequestKind::Manifest),
        ),
        at(
            "http",
            2,
            Some(3_000),
            get("/v0/index.m3u8", RequestKind::Manifest),
        ),
        at("hls", 9, Some(3_001), hls_request("http://o/v0/s2.ts")),
        // a failed reload gives no sample.
        at(
            "http",
            2,
            Some(4_000),
            get("/v0/index.m3u8", RequestKind::Manifest),
        ),
        at(
            "http",
            2,
            Some(4_001),
            Event::HttpError {
                status: 500,
                reason: "x",
            },
        ),
        at("hls", 9, Some(4_002), hls_request("http://o/v0/s3.ts")),
    ];
    for line in &lines {
        rec.on_line(line, now);
    }
    let mut samples = Vec::new();
    stats.drain_latency(LatencyKind::PlaylistFetch, |us| samples.push(us));
    assert_eq!(samples, [2_000, 5_000, 1_000]);
}

#[test]
fn bytes_survive_restarts_and_name_their_source() {
    let stats = Arc::new(ViewerStats::new());
    assert_eq!(stats.bytes(), (0, BytesSource::None));
    let now = Instant::now();
    let mut rec = Recorder::new(Arc::clone(&stats), now);
    let avio = |bytes| at("AVIOContext", 1, None, Event::AvioBytesRead { bytes });
    rec.on_line(&avio(1_000), now);
    rec.on_line(&avio(500), now);
    assert_eq!(stats.bytes(), (1_500, BytesSource::AvioStatistics));
    let mut rec = Recorder::new(Arc::clone(&stats), now);
    assert_eq!(stats.snapshot(now).current_process_bytes, 0);
    rec.on_line(&avio(200), now);
    let snap = stats.snapshot(now);
    assert_eq!((snap.bytes(), snap.current_process_bytes), (1_700, 200));
    assert_eq!((stats.starts(), snap.restarts()), (2, 1));
}

#[test]
fn segment_sizes_take_precedence_once_a_lookup_answers() {
    struct Sizes;
    impl SegmentSizeLookup for Sizes {
        fn segment_size(&self, path: &str) -> Option<u64> {
            path.ends_with("known.ts").then_some(1_000)
        }
    }
    let stats = Arc::new(ViewerStats::new());
    let now = Instant::now();
    let mut rec = Recorder::new(Arc::clone(&stats), now).with_segment_sizes(Arc::new(Sizes));
    rec.on_line(
        &at("AVIOContext", 1, None, Event::AvioBytesRead { bytes: 7 }),
        now,
    );
    rec.on_line(
        &at("http", 1, None, get("/a/known.ts", RequestKind::Segment)),
        now,
    );
    rec.on_line(
        &at("http", 1, None, get("/a/other.ts", RequestKind::Segment)),
        now,
    );
    rec.on_line(
        &at("http", 1, None, get("/a/known.ts", RequestKind::Segment)),
        now,
    );
    // The last request is still in flight: its size counts once its outcome is known.
    assert_eq!(stats.bytes(), (1_000, BytesSource::SegmentSizes));
    drop(rec);
    assert_eq!(stats.bytes(), (2_000, BytesSource::SegmentSizes));
    assert_eq!(stats.mean_segment_size(), Some(1_000.0));
}

#[test]
fn a_segment_answered_with_an_error_adds_no_bytes() {
    struct Sizes;
    impl SegmentSizeLookup for Sizes {
        fn segment_size(&self, _path: &str) -> Option<u64> {
            Some(500)
        }
    }
    let stats = Arc::new(ViewerStats::new());
    let now = Instant::now();
    let mut rec = Recorder::new(Arc::clone(&stats), now).with_segment_sizes(Arc::new(Sizes));
    rec.on_line(
        &at("http", 1, None, get("/a/s1.ts", RequestKind::Segment)),
        now,
    );
    rec.on_line(
        &at("http", 2, None, get("/a/s2.ts", RequestKind::Segment)),
        now,
    );
    let not_found = Event::HttpError {
        status: 404,
        reason: "Not Found",
    };
    rec.on_line(&at("http", 2, None, not_found), now);
    rec.on_line(
        &at("http", 1, None, get("/a/s3.ts", RequestKind::Segment)),
        now,
    );
    drop(rec);
    // s1 (answered: the next request reused its connection) and s3 (run over); not s2.
    assert_eq!(stats.bytes(), (1_000, BytesSource::SegmentSizes));
}

fn progress(speed: Option<f64>, out_time_us: Option<i64>) -> ProgressBlock {
    ProgressBlock {
        speed,
        out_time_us,
        ..ProgressBlock::default()
    }
}

#[test]
fn a_viewer_slow_from_its_first_speed_is_stalled_after_five_seconds() {
    let stats = Arc::new(ViewerStats::new());
    let t0 = Instant::now();
    let mut rec = Recorder::new(Arc::clone(&stats), t0);
    rec.on_progress(&progress(Some(0.5), None), t0);
    assert!(!stats.playback(t0 + Duration::from_secs(5)).stalled);
    // N/A keeps the clock running: unknown is not healthy.
    rec.on_progress(&progress(None, None), t0 + Duration::from_secs(3));
    let later = stats.playback(t0 + Duration::from_millis(5_001));
    assert!(later.stalled);
    assert_eq!(later.speed, Some(0.5));
    rec.on_progress(&progress(Some(1.0), None), t0 + Duration::from_secs(6));
    assert!(!stats.playback(t0 + Duration::from_secs(20)).stalled);
    // Slow again: the clock restarts from the new crossing.
    rec.on_progress(&progress(Some(0.8), None), t0 + Duration::from_secs(20));
    let p = stats.playback(t0 + Duration::from_secs(24));
    assert_eq!(
        (p.stalled, p.below_for),
        (false, Some(Duration::from_secs(4)))
    );
}

#[test]
fn drift_is_measured_from_the_current_process_start() {
    let stats = Arc::new(ViewerStats::new());
    let t0 = Instant::now();
    let mut rec = Recorder::new(Arc::clone(&stats), t0);
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
    let stats = Arc::new(ViewerStats::new());
    let t0 = Instant::now();
    let mut rec = Recorder::new(Arc::clone(&stats), t0);
    let stats_line = |speed| {
        let line = StatsLine {
            speed: Some(speed),
            ..StatsLine::default()
        };
        Line {
            time: None,
            context: None,
            level: None,
            event: Some(Event::Stats(line)),
        }
    };
    rec.on_line(&stats_line(1.5), t0);
    assert_eq!(stats.playback(t0).speed, Some(1.5));
    rec.on_progress(&progress(Some(1.1), None), t0);
    rec.on_line(&stats_line(0.1), t0);
    assert_eq!(stats.playback(t0).speed, Some(1.1));
}

#[test]
fn exits_are_grouped_with_the_last_error_line() {
    let stats = Arc::new(ViewerStats::new());
    let now = Instant::now();
    for _ in 0..3 {
        let mut rec = Recorder::new(Arc::clone(&stats), now);
        let msg = Event::ErrorMessage {
            level: hls_swarm_parse::Level::Error,
            message: "Unrecognized option 'seg_max_retry'.",
        };
        rec.on_line(
            &Line {
                time: None,
                context: None,
                level: None,
                event: Some(msg),
            },
            now,
        );
        stats.record_exit(ExitReason::Code(1));
        assert_eq!(stats.state(), ViewerState::Restarting);
    }
    Recorder::new(Arc::clone(&stats), now);
    stats.record_exit(ExitReason::Stopped);
    let exits = stats.exits();
    assert_eq!(exits.len(), 2);
    assert_eq!(exits[0].reason, ExitReason::Code(1));
    assert_eq!(exits[0].count, 3);
    assert_eq!(
        exits[0].last_error.as_deref(),
        Some("Unrecognized option 'seg_max_retry'.")
    );
    assert_eq!(
        (exits[1].reason, exits[1].last_error.clone()),
        (ExitReason::Stopped, None)
    );
    assert_eq!(stats.state(), ViewerState::Stopped);
    assert_eq!(stats.snapshot(now).exits, 4);
}

#[test]
fn error_counters_follow_their_events() {
    let stats = Arc::new(ViewerStats::new());
    let now = Instant::now();
    let mut rec = Recorder::new(Arc::clone(&stats), now);
    let events = [
        Event::PlaylistReloadFailed { playlist: 1 },
        Event::SegmentOpenFailed {
            segment: 3,
            playlist: 0,
        },
        Event::SegmentSkipped {
            segment: 3,
            playlist: 0,
        },
        Event::SegmentsExpired { count: 5 },
        Event::MediaSequenceChange { from: 10, to: 14 },
        Event::KeepAliveRetry {
            url: "http://o/a.ts",
            reason: "x",
        },
        Event::ReconnectScheduled {
            offset: 0,
            delay_s: 1,
        },
        Event::TcpAttemptFailed {
            addr: "::1",
            port: 80,
            reason: "refused",
        },
    ];
    for e in events {
        rec.on_line(&at("hls", 1, None, e), now);
    }
    let c = stats.counters();
    for (counter, n) in [
        (Counter::PlaylistReloadFailures, 1),
        (Counter::SegmentOpenFailures, 1),
        (Counter::SegmentsSkipped, 1),
        (Counter::SegmentsExpired, 5),
        (Counter::SequenceJumps, 1),
        (Counter::KeepAliveRetries, 1),
        (Counter::Reconnects, 1),
        (Counter::TcpAttemptFailures, 1),
    ] {
        assert_eq!(c.get(counter), n, "{}", counter.name());
    }
}

#[test]
fn lines_read_and_dropped_are_kept_per_stream() {
    let stats = ViewerStats::new();
    stats.add_lines_read(Stream::Stderr, 100);
    stats.add_lines_dropped(Stream::Stderr, 3);
    stats.add_lines_read(Stream::Progress, 12);
    let snap = stats.snapshot(Instant::now());
    assert_eq!(
        snap.stderr_lines,
        LineCounts {
            read: 100,
            dropped: 3
        }
    );
    assert_eq!(
        snap.progress_lines,
        LineCounts {
            read: 12,
            dropped: 0
        }
    );
}

#[test]
fn a_full_latency_ring_counts_lost_samples_instead_of_blocking() {
    let stats = ViewerStats::new();
    for i in 0..(RING_SLOTS as u64 + 5) {
        stats.record_latency(LatencyKind::TcpConnect, Duration::from_micros(i));
    }
    let totals = stats.latency_totals(LatencyKind::TcpConnect);
    assert_eq!((totals.count, totals.lost), (RING_SLOTS as u64 + 5, 5));
    assert_eq!(
        stats.drain_latency(LatencyKind::TcpConnect, |_| {}),
        RING_SLOTS
    );
}

#[test]
fn counter_names_are_unique() {
    let mut names: Vec<_> = Counter::ALL.iter().map(|c| c.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Counter::COUNT);
}
