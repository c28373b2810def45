//! Shared pieces of the end-to-end tests: the built-in origin in-process with its access log as
//! ground truth, the binary as a guarded child, and the summary read back as counts. Everything
//! that is not about hls-swarm itself comes from `hls-swarm-testkit`.
// Each test binary uses a part of this module.
#![allow(dead_code, unused_imports, unused_macros)]

mod ffmpegs;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub(crate) use ffmpegs::per_ffmpeg;
pub use ffmpegs::{ViewerFfmpeg, viewer_ffmpegs};
use hls_swarm_origin::{AccessLog, AccessLogEntry, FaultRule, OriginConfig, OriginHandle};
pub use hls_swarm_testkit::counts::{
    Counted, LogCounts, assert_counts_match_log, assert_segment_bytes_match_log,
};
pub use hls_swarm_testkit::{Guarded, Scratch, Tmux, net, poll, proc, tools};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_hls-swarm");

/// A running built-in origin and the file its access log goes to.
pub struct Origin {
    pub handle: OriginHandle,
    pub log: std::path::PathBuf,
    pub runtime: tokio::runtime::Runtime,
}

impl Origin {
    /// Starts the origin on 127.0.0.1:0 with `faults` (`STATUS:PATTERN:RATE`), rendering with
    /// the tests' ffmpeg.
    pub fn start(dir: &Path, faults: &[&str]) -> Origin {
        Origin::start_with(dir, faults, |_| {})
    }

    /// [`Origin::start`], with the config changed by `configure` first (a stale or ending
    /// stream, another seed).
    pub fn start_with(
        dir: &Path,
        faults: &[&str],
        configure: impl FnOnce(&mut OriginConfig),
    ) -> Origin {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let log = dir.join("origin.access.log");
        let mut cfg = OriginConfig {
            access_log: AccessLog::File(log.clone()),
            faults: faults
                .iter()
                .map(|f| f.parse::<FaultRule>().expect("fault rule"))
                .collect(),
            seed: 7,
            ffmpeg: tools::ffmpeg(),
            ..OriginConfig::default()
        };
        configure(&mut cfg);
        let handle = runtime.block_on(async {
            let rendition = hls_swarm_origin::render(&cfg)
                .await
                .expect("render (needs ffmpeg: cargo xtask deps installs it)");
            hls_swarm_origin::serve(&cfg, rendition)
                .await
                .expect("serve")
        });
        Origin {
            handle,
            log,
            runtime,
        }
    }

    pub fn url(&self) -> String {
        self.handle.url()
    }

    pub fn sizes_url(&self) -> String {
        format!("http://{}/segments.json", self.handle.local_addr())
    }

    /// The access-log lines of requests whose user agent starts with `ua_base/client-`.
    pub fn entries_for(&self, ua_base: &str) -> Vec<AccessLogEntry> {
        let prefix = format!("{ua_base}/client-");
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(AccessLogEntry::parse)
            .filter(|e| e.user_agent.starts_with(&prefix))
            .collect()
    }

    /// What the access log says the viewers `ua_base/client-N` requested.
    pub fn counts_for(&self, ua_base: &str) -> LogCounts {
        count(&self.entries_for(ua_base))
    }

    /// The bytes the origin serves for the segment at `path` (`/v0/seg00042.ts`).
    pub fn segment_size(&self, path: &str) -> Option<u64> {
        let (variant, seq) = path
            .trim_start_matches('/')
            .strip_prefix('v')?
            .strip_suffix(".ts")?
            .split_once("/seg")?;
        let bytes = self
            .handle
            .rendition()
            .segment_bytes(variant.parse().ok()?, seq.parse().ok()?)?;
        Some(bytes.len() as u64)
    }

    /// The largest segment the origin serves, checked against its listing (`/segments.json`,
    /// which hls-swarm reads with `--segment-sizes-url`). A listing holds the live window and
    /// what comes next, not always every segment of the loop, so the largest is taken from the
    /// rendition the listing is made from.
    pub fn largest_segment(&self) -> u64 {
        let rendition = self.handle.rendition();
        let n_loop = rendition.n_loop_segments() as u64;
        let largest = (0..rendition.n_variants())
            .flat_map(|v| (0..n_loop).map(move |seq| (v, seq)))
            .filter_map(|(v, seq)| rendition.segment_bytes(v, seq))
            .map(|b| b.len() as u64)
            .max()
            .expect("the rendition has segments");
        let listing = self.listing();
        assert!(!listing.is_empty(), "the origin's listing is empty");
        for (name, size) in &listing {
            assert_eq!(
                self.segment_size(name),
                Some(*size),
                "{name}: the listing's size is not the bytes served"
            );
            assert!(*size <= largest, "{name}: {size} > {largest}");
        }
        largest
    }

