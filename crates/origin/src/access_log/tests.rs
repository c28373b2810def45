//! Unit tests of the access-log line format.

use super::*;
use std::time::Duration;

#[test]
fn formats_like_the_docs_say() {
    let t = UNIX_EPOCH + Duration::from_millis(1_795_238_441_571);
    let line = format_line(
        t,
        200,
        111_484,
        "/v0/seg00332.ts",
        Some(b"hls-swarm/client-3"),
    );
    assert_eq!(
        line,
        "1795238441.571 200 111484 \"/v0/seg00332.ts\" \"hls-swarm/client-3\"\n"
    );
    let line = format_line(t, 404, 0, "/x?a=\"b\"", None);
    assert_eq!(line, "1795238441.571 404 0 \"/x?a=\\x22b\\x22\" \"-\"\n");
}

#[test]
fn parse_round_trips_format() {
    let t = UNIX_EPOCH + Duration::from_millis(5_007);
    let line = format_line(t, 206, 42, "/v1/index.m3u8?x=1", Some(b"a \"quoted\" ua"));
    let e = AccessLogEntry::parse(&line).unwrap();
    assert_eq!(e.unix_ms, 5_007);
    assert_eq!(e.status, 206);
    assert_eq!(e.body_bytes, 42);
    assert_eq!(e.path, "/v1/index.m3u8?x=1");
    assert_eq!(e.user_agent, "a \\x22quoted\\x22 ua");
    assert_eq!(AccessLogEntry::parse("garbage"), None);
}

#[test]
fn stats_count_by_status() {
    let mut s = OriginStats::default();
    s.record(200, 10);
    s.record(404, 3);
    s.record(200, 5);
    assert_eq!((s.requests, s.body_bytes), (3, 18));
    assert_eq!(s.status_count(200), 2);
    assert_eq!(s.status_count(500), 0);
}
