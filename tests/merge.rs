//! `hls-swarm merge` as a user runs it: shard summaries in files and in saved logs, merged into
//! one; and each refusal, with its exit code and its one sentence.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use common::*;
use hls_swarm_aggregate::Aggregator;
use hls_swarm_report::{Report, RunIdentity, ShardId};
use hls_swarm_stats::{Counter, LatencyKind};
use serde_json::Value;

/// Shard `index` of `count` of run `run_id`: viewer `index` fetched `10 + index` segments, got
/// `index` HTTP 404s and connected in `index + 1` ms, twice.
fn shard(index: u32, count: u32, run_id: &str) -> Report {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://origin/master.m3u8", 1, t0);
    let v = swarm.register(index);
    v.add(Counter::SegmentRequests, 10 + u64::from(index));
    for _ in 0..index {
        v.record_http_error(404);
    }
    for _ in 0..2 {
        let ms = u64::from(index) + 1;
        v.record_latency(LatencyKind::TcpConnect, Duration::from_millis(ms));
    }
    let snapshot = swarm.tick(t0 + Duration::from_secs(30));
    let started_at = UNIX_EPOCH + Duration::from_secs(1_767_225_600 + u64::from(index));
    Report::from_aggregator(&swarm, &snapshot).with_run(RunIdentity {
        run_id: Some(run_id.to_owned()),
        shard: Some(ShardId { index, count }),
        started_at,
        ended_at: started_at + Duration::from_secs(30),
        start_late: (index > 0).then(|| Duration::from_millis(100 * u64::from(index))),
    })
}

/// Writes `text` to `dir/name` and returns the path as an argument.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn merge(args: &[&str]) -> std::process::Output {
    let mut all = vec!["merge"];
    all.extend_from_slice(args);
    run_to_end(&all, Duration::from_secs(30))
}

/// The refusal of `args`: exit code 3 and one line on stderr.
fn refusal(args: &[&str]) -> String {
    let out = merge(args);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    err.trim_end().to_owned()
}

