//! The strict count checks: what passes, and that every way of miscounting fails.

use super::*;

fn log() -> LogCounts {
    [
        ("/master.m3u8", 206, 225),
        ("/v0/index.m3u8", 200, 283),
        ("/v0/seg1.ts?x=1", 206, 1000),
        ("/v0/seg2.ts", 404, 153),
        ("/v1/index.m3u8", 503, 177),
        ("/v0/seg3.ts", 206, 1200),
    ]
    .into_iter()
    .collect()
}

fn counted() -> Counted {
    Counted {
        manifest: 3,
        segment: 3,
        errors_by_code: [("404".to_owned(), 1), ("503".to_owned(), 1)].into(),
        bytes: 2200,
    }
}

fn fails(check: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let panic = std::panic::catch_unwind(check).expect_err("the check should fail");
    panic.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn a_log_is_counted_by_kind_status_and_bytes() {
    let log = log();
    assert_eq!((log.manifest, log.segment), (3, 3));
    assert_eq!(
        (log.errors("404"), log.errors("503"), log.errors("500")),
        (1, 1, 0)
    );
    assert_eq!(log.segment_2xx_bytes, 2200);
    assert_eq!(log.body_2xx_bytes, 225 + 283 + 2200);
    assert_eq!(log.failed_segments, ["/v0/seg2.ts"]);
}

#[test]
fn equal_counts_and_what_was_in_flight_pass() {
    assert_counts_match_log(&counted(), &log(), 1);
    assert_segment_bytes_match_log(&counted(), &log(), 1, 1200);
    // Two viewers stopped with a request sent and an error not printed yet.
    let in_flight = Counted {
        segment: 4,
        manifest: 4,
        errors_by_code: [("404".to_owned(), 1)].into(),
        bytes: 2200 + 1200 + 1000,
    };
    assert_counts_match_log(&in_flight, &log(), 2);
    assert_segment_bytes_match_log(&in_flight, &log(), 2, 1200);
}

#[test]
fn every_miscount_fails() {
    let errors = |n404, n503| -> BTreeMap<String, u64> {
        [("404".to_owned(), n404), ("503".to_owned(), n503)]
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .collect()
    };
    let miscounts = [
        (
            Counted {
                segment: 2,
                ..counted()
            },
            5,
            "segment requests: hls-swarm counted 2, fewer than the 3",
        ),
        (
            Counted {
                manifest: 5,
                ..counted()
            },
            1,
            "requests: hls-swarm counted 2 more than the origin's log",
        ),
        (
            Counted {
                errors_by_code: errors(2, 1),
                ..counted()
            },
            5,
            "HTTP 404: hls-swarm counted 2, more than the 1",
        ),
        (
            Counted {
                errors_by_code: errors(0, 0),
                ..counted()
            },
            1,
            "errors: hls-swarm missed 2 that the origin answered",
        ),
    ];
    for (wrong, viewers, message) in &miscounts {
        let text = fails(|| assert_counts_match_log(wrong, &log(), *viewers));
        assert!(text.starts_with(message), "{text}");
    }

    let bytes = [
        (
            2199,
            1200,
            "segment bytes: hls-swarm counted 2199, less than the 2200",
        ),
        // The failed segment's bytes (as the listing sizes it) counted as if it had been received.
        (
            2200 + 1100,
            1000,
            "segment bytes: hls-swarm counted 3300, 1100 more than the 2200",
        ),
    ];
    for (wrong, largest, message) in bytes {
        let wrong = Counted {
            bytes: wrong,
            ..counted()
        };
        let text = fails(|| assert_segment_bytes_match_log(&wrong, &log(), 1, largest));
        assert!(text.starts_with(message), "{text}");
    }
}
