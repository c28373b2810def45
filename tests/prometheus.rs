//! End to end with real Prometheus tools: `promtool check metrics` lints the `/metrics` of a
//! real run, and a real Prometheus server scrapes a run and answers PromQL about it.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use net::http_get;

const SEGMENTS: &str = "hls_swarm_segment_requests_total";

/// The value of an unlabelled sample `name` in Prometheus text format.
fn sample(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// A scratch directory, the built-in origin, and a free address for hls-swarm's `/metrics`.
fn setup(name: &str) -> (Scratch, Origin, String) {
    let dir = Scratch::new(name);
    let origin = Origin::start(&dir, &[]);
    (dir, origin, format!("127.0.0.1:{}", net::free_port()))
}

/// Starts `hls-swarm run` with 2 viewers, metrics on `metrics_addr`, the summary in
/// `dir/summary.json`, output to files in `dir`, and `extra` arguments.
fn start_swarm(
    dir: &Path,
    origin: &Origin,
    metrics_addr: &str,
    ua: &str,
    duration: &str,
    extra: &[&str],
) -> Guarded {
    let url = origin.url();
    let summary = dir.join("summary.json");
    let mut flags = vec![
        "--metrics",
        metrics_addr,
        "--clients",
        "2",
        "--duration",
        duration,
        "--summary-json",
        summary.to_str().unwrap(),
    ];
    flags.extend_from_slice(extra);
    let args = run_args(&url, ua, &flags);
    Guarded::spawn(
        Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(File::create(dir.join("run.stdout")).unwrap())
            .stderr(File::create(dir.join("run.stderr")).unwrap()),
    )
}

#[test]
fn promtool_accepts_metrics_of_a_real_run() {
    let promtool = tools::require_on_path("promtool", "prometheus");
    let (dir, origin, metrics) = setup("prom1");
    let swarm = start_swarm(
        &dir,
        &origin,
        &metrics,
        "e2e-prom1",
        "20s",
        // The request tap on, so that its families are linted too.
        &["--per-client-metrics", "--tap", "on"],
    );

    let mut body = String::new();
    let tapped = "hls_swarm_segment_download_seconds_count";
    let counted = poll::until(Duration::from_secs(30), || {
        match http_get(&metrics, "/metrics") {
            Some((200, b))
                if sample(&b, SEGMENTS).is_some_and(|v| v > 0.0)
                    && sample(&b, tapped).is_some_and(|v| v > 0.0) =>
            {
                body = b;
                true
            }
            _ => false,
        }
    });
    assert!(
        counted,
        "/metrics never showed {SEGMENTS} and {tapped} > 0 within 30 s; hls-swarm stderr:\n{}",
        contents(&dir.join("run.stderr"))
    );

    // Per-viewer rows are read from the viewers' counters at scrape time, the swarm-wide
    // families from the last tick: each viewer has requests, and together at least as many as
    // the (older, monotone) swarm-wide total.
    let per_client: Vec<f64> = (0..2)
        .map(|id| {
            let series = format!("hls_swarm_client_requests_total{{client_id=\"{id}\"}}");
            sample(&body, &series).unwrap_or_else(|| panic!("no {series} in:\n{body}"))
        })
        .collect();
    let swarm_wide: f64 = [
        "hls_swarm_manifest_requests_total",
        "hls_swarm_segment_requests_total",
        "hls_swarm_init_requests_total",
        "hls_swarm_other_requests_total",
    ]
    .iter()
    .map(|name| sample(&body, name).unwrap_or(0.0))
    .sum();
    assert!(
        per_client.iter().all(|&n| n > 0.0) && per_client.iter().sum::<f64>() >= swarm_wide,
        "per-viewer requests {per_client:?}, swarm-wide {swarm_wide}"
    );

    // The tap's segments (what the origin answered) against its segment download timings:
    // every segment answered whole is timed, so the two agree but for bodies cut off.
    let tap_segments = sample(&body, "hls_swarm_tap_requests_total{kind=\"segment\"}")
        .unwrap_or_else(|| panic!("no tap segment requests in:\n{body}"));
    let timed = sample(&body, tapped).unwrap();
    let truncated = sample(&body, "hls_swarm_tap_truncated_total").unwrap_or(0.0);
    assert!(
        timed <= tap_segments && tap_segments - timed <= truncated,
        "tap segments {tap_segments}, timed {timed}, truncated {truncated}"
    );

    let scraped = dir.join("scraped.txt");
    std::fs::write(&scraped, &body).unwrap();
    let out = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(File::open(&scraped).unwrap())
        .output()
        .expect("run promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics: {}\n{said}\n--- the scraped body ---\n{body}",
        out.status
    );

    // Stop early (the lint is done): SIGINT is hls-swarm's graceful stop.
    swarm.interrupt();
    let out = swarm.wait_output(Duration::from_secs(30));
    assert_eq!(
        out.status.code(),
        Some(0),
        "hls-swarm stderr:\n{}",
        contents(&dir.join("run.stderr"))
    );
}

#[test]
fn prometheus_server_scrapes_a_run_and_answers_queries() {
    let (dir, origin, metrics) = setup("prom2");
    let prometheus = Prometheus::start(&dir, &[&metrics]);
    let logs = || {
        format!(
            "--- prometheus stderr ---\n{}\n--- hls-swarm stderr ---\n{}",
            contents(&prometheus.log),
            contents(&dir.join("run.stderr"))
        )
    };

    let swarm = start_swarm(&dir, &origin, &metrics, "e2e-prom2", "25s", &[]);

    // While it runs: Prometheus has scraped a segment count above 0 …
    let mut seen = 0.0;
    assert!(
        poll::until(Duration::from_secs(30), || {
            seen = prometheus.value(SEGMENTS).unwrap_or(0.0);
            seen > 0.0
        }),
        "Prometheus never returned {SEGMENTS} > 0\n{}",
        logs()
    );
    // … and a latency histogram that histogram_quantile turns into a finite number.
    let quantiles = [
        "histogram_quantile(0.95, sum by (le) (rate(hls_swarm_playlist_fetch_seconds_bucket[15s])))",
        "histogram_quantile(0.95, sum by (le) (rate(hls_swarm_tcp_connect_seconds_bucket[15s])))",
    ];
    let mut p95 = None;
    assert!(
        poll::until(Duration::from_secs(20), || {
            p95 = quantiles.iter().find_map(|q| {
                prometheus
                    .value(q)
                    .filter(|v| v.is_finite())
                    .map(|v| (*q, v))
            });
            p95.is_some()
        }),
        "no histogram_quantile over the latency histograms gave a finite number\n{}",
        logs()
    );
    let (q, v) = p95.unwrap();
    eprintln!("{q} = {v} s; {SEGMENTS} seen at {seen}");
    assert!(v > 0.0 && v < 30.0, "{q} = {v}");

    let out = swarm.wait_output(Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "{}", logs());
    let summary = read_summary(&dir.join("summary.json"));
    let summary_segments = summary["requests"]["segment"].as_u64().unwrap();

    // Every sample Prometheus scraped of the counter (a range selector leaves out the staleness
    // marker written when the target went away): never decreasing, from the value seen above
    // to at most what the summary counted at the very end.
    let matrix = prometheus.query(&format!("{SEGMENTS}[2m]"));
    assert_eq!(matrix.len(), 1, "one series expected: {matrix:?}");
    let scraped: Vec<f64> = matrix[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        scraped.windows(2).all(|w| w[0] <= w[1]),
        "the counter went backwards between scrapes: {scraped:?}"
    );
    let last = *scraped.last().unwrap();
    eprintln!(
        "{} scrapes; last scraped {last}, summary {summary_segments}",
        scraped.len()
    );
    assert!(scraped.len() >= 10, "too few scrapes: {scraped:?}");
    assert!(last >= seen, "last scrape {last} < earlier scrape {seen}");
    assert!(
        last <= summary_segments as f64,
        "last scrape {last} > summary's requests.segment {summary_segments}"
    );

    // And the summary agrees with the origin's own access log.
    assert_counts_match_log(&counted(&summary), &origin.counts_for("e2e-prom2"), 2);
}
