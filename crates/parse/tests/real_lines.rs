//! Every event kind seen in the real fixtures, recognised on a real line in every prefix shape.

use hls_swarm_parse::{Context, Event, Level, RequestKind, StatsLine, parse_line, split_log_lines};

/// Lines copied verbatim from `data/ffmpeg-5.1/*.stderr`, with the event each must give.
fn table() -> Vec<(&'static str, Event<'static>)> {
    vec![
        (
            "[http @ 0x559d8a9b7cc0] [debug] request: GET /master.m3u8 HTTP/1.1",
            Event::HttpRequest {
                method: "GET",
                path: "/master.m3u8",
                kind: RequestKind::Manifest,
            },
        ),
        (
            "[http @ 0x559d8a9dce80] [debug] request: GET /v0/seg00332.ts HTTP/1.1",
            Event::HttpRequest {
                method: "GET",
                path: "/v0/seg00332.ts",
                kind: RequestKind::Segment,
            },
        ),
        (
            "[NULL @ 0x559d8a9b7280] [debug] Opening 'http://127.0.0.1:18085/master.m3u8' for reading",
            Event::Opening {
                url: "http://127.0.0.1:18085/master.m3u8",
                kind: RequestKind::Manifest,
            },
        ),
        (
            "[hls @ 0x559d8a9b7280] [info] Opening 'http://127.0.0.1:18085/v0/index.m3u8' for reading",
            Event::Opening {
                url: "http://127.0.0.1:18085/v0/index.m3u8",
                kind: RequestKind::Manifest,
            },
        ),
        (
            "[http @ 0x559d8a9dcf40] [info] Opening 'http://127.0.0.1:18085/v0/seg00335.ts' for reading",
            Event::Opening {
                url: "http://127.0.0.1:18085/v0/seg00335.ts",
                kind: RequestKind::Segment,
            },
        ),
        (
            "[hls @ 0x559d8a9b7280] [verbose] HLS request for url 'http://127.0.0.1:18085/v0/seg00332.ts', offset 0, playlist 0",
            Event::HlsSegmentRequest {
                url: "http://127.0.0.1:18085/v0/seg00332.ts",
                offset: 0,
                playlist: Some(0),
            },
        ),
        (
            "[http @ 0x56353cc5d2c0] [warning] HTTP error 404 Not Found",
            Event::HttpError {
                status: 404,
                reason: "Not Found",
            },
        ),
        (
            "[http @ 0x56353cc3d200] [warning] HTTP error 500 Internal Server Error",
            Event::HttpError {
                status: 500,
                reason: "Internal Server Error",
            },
        ),
        (
            "[hls @ 0x559d8a9b7280] [warning] Failed to reload playlist 0",
            Event::PlaylistReloadFailed { playlist: 0 },
        ),
        (
            "[hls @ 0x56353cc34280] [warning] Failed to open segment 337 of playlist 0",
            Event::SegmentOpenFailed {
                segment: 337,
                playlist: 0,
            },
        ),
        (
            "[hls @ 0x55570d865280] [debug] Media sequence change (334 -> 335) reflected in first_timestamp: 344421333 -> 345421333",
            Event::MediaSequenceChange { from: 334, to: 335 },
        ),
        (
            "[hls @ 0x56353cc34280] [warning] keepalive request failed for 'http://127.0.0.1:18084/v0/seg00337.ts' with error: 'Server returned 404 Not Found' when opening url, retrying with new connection",
            Event::KeepAliveRetry {
                url: "http://127.0.0.1:18084/v0/seg00337.ts",
                reason: "Server returned 404 Not Found",
            },
        ),
        (
            "[http @ 0x56544f3becc0] [warning] Will reconnect at 0 in 3 second(s).",
            Event::ReconnectScheduled {
                offset: 0,
                delay_s: 3,
            },
        ),
        (
            "[tcp @ 0x559d8a9baf00] [verbose] Starting connection attempt to 127.0.0.1 port 18085",
            Event::TcpConnectStart {
                addr: "127.0.0.1",
                port: 18085,
            },
        ),
        (
            "[tcp @ 0x559d8a9baf00] [verbose] Successfully connected to 127.0.0.1 port 18085",
            Event::TcpConnected {
                addr: "127.0.0.1",
                port: 18085,
            },
        ),
        (
            "[tcp @ 0x56544f3c1ec0] [verbose] Connection attempt to 127.0.0.1 port 18089 failed: Connection refused",
            Event::TcpAttemptFailed {
                addr: "127.0.0.1",
                port: 18089,
                reason: "Connection refused",
            },
        ),
        (
            "[tcp @ 0x56544f3c1ec0] [error] Connection to tcp://127.0.0.1:18089 failed: Connection refused",
            Event::TcpConnectFailed {
                target: "127.0.0.1:18089",
                reason: "Connection refused",
            },
        ),
        (
            "[AVIOContext @ 0x559d8a9d3480] [verbose] Statistics: 2547 bytes read, 0 seeks",
            Event::AvioBytesRead { bytes: 2547 },
        ),
        (
            "[info] frame=  225 fps= 32 q=-1.0 size=N/A time=00:00:09.01 bitrate=N/A speed=1.29x    ",
            Event::Stats(StatsLine {
                frame: Some(225),
                fps: Some(32.0),
                out_time_us: Some(9_010_000),
                speed: Some(1.29),
            }),
        ),
        (
            "[error] http://127.0.0.1:18089/master.m3u8: Connection refused",
            Event::ErrorMessage {
                level: Level::Error,
                message: "http://127.0.0.1:18089/master.m3u8: Connection refused",
            },
        ),
        (
            "[error] http://127.0.0.1:18084/master.m3u8: Server returned 5XX Server Error reply",
            Event::ErrorMessage {
                level: Level::Error,
                message: "http://127.0.0.1:18084/master.m3u8: Server returned 5XX Server Error reply",
            },
        ),
    ]
}

