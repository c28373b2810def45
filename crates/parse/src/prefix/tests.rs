//! Unit tests for prefix stripping.

use super::{parse_timestamp, split_prefixes};
use crate::{Context, Level};

#[test]
fn context_then_level() {
    let p = split_prefixes(b"[tcp @ 0x559d8a9baf00] [verbose] Starting connection");
    assert_eq!(
        p.context,
        Some(Context {
            name: "tcp",
            addr: 0x559d_8a9b_af00
        })
    );
    assert_eq!(p.level, Some(Level::Verbose));
    assert_eq!(p.message, b"Starting connection");
}

#[test]
fn level_then_context_and_level_alone() {
    let p = split_prefixes(b"[error] [tcp @ 0x1] x");
    assert_eq!(
        (p.level, p.context.map(|c| c.name)),
        (Some(Level::Error), Some("tcp"))
    );
    let p = split_prefixes(b"[verbose] msg");
    assert_eq!(
        (p.level, p.context, p.message),
        (Some(Level::Verbose), None, &b"msg"[..])
    );
}

#[test]
fn no_prefix_at_all() {
    let p = split_prefixes(b"Host: 127.0.0.1:18085");
    assert_eq!((p.time, p.context, p.level), (None, None, None));
    assert_eq!(p.message, b"Host: 127.0.0.1:18085");
}

#[test]
fn innermost_of_nested_contexts_wins() {
    let p = split_prefixes(b"[hls @ 0x1] [http @ 0x2] [debug] m");
    assert_eq!(
        p.context,
        Some(Context {
            name: "http",
            addr: 2
        })
    );
    assert_eq!(p.message, b"m");
}

#[test]
fn unknown_bracket_starts_the_message() {
    let p = split_prefixes(b"[info] [SAR 1:1 DAR 16:9] x");
    assert_eq!(p.level, Some(Level::Info));
    assert_eq!(p.message, b"[SAR 1:1 DAR 16:9] x");
    // A second level tag is message text, not a prefix.
    assert_eq!(split_prefixes(b"[info] [error] x").message, b"[error] x");
}

#[test]
fn datetime_stamp_is_naive_unix_ms() {
    let p =
        split_prefixes(b"2026-01-23 08:12:29.601 [tcp @ 0x558133030100] [verbose] Successfully");
    // 2026-01-23T08:12:29.601 read as UTC.
    assert_eq!(p.time.map(|t| t.naive_unix_ms), Some(1_769_155_949_601));
    assert_eq!(p.context.map(|c| c.name), Some("tcp"));
    assert_eq!(p.message, b"Successfully");
}

#[test]
fn epoch_and_leap_day() {
    assert_eq!(
        parse_timestamp(b"1970-01-01 00:00:00.000 ").map(|t| t.naive_unix_ms),
        Some(0)
    );
    assert_eq!(
        parse_timestamp(b"2024-02-29 00:00:00.000 ").map(|t| t.naive_unix_ms),
        Some(1_709_164_800_000)
    );
}

#[test]
fn malformed_stamps_are_not_stamps() {
    assert_eq!(parse_timestamp(b"2026-13-01 00:00:00.000 "), None);
    assert_eq!(parse_timestamp(b"2026-01-01 00:00:00.000"), None);
    assert_eq!(parse_timestamp(b"2026-01-01T00:00:00.000 "), None);
    assert_eq!(parse_timestamp(b"2026-01-0x 00:00:00.000 "), None);
}
