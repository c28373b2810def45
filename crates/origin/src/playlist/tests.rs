//! Unit tests of the live timeline arithmetic and the HTTP date.

use super::*;

fn timeline() -> Timeline {
    Timeline {
        segment_secs: 2,
        window: 6,
        grace: 3,
        loop_len: 10,
    }
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[test]
fn window_follows_the_clock() {
    let t = timeline();
    // At t = 1000 s, segment 500 is being "recorded"; 499 is the newest published.
    assert_eq!(
        t.window_at(at(1000)),
        Some(Window {
            first: 494,
            newest: 499
        })
    );
    assert_eq!(t.window_at(at(1001)), t.window_at(at(1000)));
    assert_eq!(t.window_at(at(1002)).unwrap().newest, 500);
    assert_eq!(t.window_at(at(1)), None);
    assert_eq!(
        t.window_at(at(5)),
        Some(Window {
            first: 0,
            newest: 1
        })
    );
}

#[test]
fn servable_allows_grace_behind_and_nothing_ahead() {
    let t = timeline();
    let now = at(1000);
    assert!(t.servable(499, now));
    assert!(!t.servable(500, now));
    assert!(t.servable(494, now));
    assert!(t.servable(491, now));
    assert!(!t.servable(490, now));
}

#[test]
fn discontinuity_sequence_counts_loop_wraps() {
    let t = timeline();
    assert_eq!(t.discontinuity_seq(9), 0);
    assert_eq!(t.discontinuity_seq(10), 1);
    assert_eq!(t.discontinuity_seq(29), 2);
}

#[test]
fn http_date_matches_known_values() {
    assert_eq!(http_date(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
    // 1769724668 = the example mtime in upstream's segment listing.
    assert_eq!(
        http_date(at(1_769_724_668)),
        "Thu, 29 Jan 2026 22:11:08 GMT"
    );
    assert_eq!(http_date(at(951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT");
}
