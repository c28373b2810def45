//! Tests of request kinds and viewer ids.

use super::*;

#[test]
fn kinds_are_the_parsers_but_for_learnt_map_uris() {
    let cases = [
        ("/master.m3u8", RequestKind::Manifest),
        ("/v0/index.M3U8?x=1", RequestKind::Manifest),
        ("/v0/seg00001.ts", RequestKind::Segment),
        ("/v0/seg1.ts?token=.m3u8", RequestKind::Segment),
        ("/a/chunk-5.m4s", RequestKind::Segment),
        ("/a/audio.aac", RequestKind::Segment),
        ("/a/init.mp4", RequestKind::Init),
        ("/a/v0-init.m4s", RequestKind::Init),
        ("/key.bin", RequestKind::Other),
        ("/", RequestKind::Other),
    ];
    for (path, kind) in cases {
        assert_eq!(kind_of(path, false), kind, "{path}");
    }
    // An `#EXT-X-MAP` URI is an init section whatever its name.
    assert_eq!(kind_of("/v0/header.mp4", true), RequestKind::Init);
    assert_eq!(kind_of("/v0/header.mp4", false), RequestKind::Segment);
}

#[test]
fn viewer_ids_come_from_the_user_agent_tail() {
    assert_eq!(viewer_id(b"hls-swarm/client-0"), Some(0));
    assert_eq!(viewer_id(b"hls-swarm/client-42"), Some(42));
    assert_eq!(
        viewer_id(b"my base/with/slashes/client-4294967295"),
        Some(u32::MAX)
    );
    assert_eq!(viewer_id(b"client-7"), Some(7));
    for none in [
        &b"hls-swarm/client-"[..],
        b"hls-swarm/client-4294967296",
        b"hls-swarm/client-99999999999999999999",
        b"hls-swarm/client-7 extra",
        b"Lavf/59.27.100",
        b"hls-swarm/Client-3",
        b"",
        b"\xff\xfe-client-\xff",
    ] {
        assert_eq!(viewer_id(none), None, "{:?}", String::from_utf8_lossy(none));
    }
}
