//! Reading summaries back: a file, a log's last line, and what is not a v2 summary.

use super::feed;
use crate::{Report, ShardId, SummaryReadError};

#[test]
fn a_summary_reads_back_from_its_file_or_a_logs_last_line() {
    let report = feed::run(&[0, 1], Some(ShardId { index: 0, count: 1 }));
    let from_file = Report::from_json(&report.to_json()).unwrap();
    assert_eq!(from_file, report);
    let log = format!(
        "hls-swarm: starting 2 viewers\n{}\nMetrics were served at http://x\n{}\n\n",
        report.render_text(),
        report.to_json_line()
    );
    assert_eq!(Report::from_json(&log).unwrap(), report);
}

#[test]
fn what_is_not_a_v2_summary_says_what_it_is() {
    let err = |text: &str| Report::from_json(text).expect_err("not a v2 summary");
    assert!(matches!(err("hello\nworld\n"), SummaryReadError::NotJson));
    assert!(matches!(err(""), SummaryReadError::NotJson));
    assert!(matches!(
        err("{\"level\":\"info\"}"),
        SummaryReadError::NotASummary
    ));
    let v1 = err("{\"schema\":\"hls-swarm.summary.v1\",\"url\":\"u\"}");
    assert!(matches!(v1, SummaryReadError::V1));
    assert_eq!(
        v1.to_string(),
        "this is a hls-swarm.summary.v1 summary, which has no latency histograms to merge: \
         re-run that shard with this version of hls-swarm"
    );
    assert!(matches!(
        err("{\"schema\":\"hls-swarm.summary.v9\"}"),
        SummaryReadError::UnknownSchema(s) if s == "hls-swarm.summary.v9"
    ));
    let broken = err("{\"schema\":\"hls-swarm.summary.v2\",\"url\":7}");
    assert!(matches!(broken, SummaryReadError::Invalid(_)), "{broken:?}");
    assert!(
        broken
            .to_string()
            .starts_with("this is not a valid hls-swarm.summary.v2 summary (")
    );
    // A time that is not RFC 3339 is named.
    let report = feed::run(&[0], None);
    let bad_time = report
        .to_json_line()
        .replace("2026-01-01T00:00:00.000Z", "yesterday");
    let e = err(&bad_time).to_string();
    assert!(
        e.contains("\"yesterday\" is not an RFC 3339 UTC time"),
        "{e}"
    );
}
