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
    let fewer_requests = Counted {
        segment: 2,
        ..counted()
    };
    let text = fails(|| assert_counts_match_log(&fewer_requests, &log(), 5));
    assert!(
        text.starts_with("segment requests: hls-swarm counted 2, fewer than the 3"),
        "{text}"
    );

    let too_many = Counted {
        manifest: 5,
        ..counted()
    };
    assert!(fails(|| assert_counts_match_log(&too_many, &log(), 1)).starts_with("requests: "));

    let extra_error = Counted {
        errors_by_code: [("404".to_owned(), 2), ("503".to_owned(), 1)].into(),
        ..counted()
    };
    let text = fails(|| assert_counts_match_log(&extra_error, &log(), 5));
    assert!(
        text.starts_with("HTTP 404: hls-swarm counted 2, more than the 1"),
        "{text}"
    );

    let no_errors = Counted {
        errors_by_code: BTreeMap::new(),
        ..counted()
    };
    assert!(fails(|| assert_counts_match_log(&no_errors, &log(), 1)).starts_with("errors: "));

    let short_bytes = Counted {
        bytes: 2199,
        ..counted()
    };
    assert!(
        fails(|| assert_segment_bytes_match_log(&short_bytes, &log(), 1, 1200))
            .starts_with("segment bytes: hls-swarm counted 2199, less than")
    );
    // The failed segment's bytes (as the listing sizes it) counted as if it had been received.
    let error_bytes = Counted {
        bytes: 2200 + 1100,
        ..counted()
    };
    assert!(
        fails(|| assert_segment_bytes_match_log(&error_bytes, &log(), 1, 1000))
            .contains("1100 more than the 2200")
    );
}
