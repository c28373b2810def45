//! The fault matrix (issue 13), the stream's own faults, end to end: a live playlist that stops
//! changing and a stream that ends (`#EXT-X-ENDLIST`), with real ffmpeg viewers against the
//! built-in origin; what a viewer does, how it is counted, checked against the access log.

mod common;
mod fault_kit;

use std::time::Duration;

use common::*;
use fault_kit::*;
use hls_swarm_origin::AccessLogEntry;

#[test]
fn a_stale_playlist_keeps_viewers_reloading_and_counts_them_stalled() {
    // The documented choice: a viewer of a stale stream keeps reloading the playlist, as a
    // player would (ffmpeg gives up only after 1,000 reloads without a new segment); it is
    // counted stalled (no progress for more than 5 s), not restarted.
    let dir = Scratch::new("fault-stale");
    let origin = origin_with(&dir, &[], Some(Duration::from_secs(6)), None);
    let ua = "f-stale";
    let (_, summary) = faulty_run(
        &dir,
        &origin,
        ua,
        &["--duration", "60s", "--tap", "on"],
        Duration::from_secs(50),
        all_stalled,
    );
    assert_tap_counts_exactly(&origin, ua, &summary);
    assert_tap_bytes_match(&origin, ua, &summary);
    assert_eq!(
        number(&summary["viewers"]["stalled"]),
        3,
        "{}",
        summary["viewers"]
    );
    assert_exits_explain_restarts(&summary);
    assert_eq!(number(&summary["viewers"]["restarts"]), 0);
    // No segment past the frozen playlist's last was asked for; the playlists were reloaded
    // until the end, by every viewer.
    let newest = newest_listed(&origin);
    let entries = origin.entries_for(ua);
    let seq = |e: &AccessLogEntry| -> Option<u64> {
        let name = e.path.rsplit('/').next()?;
        name.strip_prefix("seg")?.strip_suffix(".ts")?.parse().ok()
    };
    assert!(entries.iter().filter_map(seq).all(|s| s <= newest));
    let last_segment = entries
        .iter()
        .filter(|e| seq(e).is_some())
        .map(|e| e.unix_ms)
        .max()
        .unwrap();
    for n in 0..3 {
        let agent = format!("{ua}/client-{n}");
        let reloads_after = entries
            .iter()
            .filter(|e| {
                e.user_agent == agent
                    && e.path.ends_with(".m3u8")
                    && e.unix_ms > last_segment + 2000
            })
            .count();
        assert!(reloads_after >= 2, "{agent} stopped reloading the playlist");
    }
}

#[test]
fn a_stream_that_ends_ends_its_viewers_and_the_run() {
    // The documented choice: at #EXT-X-ENDLIST ffmpeg plays to the last segment and exits 0;
    // hls-swarm reads the playlist, sees the end, and ends the viewer (counted as "stream
    // ended"), not restarting it; when every viewer is over, the run stops by itself.
    let dir = Scratch::new("fault-end");
    let origin = origin_with(&dir, &[], None, Some(Duration::from_secs(8)));
    let ua = "f-end";
    let (url, json) = (origin.url(), dir.join("summary.json"));
    let args = run_args(
        &url,
        ua,
        &[
            "--clients",
            "3",
            "--duration",
            "2m",
            "--tap",
            "on",
            "--summary-json",
            json.to_str().unwrap(),
        ],
    );
    let out = run_to_end(&args, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("Stopped: the stream ended (#EXT-X-ENDLIST)"),
        "{}",
        stdout(&out)
    );
    let summary = read_summary(&json);
    assert_tap_counts_exactly(&origin, ua, &summary);
    assert_tap_bytes_match(&origin, ua, &summary);
    let viewers = &summary["viewers"];
    assert_eq!(
        viewers["exit_reasons"],
        serde_json::json!({"stream ended": 3}),
        "{viewers}"
    );
    assert_eq!(number(&viewers["restarts"]), 0);
    assert!(summary["duration_s"].as_f64().unwrap() < 60.0);
    // Every viewer fetched the ended playlist's last segment.
    let last = format!("seg{:05}.ts", newest_listed(&origin));
    let entries = origin.entries_for(ua);
    for n in 0..3 {
        let agent = format!("{ua}/client-{n}");
        assert!(
            entries
                .iter()
                .any(|e| e.user_agent == agent && e.path.ends_with(&last)),
            "{agent} did not play to the end"
        );
    }
    // The end was read once for all three (a master and a media playlist), not by the viewers.
    let checks = std::fs::read_to_string(&origin.log)
        .unwrap()
        .lines()
        .filter(|l| l.ends_with(&format!("\"{ua}/end-check\"")))
        .count();
    assert!((2..=6).contains(&checks), "{checks} end checks");
}
