//! Unit tests for request classification.

use super::classify_path;
use crate::RequestKind::{Init, Manifest, Other, Segment};

#[test]
fn classifies_by_last_segment_extension() {
    let cases = [
        ("/master.m3u8", Manifest),
        ("/v0/index.m3u8", Manifest),
        ("/list.M3U", Manifest),
        ("/v0/seg00332.ts", Segment),
        ("/a/b.m4s", Segment),
        ("/a/b.mp4", Segment),
        ("/a/b.aac", Segment),
        ("/a/b.m4a", Segment),
        ("/a/b.ec3", Segment),
        ("/a/b.mp3", Segment),
        ("/v0/init.mp4", Init),
        ("/v0/init_0.m4s", Init),
        ("/v0/video-INIT.mp4", Init),
        ("/v0/x.m4i", Init),
        ("/keys/k.key", Other),
        ("/subs/en.vtt", Other),
        ("/subs/en.webvtt", Other),
        ("/", Other),
        ("", Other),
        ("/noext", Other),
    ];
    for (path, kind) in cases {
        assert_eq!(classify_path(path), kind, "{path}");
    }
}

#[test]
fn ignores_query_and_fragment() {
    assert_eq!(classify_path("/v0/index.m3u8?x=/a.ts"), Manifest);
    assert_eq!(classify_path("/v0/seg1.ts#t=1.m3u8"), Segment);
    assert_eq!(classify_path("/v0/index?x=a.m3u8"), Other);
}

#[test]
fn accepts_full_urls() {
    assert_eq!(
        classify_path("http://127.0.0.1:18085/v0/index.m3u8"),
        Manifest
    );
    assert_eq!(classify_path("https://cdn.example/a/init.mp4?sig=1"), Init);
    // A bare host has no path: its dots are not an extension we know.
    assert_eq!(classify_path("http://127.0.0.1:18085"), Other);
}
