//! Tests of the shared stores: the learnt playlist facts and the allow list.

use std::time::Duration;

use crate::allow::{Added, AllowList};
use crate::learnt::{Learnt, fingerprint};
use crate::playlist::read_playlist;

/// A live media playlist of `window` one-second segments, the newest being `newest`.
fn window(newest: u64, window: u64) -> String {
    let mut text = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:1\n");
    for n in newest.saturating_sub(window - 1)..=newest {
        text.push_str(&format!("#EXTINF:1.000,\nseg{n:05}.ts\n"));
    }
    text
}

#[test]
fn learnt_durations_are_kept_for_the_newest_uris_only() {
    let learnt = Learnt::new(8, 2);
    let url = "http://h:80/v0/index.m3u8";
    for newest in 0..100 {
        let facts = read_playlist(url, window(newest, 6).as_bytes());
        learnt.learn("h:80/v0/index.m3u8", &facts);
        assert!(learnt.n_segments() <= 8);
    }
    assert_eq!(
        learnt.segment_duration("h:80/v0/seg00099.ts"),
        Some(Duration::from_secs(1))
    );
    assert_eq!(
        learnt.segment_duration("h:80/v0/seg00092.ts"),
        Some(Duration::from_secs(1))
    );
    assert_eq!(
        learnt.segment_duration("h:80/v0/seg00091.ts"),
        None,
        "evicted"
    );
    assert_eq!(learnt.segment_duration("h:80/v1/seg00099.ts"), None);
}

#[test]
fn learnt_playlists_are_bounded_too_and_init_uris_are_known() {
    let learnt = Learnt::new(16, 2);
    for variant in 0..3 {
        let url = format!("http://h/v{variant}/index.m3u8");
        let text = "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.5,\nseg1.m4s\n";
        let facts = read_playlist(&url, text.as_bytes());
        learnt.learn(&format!("h:80/v{variant}/index.m3u8"), &facts);
    }
    // Three playlists, two kept: the first is forgotten.
    assert_eq!(learnt.segment_duration("h:80/v0/seg1.m4s"), None);
    assert!(!learnt.is_init("h:80/v0/init.mp4"));
    for variant in 1..3 {
        let seg = format!("h:80/v{variant}/seg1.m4s");
        assert_eq!(
            learnt.segment_duration(&seg),
            Some(Duration::from_millis(2500))
        );
        assert!(learnt.is_init(&format!("h:80/v{variant}/init.mp4")));
    }
    // A changed duration replaces the old one.
    let facts = read_playlist("http://h/v2/index.m3u8", b"#EXTINF:3,\nseg1.m4s\n");
    learnt.learn("h:80/v2/index.m3u8", &facts);
    assert_eq!(
        learnt.segment_duration("h:80/v2/seg1.m4s"),
        Some(Duration::from_secs(3))
    );
}

#[test]
fn a_reload_with_the_body_read_last_is_known_as_read() {
    let learnt = Learnt::new(8, 2);
    let key = "h:80/v0/index.m3u8";
    let (first, second) = (window(5, 3), window(6, 3));
    let (f1, f2) = (
        fingerprint(first.as_bytes()),
        fingerprint(second.as_bytes()),
    );
    assert_ne!(f1, f2);
    assert!(!learnt.already_read(key, f1), "nothing read yet");
    learnt.learn(
        key,
        &read_playlist("http://h:80/v0/index.m3u8", first.as_bytes()),
    );
    learnt.note_read(key, f1);
    assert!(learnt.already_read(key, f1));
    assert!(!learnt.already_read(key, f2), "a changed body is read");
    assert!(
        !learnt.already_read("h:80/v1/index.m3u8", f1),
        "per playlist"
    );
    // A new segment copies the entry: what it was read with is carried over, then replaced.
    learnt.learn(
        key,
        &read_playlist("http://h:80/v0/index.m3u8", second.as_bytes()),
    );
    assert!(learnt.already_read(key, f1));
    learnt.note_read(key, f2);
    assert!(learnt.already_read(key, f2) && !learnt.already_read(key, f1));
    assert_ne!(fingerprint(b""), 0, "0 means none");
}

#[test]
fn the_allow_list_is_bounded() {
    let allow = AllowList::new(["origin:80".to_owned()], 2);
    assert!(allow.allows("origin:80"));
    assert!(!allow.allows("cdn:80"));
    assert_eq!(allow.add("cdn:80"), Added::Allowed);
    assert_eq!(allow.add("cdn:80"), Added::Allowed);
    assert_eq!(allow.add("third:80"), Added::Full);
    assert!(allow.allows("cdn:80") && !allow.allows("third:80"));
    assert!(!allow.allows("origin:8080"), "the port is part of the host");
}
