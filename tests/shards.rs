//! A swarm split into three shards, run as Kubernetes runs an Indexed Job's pods: three
//! processes with `--shards 3` and `JOB_COMPLETION_INDEX` set, one `--start-at`, one origin.
//! The merged summary must equal the origin's access log, and a real Prometheus server
//! scraping the three must sum to the same counts.

mod common;

use std::collections::BTreeSet;
use std::fs::File;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;

const SHARDS: u32 = 3;
const VIEWERS: u32 = 6;
const RAMP_RATE: f64 = 6.0;
const UA: &str = "e2e-shards";

/// The viewer id in `BASE/client-N`.
fn viewer_of(user_agent: &str) -> u32 {
    let (_, id) = user_agent
        .rsplit_once("/client-")
        .expect("a viewer's user agent");
    id.parse().expect("a viewer id")
}

#[test]
fn three_shards_merge_to_the_origins_access_log_and_sum_in_prometheus() {
    let dir = Scratch::new("shards");
    let origin = Origin::start(&dir, &["404:/v1/seg*.ts:0.2"]);
    let metrics: Vec<String> = (0..SHARDS)
        .map(|_| format!("127.0.0.1:{}", net::free_port()))
        .collect();
    // A real Prometheus scraping the three shards every second.
    let targets: Vec<&str> = metrics.iter().map(String::as_str).collect();
    let prometheus = Prometheus::start(&dir, &targets);

    // One start time for every shard, a few seconds ahead (probing ffmpeg takes a moment).
    // A whole millisecond, so that the `--start-at` text says exactly `start_at` (formatting
    // a finer time to 3 decimals moved it by up to half a millisecond, and CI once saw a shard
    // "start 195 µs before" a start time it was never given).
    let start_ms = (SystemTime::now() + Duration::from_secs(6))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let start_at = UNIX_EPOCH + Duration::from_millis(start_ms);
    let start_arg = format!("{}.{:03}", start_ms / 1000, start_ms % 1000);
    let url = origin.url();
    let sizes = origin.sizes_url();
    let shards: Vec<Guarded> = (0..SHARDS)
        .map(|index| {
            // Shard 0 prints its summary as its log's last line, as a pod does for
            // `kubectl logs --tail=1`; the others write files.
            let summary = if index == 0 {
                "-".to_owned()
            } else {
                dir.join(format!("shard-{index}.json"))
                    .display()
                    .to_string()
            };
            let out = |name: &str| File::create(dir.join(format!("shard-{index}.{name}"))).unwrap();
            Guarded::spawn(
                Command::new(BIN)
                    .args(["run", &url, "--no-tui", "--user-agent", UA])
                    .args(["--clients", &VIEWERS.to_string()])
                    .args(["--ramp-rate", &RAMP_RATE.to_string()])
                    // Three shards and a Prometheus on 2 cores saturate the machine at times:
                    // a held ramp would leave a viewer unstarted in 15 s.
                    .args(["--max-ramp-hold", "0"])
                    .args(["--shards", &SHARDS.to_string(), "--start-at", &start_arg])
                    .args(["--duration", "15s", "--segment-sizes-url", &sizes])
                    .args([
                        "--metrics",
                        &metrics[index as usize],
                        "--metrics-linger",
                        "3s",
                    ])
                    .args(["--summary-json", &summary])
                    // What a Kubernetes Indexed Job sets in pod `index`.
                    .env("JOB_COMPLETION_INDEX", index.to_string())
                    .stdin(Stdio::null())
                    .stdout(out("stdout"))
                    .stderr(out("stderr")),
            )
        })
        .collect();
    for (index, shard) in shards.into_iter().enumerate() {
        let out = shard.wait_output(Duration::from_secs(90));
        assert_eq!(
            out.status.code(),
            Some(0),
            "shard {index}: {}",
            contents(&dir.join(format!("shard-{index}.stderr")))
        );
    }

    // Each shard ran its own viewers (ids j with j mod 3 = shard), none of them before the start.
    let entries = origin.entries_for(UA);
    let early: Vec<_> = entries.iter().filter(|e| e.unix_ms < start_ms).collect();
    assert!(early.is_empty(), "requests before --start-at: {early:?}");
    let stdout0 = dir.join("shard-0.stdout");
    let last_line = contents(&stdout0)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    std::fs::write(dir.join("shard-0.json"), &last_line).unwrap();
    let mut run_ids = BTreeSet::new();
    for index in 0..SHARDS {
        let summary = read_summary(&dir.join(format!("shard-{index}.json")));
        let mine: Vec<_> = entries
            .iter()
            .filter(|e| viewer_of(&e.user_agent) % SHARDS == index)
            .cloned()
            .collect();
        let viewers: BTreeSet<u32> = mine.iter().map(|e| viewer_of(&e.user_agent)).collect();
        let expected: BTreeSet<u32> = (0..VIEWERS).filter(|j| j % SHARDS == index).collect();
        assert_eq!(
            viewers, expected,
            "shard {index}'s viewers in the origin's log"
        );
        assert_eq!(summary["shard"]["index"], index, "{summary}");
        assert_eq!(summary["shard"]["count"], SHARDS, "{summary}");
        assert_counts_match_log(&counted(&summary), &count(&mine), expected.len() as u64);
        // Every shard started together: its swarm within one ramp interval of --start-at.
        let started = humantime::parse_rfc3339_weak(summary["started_at"].as_str().unwrap())
            .expect("started_at is RFC 3339");
        let after = started.duration_since(start_at).unwrap_or_else(|e| {
            panic!("shard {index} started {:?} before --start-at", e.duration())
        });
        assert!(
            after < Duration::from_secs_f64(1.0 / RAMP_RATE),
            "shard {index} started {after:?} after --start-at"
        );
        run_ids.insert(summary["run_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        run_ids.len(),
        1,
        "every shard derives the same run id: {run_ids:?}"
    );
    let run_id = run_ids.into_iter().next().unwrap();

    // `hls-swarm merge` of the three (shard 0's whole log, as `kubectl logs` saves it) equals
    // the whole log.
    let files: Vec<String> = std::iter::once(stdout0.display().to_string())
        .chain((1..SHARDS).map(|i| dir.join(format!("shard-{i}.json")).display().to_string()))
        .collect();
    let mut args = vec!["merge", "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = run_to_end(&args, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "merge: {}", stderr(&out));
    let merged: serde_json::Value = serde_json::from_slice(&out.stdout).expect("merged JSON");
    assert_eq!(merged["shards"], SHARDS, "{merged}");
    assert_eq!(merged["run_id"], run_id.as_str());
    let log = origin.counts_for(UA);
    assert!(log.errors("404") >= 1, "the fault injected no 404: {log:?}");
    assert_counts_match_log(&counted(&merged), &log, u64::from(VIEWERS));

    // Prometheus, summing the shards of the run by its label, says the same: the shards kept
    // serving their final figures for a scrape after the run (--metrics-linger).
    for (metric, field) in [
        (
            "hls_swarm_segment_requests_total",
            &merged["requests"]["segment"],
        ),
        (
            "hls_swarm_manifest_requests_total",
            &merged["requests"]["manifest"],
        ),
    ] {
        let promql = format!("sum(max_over_time({metric}{{run_id=\"{run_id}\"}}[5m]))");
        let shards_seen = format!("count(max_over_time({metric}{{run_id=\"{run_id}\"}}[5m]))");
        assert_eq!(
            prometheus.value(&shards_seen),
            Some(f64::from(SHARDS)),
            "{promql}"
        );
        assert_eq!(
            prometheus.value(&promql),
            field.as_u64().map(|n| n as f64),
            "{promql} against the merged summary\n{}",
            contents(&prometheus.log)
        );
    }
}

#[test]
fn a_shard_stopped_while_waiting_for_start_at_writes_its_empty_summary_and_exits_5() {
    let dir = Scratch::new("start-at-sigterm");
    let origin = Origin::start(&dir, &[]);
    let url = origin.url();
    let json = dir.join("summary.json");
    let port = net::free_port();
    let metrics = format!("127.0.0.1:{port}");
    let start_at = (SystemTime::now() + Duration::from_secs(120))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let extra = [
        "--clients",
        "2",
        "--start-at",
        &start_at,
        "--metrics",
        &metrics,
        "--summary-json",
        json.to_str().unwrap(),
    ];
    let child = spawn_run(&run_args(&url, "e2e-start-at-term", &extra));
    // /metrics is served before the wait begins: once it answers, the shard is waiting.
    assert!(
        poll::until(Duration::from_secs(30), || net::listening(port)),
        "/metrics never came up"
    );
    child.terminate(); // Kubernetes stopping the pod before the test began.
    let out = child.wait_output(Duration::from_secs(20));
    // Nothing was measured: exit 5, with the summary printed and written all the same.
    assert_eq!(out.status.code(), Some(5), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("while waiting for --start-at; no viewer was started"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("stopped_before_start"),
        "{}",
        stderr(&out)
    );
    let summary = read_summary(&json);
    assert_eq!(summary["requests"]["manifest"], 0, "{summary}");
    assert!(origin.entries_for("e2e-start-at-term").is_empty());
    assert!(proc::with_cmdline("e2e-start-at-term/client-").is_empty());
}
