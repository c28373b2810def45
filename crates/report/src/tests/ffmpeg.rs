//! Which ffmpeg the viewers ran, in the summary: its version and missing options in the header,
//! and, when it stamped its log to the millisecond, the log's latencies saying so.

use super::assert_shows;
use super::feed;
use crate::{FfmpegSummary, Report, ShardId, merge};

fn ffmpeg_9() -> FfmpegSummary {
    FfmpegSummary {
        versions: vec!["n9.0.2-17-g2a571b6068-20260930".to_owned()],
        log_stamps_ms: true,
        options_missing: Vec::new(),
    }
}

fn ffmpeg_5_1() -> FfmpegSummary {
    FfmpegSummary {
        versions: vec!["5.1.9-0+deb12u1".to_owned()],
        log_stamps_ms: false,
        options_missing: vec!["-seg_max_retry".to_owned()],
    }
}

fn json(report: &Report) -> serde_json::Value {
    serde_json::from_str(&report.to_json()).unwrap()
}

#[test]
fn a_millisecond_stamped_log_marks_the_log_latencies_and_no_others() {
    let report = feed::run(&[0, 1], None).with_ffmpeg(ffmpeg_9());
    let json = json(&report);
    for log_figure in ["tcp_connect", "playlist_fetch"] {
        let figure = &json["latency_ms"][log_figure];
        assert_eq!(figure["clock_step_ms"], 1, "{log_figure}");
        let measures = figure["measures"].as_str().unwrap();
        assert!(
            measures.contains("millisecond log stamps: a sub-millisecond latency reads 0 or 1 ms"),
            "{measures}"
        );
    }
    assert_eq!(json["ffmpeg"]["log_stamps_ms"], true);
    assert_eq!(
        json["ffmpeg"]["versions"][0],
        "n9.0.2-17-g2a571b6068-20260930"
    );
    let text = report.render_text();
    assert_shows(
        &text,
        &[
            "ffmpeg                 n9.0.2-17-g2a571b6068-20260930 (its log stamped to 1 ms)",
            "  tcp_connect: connect start -> connected, same tcp context; timed by ffmpeg's \
             millisecond log stamps: a sub-millisecond latency reads 0 or 1 ms",
        ],
    );
    // Through the request tap the log's figures are left out, and the tap's are its own clock.
    let json = self::json(&feed::run_with_tap(&[0, 1], None).with_ffmpeg(ffmpeg_9()));
    for log_figure in ["tcp_connect", "playlist_fetch"] {
        assert!(json["latency_ms"].get(log_figure).is_none(), "{log_figure}");
    }
    for tap_figure in ["segment_ttfb", "segment_download", "upstream_connect"] {
        assert!(json["latency_ms"][tap_figure]["clock_step_ms"].is_null());
    }
}

#[test]
fn an_unstamped_log_says_nothing_of_steps_and_names_the_missing_options() {
    let report = feed::run(&[0, 1], None).with_ffmpeg(ffmpeg_5_1());
    let json = json(&report);
    assert!(json["latency_ms"]["tcp_connect"]["clock_step_ms"].is_null());
    assert_eq!(json["ffmpeg"]["options_missing"][0], "-seg_max_retry");
    let text = report.render_text();
    assert_shows(
        &text,
        &["ffmpeg                 5.1.9-0+deb12u1 (without -seg_max_retry)"],
    );
    assert!(!text.contains("log stamps"), "{text}");
    // A summary from before either key was added reads back without them.
    let mut old = json.clone();
    old.as_object_mut().unwrap().remove("ffmpeg");
    old["latency_ms"]["tcp_connect"]
        .as_object_mut()
        .unwrap()
        .remove("clock_step_ms");
    let read = Report::from_json(&old.to_string()).unwrap();
    assert_eq!(read.ffmpeg, None);
    assert_eq!(read.latency_ms["tcp_connect"].clock_step_ms, None);
}

#[test]
fn a_merge_of_shards_with_both_ffmpegs_lists_both_and_keeps_the_coarser_step() {
    let shard = |i| Some(ShardId { index: i, count: 2 });
    let nine = feed::run(&[0], shard(0)).with_ffmpeg(ffmpeg_9());
    let five = feed::run(&[1], shard(1)).with_ffmpeg(ffmpeg_5_1());
    let merged = merge(&[five.clone(), nine.clone()], false).unwrap();
    let ffmpeg = merged.ffmpeg.as_ref().unwrap();
    assert_eq!(
        ffmpeg.versions,
        ["5.1.9-0+deb12u1", "n9.0.2-17-g2a571b6068-20260930"]
    );
    assert!(ffmpeg.log_stamps_ms);
    assert_eq!(ffmpeg.options_missing, ["-seg_max_retry"]);
    let tcp = &merged.latency_ms["tcp_connect"];
    assert_eq!(tcp.clock_step_ms, Some(1));
    assert_eq!(tcp.measures, nine.latency_ms["tcp_connect"].measures);
    // A shard that does not say which ffmpeg it ran: the merge does not say either.
    let mut unknown = five;
    unknown.ffmpeg = None;
    assert_eq!(merge(&[unknown, nine], false).unwrap().ffmpeg, None);
}
