//! Tests of request kinds and viewer ids.

use super::*;

#[test]
fn kinds_come_from_the_path() {
    let cases = [
        ("/master.m3u8", RequestKind::Playlist),
        ("/v0/index.M3U8?x=1", RequestKind::Playlist),
        ("/radio.m3u", RequestKind::Playlist),
        ("/v0/seg00001.ts", RequestKind::Segment),
        ("/v0/seg1.ts?token=.m3u8", RequestKind::Segment),
        ("/a/chunk-5.m4s", RequestKind::Segment),
        ("/a/audio.aac", RequestKind::Segment),
        ("/a/part.mp4", RequestKind::Segment),
        ("/subs/1.vtt", RequestKind::Segment),
        ("/a/init.mp4", RequestKind::Init),
        ("/a/Init-v0.m4s", RequestKind::Init),
        // A transport stream is a segment, whatever its name.
        ("/a/init.ts", RequestKind::Segment),
        ("/key.bin", RequestKind::Other),
        ("/segments.json", RequestKind::Other),
        ("/", RequestKind::Other),
        ("/noext", RequestKind::Other),
        ("/dir.m3u8/file", RequestKind::Other),
    ];
    for (path, kind) in cases {
        assert_eq!(RequestKind::classify(path, false), kind, "{path}");
    }
}

#[test]
fn a_learnt_map_uri_is_an_init_section_whatever_its_name() {
    assert_eq!(
        RequestKind::classify("/v0/header.mp4", true),
        RequestKind::Init
    );
    assert_eq!(
        RequestKind::classify("/v0/header.mp4", false),
        RequestKind::Segment
    );
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
