//! Unit tests of path parsing and range handling.

use super::*;

#[test]
fn splits_variant_paths() {
    assert_eq!(
        split_variant_path("/v0/index.m3u8"),
        Some((0, "index.m3u8"))
    );
    assert_eq!(split_variant_path("/v12/seg1.ts"), Some((12, "seg1.ts")));
    assert_eq!(split_variant_path("/v+1/seg1.ts"), None);
    assert_eq!(split_variant_path("/v/seg1.ts"), None);
    assert_eq!(split_variant_path("/master.m3u8"), None);
}

#[test]
fn parses_segment_names() {
    assert_eq!(parse_segment_name("seg00017.ts"), Some(17));
    assert_eq!(parse_segment_name("seg884123456.ts"), Some(884_123_456));
    assert_eq!(parse_segment_name("seg.ts"), None);
    assert_eq!(parse_segment_name("seg1.ts.bak"), None);
    assert_eq!(parse_segment_name("segx.ts"), None);
}

#[test]
fn ranges_like_nginx() {
    assert_eq!(parse_range("bytes=0-", 10), Some(Ok((0, 9))));
    assert_eq!(parse_range("bytes=2-4", 10), Some(Ok((2, 4))));
    assert_eq!(parse_range("bytes=2-400", 10), Some(Ok((2, 9))));
    assert_eq!(parse_range("bytes=-3", 10), Some(Ok((7, 9))));
    assert_eq!(parse_range("bytes=10-", 10), Some(Err(())));
    assert_eq!(parse_range("bytes=0-1,3-4", 10), None);
    assert_eq!(parse_range("items=0-", 10), None);
    assert_eq!(parse_range("bytes=5-2", 10), None);
}

#[test]
fn respond_slices_ranges_and_counts_body_bytes() {
    let mut headers = HeaderMap::new();
    headers.insert(header::RANGE, HeaderValue::from_static("bytes=0-"));
    let (resp, n) = respond(Answer::ok(MP2T, &b"0123456789"[..]), &headers);
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()[header::CONTENT_RANGE], "bytes 0-9/10");
    assert_eq!(n, 10);
    // Errors are never ranged.
    let (resp, n) = respond(Answer::not_found(), &headers);
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(n, 10);
    let (resp, _) = respond(Answer::ok(MP2T, &b"abc"[..]), &HeaderMap::new());
    assert_eq!(resp.status(), StatusCode::OK);
}