/// The `[ctx @ 0x…]` and `[level]` tags of a table line, and the message after them.
fn pieces(line: &str) -> (Option<&str>, Option<&str>, &str) {
    let mut rest = line;
    let mut context = None;
    if rest.contains(" @ 0x") {
        let end = rest.find("] ").unwrap() + 2;
        context = Some(&rest[..end - 1]);
        rest = &rest[end..];
    }
    let end = rest.find("] ").unwrap() + 2;
    (context, Some(&rest[..end - 1]), &rest[end..])
}

/// The same line in every shape ffmpeg (5.1, 6+ with `datetime`) or the Go fixtures print it.
fn shapes(line: &str) -> Vec<String> {
    let (context, level, message) = pieces(line);
    let c = context.map(|c| format!("{c} ")).unwrap_or_default();
    let l = level.map(|l| format!("{l} ")).unwrap_or_default();
    let stamp = "2026-01-23 08:12:29.601 ";
    vec![
        format!("{c}{l}{message}"),
        format!("{l}{c}{message}"),
        format!("{stamp}{c}{l}{message}"),
        format!("{stamp}{l}{c}{message}"),
        format!("{c}{message}"),
        format!("{stamp}{c}{message}"),
    ]
}

#[test]
fn every_real_event_kind_is_recognised_in_every_shape() {
    for (line, want) in table() {
        for shape in shapes(line) {
            let parsed = parse_line(shape.as_bytes());
            let has_level = parsed.level.is_some();
            let want_here = match want {
                // Without its level tag an error line is just text.
                Event::ErrorMessage { .. } if !has_level => None,
                _ => Some(want),
            };
            assert_eq!(parsed.event, want_here, "{shape}");
            assert_eq!(parsed.time.is_some(), shape.starts_with("2026"), "{shape}");
        }
    }
}

#[test]
fn prefixes_are_reported() {
    let line = parse_line(b"2026-01-23 08:12:29.601 [tcp @ 0x558133030100] [verbose] Successfully connected to 10.177.0.10 port 17080");
    assert_eq!(
        line.context,
        Some(Context {
            name: "tcp",
            addr: 0x5581_3303_0100
        })
    );
    assert_eq!(line.level, Some(Level::Verbose));
    assert_eq!(line.time.map(|t| t.naive_unix_ms), Some(1_769_155_949_601));
}

#[test]
fn every_kind_in_the_table_occurs_in_the_fixtures() {
    // The table is real: each line occurs verbatim in a fixture.
    let all: Vec<u8> = [
        &include_bytes!("data/ffmpeg-5.1/first-variant.stderr")[..],
        include_bytes!("data/ffmpeg-5.1/http-errors.stderr"),
        include_bytes!("data/ffmpeg-5.1/origin-restart.stderr"),
        include_bytes!("data/ffmpeg-5.1/refused.stderr"),
    ]
    .concat();
    let lines: std::collections::HashSet<&[u8]> = split_log_lines(&all).collect();
    for (line, _) in table() {
        assert!(
            lines.contains(line.as_bytes()),
            "not in any fixture: {line}"
        );
    }
}

#[test]
fn request_headers_and_blank_lines_are_no_events() {
    for line in [
        "User-Agent: hls-swarm-fixture/client-first-variant",
        "Accept: */*",
        "Range: bytes=0-",
        "Connection: keep-alive",
        "Connection: close",
        "Host: 127.0.0.1:18085",
        "Icy-MetaData: 1",
        "",
    ] {
        assert_eq!(parse_line(line.as_bytes()).event, None, "{line}");
    }
}