    /// The origin's listing of all variants: `(v0/seg00042.ts, size)`.
    fn listing(&self) -> Vec<(String, u64)> {
        let addr = self.handle.local_addr().to_string();
        let (status, body) = net::http_get(&addr, "/segments.json").expect("GET /segments.json");
        assert_eq!(status, 200, "/segments.json: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("listing is JSON");
        json.as_array()
            .expect("listing is an array")
            .iter()
            .map(|e| {
                let name = e["name"].as_str().expect("name").to_owned();
                (name, e["size"].as_u64().expect("size"))
            })
            .collect()
    }
}

/// Counts access-log lines.
pub fn count(entries: &[AccessLogEntry]) -> LogCounts {
    entries
        .iter()
        .map(|e| (e.path.as_str(), e.status, e.body_bytes))
        .collect()
}

/// A count in a summary; fails the test naming the value when it is not one.
pub fn number(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// The summary's `tap.statuses`: responses the request tap relayed, by status code.
pub fn tap_statuses(summary: &serde_json::Value) -> std::collections::BTreeMap<String, u64> {
    (summary["tap"]["statuses"]
        .as_object()
        .expect("tap.statuses")
        .iter())
    .map(|(code, n)| (code.clone(), number(n)))
    .collect()
}

/// What a summary (or `replay --json`) says was counted.
pub fn counted(summary: &serde_json::Value) -> Counted {
    let number = |v: &serde_json::Value| {
        v.as_u64()
            .unwrap_or_else(|| panic!("not a count: {v} in {summary}"))
    };
    Counted {
        manifest: number(&summary["requests"]["manifest"]),
        segment: number(&summary["requests"]["segment"]),
        errors_by_code: summary["http_errors"]
            .as_object()
            .expect("http_errors is an object")
            .iter()
            .map(|(code, n)| (code.clone(), number(n)))
            .collect(),
        bytes: number(&summary["bytes"]["total"]),
    }
}

/// `run URL --ramp-rate 10 --user-agent UA`, then `extra`; `/metrics` on a free port unless
/// `extra` has a `--metrics` of its own; `--tap off` (every figure from ffmpeg's log, what
/// these tests check) unless `extra` has a `--tap` of its own (`tests/tap.rs`); the ramp never
/// held for this machine's load (`--max-ramp-hold 0`) unless `extra` says otherwise.
pub fn run_args<'a>(url: &'a str, user_agent: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["run", url, "--ramp-rate", "10", "--user-agent", user_agent];
    if !extra.contains(&"--metrics") {
        args.extend(["--metrics", "127.0.0.1:0"]);
    }
    if !extra.contains(&"--tap") {
        args.extend(["--tap", "off"]);
    }
    // The tests run two swarms at once on a small machine, which saturates it at times: a held
    // ramp (up to 60 s by default) would leave viewers unstarted in a short run. Only
    // `tests/host.rs`, which tests the hold, passes its own.
    if !extra.contains(&"--max-ramp-hold") {
        args.extend(["--max-ramp-hold", "0"]);
    }
    args.extend_from_slice(extra);
    args
}

/// Starts `hls-swarm args…` in the background with its output piped, killed if the test fails.
pub fn spawn_run(args: &[&str]) -> Guarded {
    Guarded::spawn(
        Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
}

/// Runs the binary to completion; fails the test at `deadline`.
pub fn run_to_end(args: &[&str], deadline: Duration) -> Output {
    spawn_run(args).wait_output(deadline)
}

/// The summary JSON a run wrote.
pub fn read_summary(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("summary {} not written: {e}", path.display()));
    serde_json::from_str(&text).expect("summary is JSON")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The number in the first row starting with `label` on a dashboard screen (`segments  84  8.0`).
pub fn number_in_row(pane: &str, label: &str) -> Option<u64> {
    pane.lines().find_map(|l| {
        let l = l.trim_matches(|c| c == '│' || c == ' ');
        let rest = l.strip_prefix(label)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Whatever a file holds, for failure messages.
pub fn contents(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("({}: {e})", path.display()))
}

/// A real Prometheus server scraping `targets` every second, its data and log in a scratch
/// directory; stopped when dropped.
pub struct Prometheus {
    _server: Guarded,
    /// Where its HTTP API listens.
    pub addr: String,
    /// Its stderr.
    pub log: std::path::PathBuf,
}

impl Prometheus {
    /// Starts it and waits until it is ready.
    pub fn start(dir: &Path, targets: &[&str]) -> Prometheus {
        let prometheus = tools::require_on_path("prometheus", "prometheus");
        let addr = format!("127.0.0.1:{}", net::free_port());
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: hls-swarm\n    static_configs:\n      - targets: [{}]\n",
                targets.join(", ")
            ),
        )
        .unwrap();
        let log = dir.join("prometheus.stderr");
        let server = Guarded::spawn_logged(
            Command::new(&prometheus)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.join("tsdb").display()
                ))
                .arg(format!("--web.listen-address={addr}")),
            &log,
        );
        assert!(
            poll::until(Duration::from_secs(20), || matches!(
                net::http_get(&addr, "/-/ready"),
                Some((200, _))
            )),
            "prometheus not ready within 20 s\n{}",
            contents(&log)
        );
        Prometheus {
            _server: server,
            addr,
            log,
        }
    }

    /// A query of the HTTP API: the `data.result` array (empty while nothing matches).
    pub fn query(&self, promql: &str) -> Vec<serde_json::Value> {
        let Some((200, body)) = net::http_get(
            &self.addr,
            &format!("/api/v1/query?query={}", url_encode(promql)),
        ) else {
            return Vec::new();
        };
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!("Prometheus answered {promql:?} with non-JSON ({e}): {body}")
        });
        assert_eq!(json["status"], "success", "{promql}: {body}");
        json["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The value of the first sample of an instant query.
    pub fn value(&self, promql: &str) -> Option<f64> {
        self.query(promql).first()?["value"][1]
            .as_str()?
            .parse()
            .ok()
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every one of `texts` is in `text`.
pub fn assert_shows(text: &str, texts: &[&str]) {
    for wanted in texts {
        assert!(text.contains(wanted), "{wanted:?} not in:\n{text}");
    }
}
