//! Unit tests for message recognition, one per pattern, on real message text.

use super::recognise;
use crate::{Event, Level, RequestKind, StatsLine};

fn ev<'a>(context: &str, message: &'a str) -> Option<Event<'a>> {
    recognise(Some(context), Some(Level::Info), message.as_bytes())
}

#[test]
fn tcp_messages() {
    assert_eq!(
        ev("tcp", "Starting connection attempt to 127.0.0.1 port 18085"),
        Some(Event::TcpConnectStart {
            addr: "127.0.0.1",
            port: 18085
        })
    );
    assert_eq!(
        ev("tcp", "Successfully connected to ::1 port 80"),
        Some(Event::TcpConnected {
            addr: "::1",
            port: 80
        })
    );
    assert_eq!(
        ev(
            "tcp",
            "Connection attempt to 127.0.0.1 port 18089 failed: Connection refused"
        ),
        Some(Event::TcpAttemptFailed {
            addr: "127.0.0.1",
            port: 18089,
            reason: "Connection refused"
        })
    );
    assert_eq!(
        ev(
            "tcp",
            "Connection to tcp://127.0.0.1:18089 failed: Connection timed out"
        ),
        Some(Event::TcpConnectFailed {
            target: "127.0.0.1:18089",
            reason: "Connection timed out"
        })
    );
    for bare in [
        "Connection refused",
        "Connection timed out",
        "Failed to connect to 10.177.0.10 port 17080",
    ] {
        assert_eq!(
            ev("tcp", bare),
            Some(Event::TcpConnectFailed {
                target: "",
                reason: bare
            })
        );
    }
    assert_eq!(ev("tcp", "Address 127.0.0.1 port 18085"), None);
    assert_eq!(
        ev("tcp", "Starting connection attempt to 1.2.3.4 port 99999"),
        None
    );
}

#[test]
fn http_messages() {
    assert_eq!(
        ev("http", "request: GET /v0/index.m3u8 HTTP/1.1"),
        Some(Event::HttpRequest {
            method: "GET",
            path: "/v0/index.m3u8",
            kind: RequestKind::Manifest
        })
    );
    assert_eq!(
        ev("http", "HTTP error 500 Internal Server Error"),
        Some(Event::HttpError {
            status: 500,
            reason: "Internal Server Error"
        })
    );
    assert_eq!(
        ev("http", "Will reconnect at 0 in 3 second(s)."),
        Some(Event::ReconnectScheduled {
            offset: 0,
            delay_s: 3
        })
    );
    assert_eq!(
        ev(
            "http",
            "Will reconnect at 12345 in 2 second(s), error=I/O error."
        ),
        Some(Event::ReconnectScheduled {
            offset: 12345,
            delay_s: 2
        })
    );
    assert_eq!(
        ev("https", "Opening 'https://cdn/x/seg1.ts' for reading"),
        Some(Event::Opening {
            url: "https://cdn/x/seg1.ts",
            kind: RequestKind::Segment
        })
    );
    assert_eq!(ev("http", "request: "), None);
    assert_eq!(ev("http", "Setting default whitelist 'http,https'"), None);
}

#[test]
fn hls_messages() {
    assert_eq!(
        ev(
            "hls",
            "HLS request for url 'http://127.0.0.1:18085/v0/seg00332.ts', offset 0, playlist 0"
        ),
        Some(Event::HlsSegmentRequest {
            url: "http://127.0.0.1:18085/v0/seg00332.ts",
            offset: 0,
            playlist: Some(0)
        })
    );
    assert_eq!(
        ev("hls", "HLS request for url 'http://h/s.ts', offset 7"),
        Some(Event::HlsSegmentRequest {
            url: "http://h/s.ts",
            offset: 7,
            playlist: None
        })
    );
    assert_eq!(
        ev("hls", "Failed to reload playlist 1"),
        Some(Event::PlaylistReloadFailed { playlist: 1 })
    );
    assert_eq!(
        ev("hls", "Failed to open segment 337 of playlist 0"),
        Some(Event::SegmentOpenFailed {
            segment: 337,
            playlist: 0
        })
    );
    assert_eq!(
        ev(
            "hls",
            "Segment 123 of playlist 0 failed too many times, skipping"
        ),
        Some(Event::SegmentSkipped {
            segment: 123,
            playlist: 0
        })
    );
    assert_eq!(
        ev("hls", "skipping 5 segments ahead, expired from playlists"),
        Some(Event::SegmentsExpired { count: 5 })
    );
    assert_eq!(
        ev(
            "hls",
            "Media sequence change (334 -> 335) reflected in first_timestamp: 344421333 -> 345421333"
        ),
        Some(Event::MediaSequenceChange { from: 334, to: 335 })
    );
    assert_eq!(
        ev(
            "hls",
            "keepalive request failed for 'http://127.0.0.1:18084/v1/index.m3u8' with error: 'Server returned 5XX Server Error reply' when parsing playlist"
        ),
        Some(Event::KeepAliveRetry {
            url: "http://127.0.0.1:18084/v1/index.m3u8",
            reason: "Server returned 5XX Server Error reply"
        })
    );
    assert_eq!(ev("hls", "Skip ('#EXT-X-VERSION:6')"), None);
}