#[test]
fn stats_line_glued_to_the_next_line_splits_into_both() {
    let physical = b"[info] frame=  225 fps= 32 q=-1.0 size=N/A time=00:00:09.01 bitrate=N/A speed=1.29x    \r[http @ 0x559d8a9bff40] [info] Opening 'http://127.0.0.1:18085/v0/index.m3u8' for reading";
    let events: Vec<_> = split_log_lines(physical)
        .filter_map(|l| parse_line(l).event)
        .collect();
    assert!(matches!(
        events[..],
        [
            Event::Stats(_),
            Event::Opening {
                kind: RequestKind::Manifest,
                ..
            }
        ]
    ));
}

mod upstream {
    //! The Go original's fixtures: newer ffmpeg, `datetime` stamps, synthetic lines.

    use super::*;

    fn events(data: &[u8]) -> Vec<Event<'_>> {
        split_log_lines(data)
            .filter_map(|l| parse_line(l).event)
            .collect()
    }

    fn count(data: &[u8], pred: impl Fn(&Event<'_>) -> bool) -> usize {
        events(data).iter().filter(|e| pred(e)).count()
    }

    #[test]
    fn timestamped_captures_have_every_stamp_and_their_requests() {
        for data in [
            &include_bytes!("data/upstream/ffmpeg_timestamped_1.txt")[..],
            include_bytes!("data/upstream/ffmpeg_timestamped_2.txt"),
            include_bytes!("data/upstream/ffmpeg_stderr_log"),
        ] {
            let mut stamped = 0;
            for raw in split_log_lines(data) {
                let looks_stamped =
                    raw.len() > 24 && raw[..4].iter().all(u8::is_ascii_digit) && raw[4] == b'-';
                let line = parse_line(raw);
                assert_eq!(
                    line.time.is_some(),
                    looks_stamped,
                    "{}",
                    String::from_utf8_lossy(raw)
                );
                stamped += usize::from(looks_stamped);
            }
            assert!(stamped > 200);
            let requests = count(data, |e| matches!(e, Event::HttpRequest { .. }));
            let grep = data.windows(13).filter(|w| w == b"request: GET ").count();
            assert_eq!(requests, grep);
            assert!(requests >= 18);
            // Every `Opening '…' for reading` is found, even the terminal-mangled ones.
            let opening = data.windows(9).filter(|w| w == b"Opening '").count();
            assert_eq!(count(data, |e| matches!(e, Event::Opening { .. })), opening);
        }
    }

    #[test]
    fn timestamped_1_counts() {
        let data = include_bytes!("data/upstream/ffmpeg_timestamped_1.txt");
        assert_eq!(
            count(data, |e| matches!(e, Event::HlsSegmentRequest { .. })),
            8
        );
        assert_eq!(count(data, |e| matches!(e, Event::TcpConnected { .. })), 4);
        assert_eq!(count(data, |e| matches!(e, Event::Stats(_))), 11);
        assert_eq!(
            count(data, |e| matches!(e, Event::MediaSequenceChange { .. })),
            1
        );
    }

    #[test]
    fn comprehensive_fixture_failure_forms() {
        let data = include_bytes!("data/upstream/ffmpeg_debug_comprehensive.txt");
        let failures: Vec<&str> = events(data)
            .iter()
            .filter_map(|e| match e {
                Event::TcpConnectFailed { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect();
        assert_eq!(
            failures,
            [
                "Connection refused",
                "Connection timed out",
                "Failed to connect to 10.177.0.10 port 17080"
            ]
        );
        let changes: Vec<(u64, u64)> = events(data)
            .iter()
            .filter_map(|e| match e {
                Event::MediaSequenceChange { from, to } => Some((*from, *to)),
                _ => None,
            })
            .collect();
        assert_eq!(changes, [(100, 101), (101, 102), (102, 105)]);
        assert_eq!(
            count(data, |e| matches!(e, Event::HlsSegmentRequest { .. })),
            10
        );
        assert_eq!(count(data, |e| matches!(e, Event::HttpRequest { .. })), 5);
        // The progress keys pasted into it are not stats lines; the one real stats line is.
        assert_eq!(count(data, |e| matches!(e, Event::Stats(_))), 1);
    }

    #[test]
    fn unlevelled_captures_parse() {
        let legacy = include_bytes!("data/upstream/ffmpeg_stderr.txt");
        // `HLS request … offset 0` without `, playlist N`.
        assert!(
            events(legacy)
                .iter()
                .any(|e| matches!(e, Event::HlsSegmentRequest { playlist: None, .. }))
        );
        assert_eq!(count(legacy, |e| matches!(e, Event::Stats(_))), 3);
        let realworld = include_bytes!("data/upstream/ffmpeg_debug_realworld.txt");
        assert_eq!(
            count(realworld, |e| matches!(e, Event::HttpRequest { .. })),
            4
        );
        let output = include_bytes!("data/upstream/ffmpeg_debug_output.txt");
        assert_eq!(count(output, |e| matches!(e, Event::HttpRequest { .. })), 4);
    }
}
