//! ffmpeg 9.0's log, from real captures (`data/ffmpeg-9.0/`): every event hls-swarm counts is
//! recognised in it, though ffmpeg 7+ names the hls demuxer `in#0` and `in#0/hls` rather than
//! `hls`, stamps every line to the millisecond, and adds `elapsed=` to the `-stats` line.

use hls_swarm_parse::{Context, Event, Level, RequestKind, parse_line, split_log_lines};

const CAPTURES: [&[u8]; 3] = [
    include_bytes!("data/ffmpeg-9.0/healthy.stderr"),
    include_bytes!("data/ffmpeg-9.0/http-errors.stderr"),
    include_bytes!("data/ffmpeg-9.0/origin-restart.stderr"),
];

/// Lines copied verbatim from `data/ffmpeg-9.0/*.stderr`, with the event each must give.
fn table() -> Vec<(&'static str, Event<'static>)> {
    vec![
        (
            "2026-12-03 10:56:21.416 [http @ 0x562fc2daccc0] [debug] request: GET /v0/seg1796295378.ts HTTP/1.1",
            Event::HttpRequest {
                method: "GET",
                path: "/v0/seg1796295378.ts",
                kind: RequestKind::Segment,
            },
        ),
        (
            "2026-12-03 10:57:59.653 [http @ 0x55e3dc42eb40] [warning] HTTP error 404 Not Found",
            Event::HttpError {
                status: 404,
                reason: "Not Found",
            },
        ),
        (
            "2026-12-03 10:57:59.651 [http @ 0x55e3dc41ad40] [warning] HTTP error 503 Service Unavailable",
            Event::HttpError {
                status: 503,
                reason: "Service Unavailable",
            },
        ),
        // The demuxer as `in#0` (while the input is opened) ...
        (
            "2026-12-03 10:57:59.652 [in#0 @ 0x55e3dc416d00] [verbose] HLS request for url 'http://127.0.0.1:18096/v0/seg1796295476.ts', offset 0, playlist 0",
            Event::HlsSegmentRequest {
                url: "http://127.0.0.1:18096/v0/seg1796295476.ts",
                offset: 0,
                playlist: Some(0),
            },
        ),
        (
            "2026-12-03 10:57:59.653 [in#0 @ 0x55e3dc416d00] [warning] Failed to open segment 1796295476 of playlist 0",
            Event::SegmentOpenFailed {
                segment: 1_796_295_476,
                playlist: 0,
            },
        ),
        (
            "2026-12-03 10:56:21.415 [in#0 @ 0x562fc2d85d00] [info] Opening 'http://127.0.0.1:18095/v0/index.m3u8' for reading",
            Event::Opening {
                url: "http://127.0.0.1:18095/v0/index.m3u8",
                kind: RequestKind::Manifest,
            },
        ),
        // ... and as `in#0/hls` (from its own thread, once the input runs).
        (
            "2026-12-03 10:56:21.433 [in#0/hls @ 0x562fc2d85d00] [verbose] HLS request for url 'http://127.0.0.1:18095/v0/seg1796295380.ts', offset 0, playlist 0",
            Event::HlsSegmentRequest {
                url: "http://127.0.0.1:18095/v0/seg1796295380.ts",
                offset: 0,
                playlist: Some(0),
            },
        ),
        (
            "2026-12-03 10:58:01.694 [in#0/hls @ 0x55e3dc416d00] [warning] Failed to reload playlist 1",
            Event::PlaylistReloadFailed { playlist: 1 },
        ),
        (
            "2026-12-03 10:56:22.441 [in#0/hls @ 0x562fc2d85d00] [debug] Media sequence change (1796295375 -> 1796295376) reflected in first_timestamp: 44628495111 -> 44629495111",
            Event::MediaSequenceChange {
                from: 1_796_295_375,
                to: 1_796_295_376,
            },
        ),
        (
            "2026-12-03 10:58:01.693 [in#0/hls @ 0x55e3dc416d00] [warning] keepalive request failed for 'http://127.0.0.1:18096/v1/index.m3u8' with error: 'Server returned 5XX Server Error reply' when parsing playlist",
            Event::KeepAliveRetry {
                url: "http://127.0.0.1:18096/v1/index.m3u8",
                reason: "Server returned 5XX Server Error reply",
            },
        ),
        (
            "2026-12-03 10:58:02.698 [in#0/hls @ 0x55e3dc40e8c0] [error] Error during demuxing: Server returned 5XX Server Error reply",
            Event::ErrorMessage {
                level: Level::Error,
                message: "Error during demuxing: Server returned 5XX Server Error reply",
            },
        ),
        (
            "2026-12-03 10:58:47.200 [tcp @ 0x7f4a880225c0] [error] Connection to tcp://127.0.0.1:18097 failed: Connection refused",
            Event::TcpConnectFailed {
                target: "127.0.0.1:18097",
                reason: "Connection refused",
            },
        ),
        (
            "2026-12-03 10:57:59.610 [tcp @ 0x55e3dc41b180] [verbose] Successfully connected to 127.0.0.1 port 18096",
            Event::TcpConnected {
                addr: "127.0.0.1",
                port: 18096,
            },
        ),
        (
            "2026-12-03 10:56:41.604 [AVIOContext @ 0x562fc2db8300] [verbose] Statistics: 2455265 bytes read, 0 seeks",
            Event::AvioBytesRead { bytes: 2_455_265 },
        ),
    ]
}