#[test]
fn avio_and_other_contexts() {
    assert_eq!(
        ev("AVIOContext", "Statistics: 2547 bytes read, 0 seeks"),
        Some(Event::AvioBytesRead { bytes: 2547 })
    );
    assert_eq!(
        ev(
            "AVIOContext",
            "Statistics: 1853 bytes written, 0 seeks, 10 writeouts"
        ),
        None
    );
    assert_eq!(
        ev(
            "NULL",
            "Opening 'http://127.0.0.1:18085/master.m3u8' for reading"
        ),
        Some(Event::Opening {
            url: "http://127.0.0.1:18085/master.m3u8",
            kind: RequestKind::Manifest
        })
    );
    assert_eq!(
        ev(
            "mpegts",
            "Continuity check failed for pid 4096 expected 1 got 2"
        ),
        None
    );
    // A terminal capture leaves the overwritten stats line's tail behind the message.
    assert_eq!(
        ev(
            "hls",
            "Opening 'http://10.177.0.10:17080/stream.m3u8' for readinged=0:00:02.00"
        ),
        Some(Event::Opening {
            url: "http://10.177.0.10:17080/stream.m3u8",
            kind: RequestKind::Manifest
        })
    );
    assert_eq!(ev("hls", "Opening 'http://x/unterminated.ts"), None);
}

#[test]
fn stats_line_with_padding_and_two_q() {
    let msg =
        "frame=  223 fps= 32 q=-1.0 q=-1.0 size=N/A time=00:00:09.01 bitrate=N/A speed=1.28x    ";
    assert_eq!(
        recognise(None, Some(Level::Info), msg.as_bytes()),
        Some(Event::Stats(StatsLine {
            frame: Some(223),
            fps: Some(32.0),
            out_time_us: Some(9_010_000),
            speed: Some(1.28)
        }))
    );
    let na = "frame=    1 fps=0.0 q=-1.0 size=N/A time=00:00:00.00 bitrate=N/A speed=N/A    ";
    assert!(matches!(
        recognise(None, None, na.as_bytes()),
        Some(Event::Stats(StatsLine { speed: None, .. }))
    ));
    // `-progress` lines on stderr are not stats lines.
    assert_eq!(recognise(None, None, b"frame=75"), None);
    assert_eq!(recognise(None, None, b"frame=75 fps=3"), None);
    let spaced = "frame=  250 fps= 31 q=-1.0 Lsize=N/A time=00:00:10.01 bitrate=N/A speed=   1x elapsed=0:00:08.00";
    assert!(matches!(
        recognise(None, None, spaced.as_bytes()),
        Some(Event::Stats(StatsLine {
            speed: Some(1.0),
            frame: Some(250),
            ..
        }))
    ));
}

#[test]
fn error_lines_become_error_messages_only_at_error_or_worse() {
    let msg = "http://127.0.0.1:18089/master.m3u8: Connection refused";
    assert_eq!(
        recognise(None, Some(Level::Error), msg.as_bytes()),
        Some(Event::ErrorMessage {
            level: Level::Error,
            message: msg
        })
    );
    assert_eq!(
        recognise(Some("mpegts"), Some(Level::Fatal), b"boom"),
        Some(Event::ErrorMessage {
            level: Level::Fatal,
            message: "boom"
        })
    );
    assert_eq!(recognise(None, Some(Level::Warning), msg.as_bytes()), None);
    assert_eq!(recognise(None, None, msg.as_bytes()), None);
    assert_eq!(recognise(None, Some(Level::Error), b"   "), None);
}

#[test]
fn invalid_utf8_in_returned_text_is_no_event() {
    assert_eq!(
        recognise(Some("http"), None, b"request: GET /\xff.ts HTTP/1.1"),
        None
    );
    assert_eq!(recognise(None, Some(Level::Error), b"bad \xc3("), None);
    // Invalid bytes outside the returned slices do not matter.
    assert_eq!(
        recognise(Some("hls"), None, b"Media sequence change (1 -> 2) \xff"),
        Some(Event::MediaSequenceChange { from: 1, to: 2 })
    );
}