#[test]
fn shards_in_files_and_in_logs_merge_into_one_summary_of_the_run() {
    let dir = Scratch::new("merge-ok");
    let a = write(&dir, "shard-0.json", &shard(0, 3, "r1").to_json());
    let b = write(&dir, "shard-1.json", &shard(1, 3, "r1").to_json());
    // A pod's log: hls-swarm's own lines, the text summary, then the summary JSON on one line.
    let pod = shard(2, 3, "r1");
    let log = format!(
        "hls-swarm: starting 1 viewer\n{}\n{}\n",
        pod.render_text(),
        pod.to_json_line()
    );
    let c = write(&dir, "shard-2.log", &log);
    let out_file = dir.join("merged.json");

    let out = merge(&[&c, &a, &b, "--json", "-o", out_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged: Value = serde_json::from_str(&stdout(&out)).expect("--json prints the JSON");
    assert_eq!(merged["schema"], "hls-swarm.summary.v2");
    assert_eq!(
        (merged["shards"].as_u64(), merged["shard"].is_null()),
        (Some(3), true)
    );
    assert_eq!(merged["run_id"], "r1");
    assert_eq!(merged["clients"], 3);
    // 10 + 11 + 12 segments; 0 + 1 + 2 errors; six connects, two each of 1, 2 and 3 ms.
    assert_eq!(merged["requests"]["segment"], 33);
    assert_eq!(merged["http_errors"]["404"], 3);
    let tcp = &merged["latency_ms"]["tcp_connect"];
    assert_eq!(
        (tcp["count"].as_u64(), tcp["sum_us"].as_u64()),
        (Some(6), Some(12_000))
    );
    // At the histogram's resolution (2 significant digits: within 1 %).
    let near = |key: &str, ms: f64| {
        let v = tcp[key].as_f64().unwrap();
        assert!((ms..=ms * 1.01).contains(&v), "{key} {v} ms, not {ms} ms");
    };
    near("min", 1.0);
    near("p50", 2.0);
    near("max", 3.0);
    assert_eq!(tcp["mean"], 2.0);
    // From the first start to the last end: 2 s of stagger plus 30 s.
    assert_eq!(merged["started_at"], "2026-01-01T00:00:00.000Z");
    assert_eq!(merged["ended_at"], "2026-01-01T00:00:32.000Z");
    assert_eq!(merged["duration_s"], 32.0);
    assert_eq!(merged["start_late_s"], 0.2);
    assert_eq!(merged["viewers"]["peak_active"], 0);
    assert_eq!(
        merged["upper_bounds"],
        serde_json::json!(["playback.below_realtime", "viewers.peak_active"])
    );
    assert_eq!(
        read_summary(&out_file),
        merged,
        "-o writes what --json prints"
    );
    assert!(
        stderr(&out).contains("merged summary written to"),
        "{}",
        stderr(&out)
    );

    // Without --json: the text, saying what it is.
    let out = merge(&[&a, &b, &c]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_shows(
        &text,
        &[
            "hls-swarm summary: merge of 3 shards",
            "run id                 r1",
            "peak running           at most 0 viewers",
            "segments               33 req",
        ],
    );
}

#[test]
fn a_missing_shard_is_named_and_allow_missing_merges_around_it() {
    let dir = Scratch::new("merge-missing");
    let a = write(&dir, "a.json", &shard(0, 3, "r1").to_json());
    let c = write(&dir, "c.json", &shard(2, 3, "r1").to_json());
    assert_eq!(
        refusal(&[&a, &c]),
        "hls-swarm: shard 1/3 of the run is missing: pass its summary too, or --allow-missing to \
         merge without it"
    );
    let out = merge(&[&a, &c, "--allow-missing", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(merged["missing_shards"], serde_json::json!([1]));
    assert_eq!(merged["shards"], 2);
    assert_eq!(merged["requests"]["segment"], 22);
    let text = stdout(&merge(&[&a, &c, "--allow-missing"]));
    assert!(
        text.contains("merge of 2 of 3 shards (missing: 1/3)"),
        "{text}"
    );
}

#[test]
fn summaries_that_cannot_be_merged_are_refused_in_one_sentence_naming_the_files() {
    let dir = Scratch::new("merge-refused");
    let a = write(&dir, "a.json", &shard(0, 2, "r1").to_json());
    let b = write(&dir, "b.json", &shard(1, 2, "r1").to_json());
    let other_run = write(&dir, "other.json", &shard(1, 2, "r2").to_json());
    let three = write(&dir, "three.json", &shard(1, 3, "r1").to_json());
    assert_eq!(
        refusal(&[&a, &other_run]),
        format!(
            "hls-swarm: {a} and {other_run} are of different runs (run id r1 and run id r2): \
             merge the shards of one run only"
        )
    );
    assert_eq!(
        refusal(&[&a, &b, &a]),
        format!("hls-swarm: {a} and {a} are both shard 0/2: pass each shard's summary once")
    );
    assert_eq!(
        refusal(&[&a, &three]),
        format!(
            "hls-swarm: {a} and {three} disagree on the shard count (2 and 3): merge the shards \
             of one run only"
        )
    );
    let mut elsewhere = shard(1, 2, "r1");
    elsewhere.url = "http://elsewhere/master.m3u8".to_owned();
    let elsewhere = write(&dir, "elsewhere.json", &elsewhere.to_json());
    assert!(
        refusal(&[&a, &elsewhere]).contains("are of different streams"),
        "different URLs"
    );
}

#[test]
fn files_that_are_not_v2_summaries_are_refused_naming_the_file() {
    let dir = Scratch::new("merge-unreadable");
    let a = write(&dir, "a.json", &shard(0, 1, "r1").to_json());
    let missing: PathBuf = dir.join("nowhere.json");
    let missing = missing.to_str().unwrap();
    let err = refusal(&[&a, missing]);
    assert!(
        err.starts_with(&format!("hls-swarm: cannot read the summary {missing}: ")),
        "{err}"
    );
    let text = write(&dir, "notes.txt", "a run\nthat went well\n");
    assert_eq!(
        refusal(&[&text]),
        format!(
            "hls-swarm: {text}: neither the file nor its last line is JSON: pass a summary \
             written by --summary-json, or a saved log whose last line is the summary"
        )
    );
    // A v1 summary, as hls-swarm before v2 wrote it: no histograms, so it cannot merge.
    let mut v1: Value = serde_json::from_str(&shard(0, 1, "r1").to_json()).unwrap();
    v1["schema"] = "hls-swarm.summary.v1".into();
    let v1 = write(&dir, "v1.json", &v1.to_string());
    assert_eq!(
        refusal(&[&v1]),
        format!(
            "hls-swarm: {v1}: this is a hls-swarm.summary.v1 summary, which has no latency \
             histograms to merge: re-run that shard with this version of hls-swarm"
        )
    );
    let log_line = write(
        &dir,
        "status.log",
        "{\"level\":\"info\",\"msg\":\"running\"}\n",
    );
    assert!(refusal(&[&log_line]).contains("is not an hls-swarm summary"));
    let edited = write(
        &dir,
        "edited.json",
        &shard(0, 1, "r1")
            .to_json()
            .replace("\"shards\": 1", "\"shards\": \"one\""),
    );
    assert!(
        refusal(&[&edited]).contains("is not a valid hls-swarm.summary.v2 summary"),
        "an edited file"
    );
}

#[test]
fn merge_help_names_every_flag() {
    let out = run_to_end(&["merge", "--help"], Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for flag in [
        "<SUMMARY>...",
        "--json",
        "-o, --output <FILE>",
        "--allow-missing",
    ] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
    // No file at all is a usage error.
    assert_eq!(merge(&[]).status.code(), Some(2));
}