#[test]
fn every_event_kind_is_recognised_on_a_real_ffmpeg_9_line() {
    let lines: std::collections::HashSet<&[u8]> =
        CAPTURES.iter().flat_map(|c| split_log_lines(c)).collect();
    for (line, want) in table() {
        assert!(
            lines.contains(line.as_bytes()),
            "not in any capture: {line}"
        );
        let parsed = parse_line(line.as_bytes());
        assert_eq!(parsed.event, Some(want), "{line}");
        assert!(parsed.time.is_some(), "{line}");
    }
}

#[test]
fn the_demuxer_is_known_by_each_of_its_names() {
    for (name, demuxer) in [
        ("hls", true),
        ("in#0", true),
        ("in#0/hls", true),
        ("in#12/hls", true),
        ("in#0/mpegts", false),
        ("in#", false),
        ("in#x/hls", false),
        ("http", false),
        ("NULL", false),
        ("out#0/null", false),
    ] {
        let context = Context { name, addr: 1 };
        assert_eq!(context.is_hls_demuxer(), demuxer, "{name}");
    }
}

/// `needle` occurrences in `haystack`, as grep would count them.
fn occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[test]
fn no_demuxer_event_is_missed_whatever_its_context_is_called() {
    for capture in CAPTURES {
        let events: Vec<Event<'_>> = split_log_lines(capture)
            .filter_map(|l| parse_line(l).event)
            .collect();
        let count = |pred: fn(&Event<'_>) -> bool| events.iter().filter(|e| pred(e)).count();
        let grep = |needle: &str| occurrences(capture, needle.as_bytes());
        assert_eq!(
            count(|e| matches!(e, Event::HlsSegmentRequest { .. })),
            grep("HLS request for url '")
        );
        assert!(grep("HLS request for url '") > 0);
        assert_eq!(
            count(|e| matches!(e, Event::HttpRequest { .. })),
            grep("request: GET ")
        );
        assert_eq!(
            count(|e| matches!(e, Event::SegmentOpenFailed { .. })),
            grep("] Failed to open segment ")
        );
        assert_eq!(
            count(|e| matches!(e, Event::PlaylistReloadFailed { .. })),
            grep("] Failed to reload playlist ")
        );
        assert_eq!(
            count(|e| matches!(e, Event::KeepAliveRetry { .. })),
            grep("] keepalive request failed for '")
        );
        assert_eq!(
            count(|e| matches!(e, Event::MediaSequenceChange { .. })),
            grep("] Media sequence change (")
        );
    }
}

#[test]
fn every_line_but_the_request_headers_carries_a_millisecond_stamp() {
    for capture in CAPTURES {
        for raw in split_log_lines(capture) {
            let line = parse_line(raw);
            let header = line.context.is_none() && line.level.is_none();
            assert_eq!(
                line.time.is_some(),
                !header && !raw.is_empty(),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}

#[test]
fn the_stats_line_with_elapsed_still_gives_speed_and_time() {
    let line = b"2026-12-03 10:56:22.432 [info] frame=   73 fps= 73 q=-1.0 q=-1.0 size=N/A time=00:00:03.00 bitrate=N/A speed=3.01x elapsed=0:00:01.00    ";
    let Some(Event::Stats(stats)) = parse_line(line).event else {
        panic!("not a stats line");
    };
    assert_eq!(stats.out_time_us, Some(3_000_000));
    assert_eq!(stats.speed, Some(3.01));
    assert_eq!(stats.frame, Some(73));
}
