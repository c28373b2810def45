//! What the fault matrix's tests share (`tests/faults.rs`, `tests/stream_faults.rs`): an origin
//! with a stale or ending stream, a swarm of three viewers stopped when a condition holds, and
//! the checks of a summary against the origin's access log.
// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::*;
use hls_swarm_origin::AccessLogEntry;

/// The built-in origin in this process, as `common::Origin::start` makes it, with a stale
/// or ending stream when asked.
pub fn origin_with(
    dir: &Path,
    faults: &[&str],
    stale_after: Option<Duration>,
    end_after: Option<Duration>,
) -> Origin {
    Origin::start_with(dir, faults, |cfg| {
        cfg.seed = 13;
        cfg.stale_after = stale_after;
        cfg.end_after = end_after;
    })
}

pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// `run URL --clients 3` with `extra`, in the background, its summary to `dir/summary.json`
/// and its `/metrics` on `metrics` (`127.0.0.1:PORT`).
pub fn three_viewers(dir: &Path, url: &str, ua: &str, metrics: &str, extra: &[&str]) -> Guarded {
    let json = dir.join("summary.json");
    let mut flags = vec![
        "--clients",
        "3",
        "--summary-json",
        json.to_str().unwrap(),
        "--metrics",
        metrics,
    ];
    flags.extend_from_slice(extra);
    spawn_run(&run_args(url, ua, &flags))
}

/// A free `127.0.0.1:PORT` for `--metrics`.
pub fn metrics_addr() -> String {
    format!("127.0.0.1:{}", net::free_port())
}

/// A gauge or counter of hls-swarm's `/metrics` without labels, when it answers.
pub fn metric(addr: &str, name: &str) -> Option<f64> {
    let (_, body) = net::http_get(addr, "/metrics")?;
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Every one of the viewers `ua/client-0..3` has fetched a segment answered with a 2xx at or
/// after `since` (Unix ms), in `entries`.
pub fn all_fetched_since(entries: &[AccessLogEntry], ua: &str, since: u64) -> bool {
    let agents: BTreeSet<&str> = entries
        .iter()
        .filter(|e| e.unix_ms >= since && e.path.ends_with(".ts") && e.status < 300)
        .map(|e| e.user_agent.as_str())
        .collect();
    (0..3).all(|n| agents.contains(format!("{ua}/client-{n}").as_str()))
}

/// SIGINT to hls-swarm once `ready` holds (polled for `within`), then its output and summary.
pub fn stop_when(
    child: Guarded,
    dir: &Path,
    what: &str,
    within: Duration,
    ready: impl FnMut() -> bool,
) -> (Output, serde_json::Value) {
    let ok = poll::until(within, ready);
    child.interrupt();
    let out = child.wait_output(Duration::from_secs(30));
    assert!(ok, "{what} within {within:?}\nstderr: {}", stderr(&out));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    (out, read_summary(&dir.join("summary.json")))
}

/// With the request tap: requests by kind, statuses and HTTP errors are exactly the origin's
/// log. The origin logs a streamed body (a rate-limited or cut one) when it ends, a moment
/// after its client went away, so the log is polled until it has caught up.
pub fn assert_tap_counts_exactly(origin: &Origin, ua: &str, summary: &serde_json::Value) {
    let tapped = number(&summary["requests"]["total"]);
    poll::until(Duration::from_secs(5), || {
        origin.entries_for(ua).len() as u64 >= tapped
    });
    let entries = origin.entries_for(ua);
    let log = count(&entries);
    assert_eq!(summary["bytes"]["source"], "tap", "{}", summary["bytes"]);
    assert_eq!(number(&summary["requests"]["manifest"]), log.manifest);
    assert_eq!(number(&summary["requests"]["segment"]), log.segment);
    assert_eq!(tapped, entries.len() as u64);
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for e in &entries {
        *statuses.entry(e.status.to_string()).or_default() += 1;
    }
    assert_eq!(tap_statuses(summary), statuses);
    assert_eq!(counted(summary).errors_by_code, log.errors_by_code);
}

/// The bytes the tap counted against the body bytes the origin logged: equal, but for bodies
/// cut at the stop (the tap counts what reached it, the origin what it handed over).
pub fn assert_tap_bytes_match(origin: &Origin, ua: &str, summary: &serde_json::Value) {
    let logged: u64 = origin.entries_for(ua).iter().map(|e| e.body_bytes).sum();
    let tapped = number(&summary["bytes"]["total"]);
    let cut_at_stop = number(&summary["tap"]["truncated"]);
    assert!(
        tapped <= logged && logged - tapped <= cut_at_stop * origin.largest_segment(),
        "tap bytes {tapped}, origin logged {logged}, {cut_at_stop} truncated"
    );
}

/// A viewer exit for every restart, each with its reason; the three viewers stopped at the end.
pub fn assert_exits_explain_restarts(summary: &serde_json::Value) -> BTreeMap<String, u64> {
    let viewers = &summary["viewers"];
    let reasons: BTreeMap<String, u64> = viewers["exit_reasons"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), number(v)))
        .collect();
    let stopped = reasons.get("stopped by hls-swarm").copied().unwrap_or(0);
    let others: u64 = reasons.values().sum::<u64>() - stopped;
    assert_eq!(stopped, 3, "{viewers}");
    assert_eq!(others, number(&viewers["restarts"]), "{viewers}");
    reasons
}

/// A run of three viewers against `origin`, until `ready` holds (polled for `within`) or
/// `--duration` ends, whichever is first: its output and summary.
pub fn faulty_run(
    dir: &Path,
    origin: &Origin,
    ua: &str,
    extra: &[&str],
    within: Duration,
    ready: impl FnMut(&str) -> bool,
) -> (Output, serde_json::Value) {
    let metrics = metrics_addr();
    let child = three_viewers(dir, &origin.url(), ua, &metrics, extra);
    let mut ready = ready;
    stop_when(child, dir, "the fault showed", within, || ready(&metrics))
}

/// The swarm's stalled viewers are all three (hls-swarm's `/metrics` at `metrics`).
pub fn all_stalled(metrics: &str) -> bool {
    metric(metrics, "hls_swarm_stalled_clients").is_some_and(|n| n >= 3.0)
}

/// The newest segment a media playlist of the origin lists now.
pub fn newest_listed(origin: &Origin) -> u64 {
    let (status, body) =
        net::http_get(&origin.handle.local_addr().to_string(), "/v0/index.m3u8").expect("playlist");
    assert_eq!(status, 200);
    let last = body.lines().rfind(|l| l.starts_with("seg")).unwrap();
    last.trim_start_matches("seg")
        .trim_end_matches(".ts")
        .parse()
        .unwrap()
}

/// `hls-swarm origin` as a child process on 127.0.0.1:`port`, appending to the access log
/// `log` (its output in `dir/origin-N.out`), listening when this returns: a process that can
/// be SIGKILLed as a crash would kill it, and started again on the same port and log.
pub fn child_origin(dir: &Path, port: u16, log: &Path, n: u32) -> Guarded {
    let listen = format!("127.0.0.1:{port}");
    let origin = Guarded::spawn_logged(
        Command::new(BIN)
            .args(["origin", "--listen", &listen, "--access-log"])
            .arg(log),
        &dir.join(format!("origin-{n}.out")),
    );
    assert!(
        poll::until(Duration::from_secs(30), || net::listening(port)),
        "the origin did not listen on {listen}"
    );
    origin
}
