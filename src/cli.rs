//! Command-line interface: every flag, its default, its environment variable and its help.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use hls_swarm_report::Threshold;
use hls_swarm_supervise::Shard;

pub use crate::cli_values::MetricsAddr;
use crate::cli_values::{
    parse_dns_label, parse_duration, parse_image, parse_metrics_addr, parse_nonzero_duration,
    parse_positive_f64, parse_rfc3339_or_unix, parse_start_at, parse_threshold, threshold_help,
};

/// Exit codes, shown in `--help` and the README.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  the run completed (or --print-cmd / --check succeeded)
  1  runtime failure (an unexpected error; the message says what happened)
  2  usage error (unknown flag, bad value)
  3  configuration error (e.g. --resolve without --dangerous, a header with CR/LF)
  4  ffmpeg is missing or cannot do what a viewer needs
  5  the run measured nothing: no viewer ever fetched a media segment
  6  the target is unreachable or is not an HLS playlist
  7  a --threshold failed (everything was still printed and written)";

/// hls-swarm: an HLS load tester driving a swarm of real ffmpeg viewers.
#[derive(Debug, Parser)]
#[command(
    name = "hls-swarm",
    version,
    about = "HLS load tester: a supervised swarm of real ffmpeg viewers, counted to the request",
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start N ffmpeg viewers against an HLS URL and supervise them until the duration ends or Ctrl-C.
    #[command(after_help = EXIT_CODES_HELP)]
    Run(Box<RunArgs>),
    /// Feed a captured ffmpeg run (stderr, optionally -progress output) through the pipeline and print its summary.
    #[command(after_help = EXIT_CODES_HELP)]
    Replay(ReplayArgs),
    /// Merge the summaries of a run's shards (files, or saved logs ending in the summary) into one summary of the whole run.
    #[command(after_help = EXIT_CODES_HELP)]
    Merge(MergeArgs),
    /// Write the HTML report of a saved (or merged) summary, and check thresholds on it.
    #[command(after_help = EXIT_CODES_HELP)]
    Report(ReportArgs),
    /// Serve the built-in live HLS test origin on 127.0.0.1.
    Origin(OriginArgs),
    /// Start the built-in origin on a free port and run 20 viewers for 30 s against it.
    #[command(after_help = EXIT_CODES_HELP)]
    Demo(DemoArgs),
    /// Print the Kubernetes manifests of one sharded run (ConfigMap, Indexed Job, PodMonitor), for `kubectl apply -f -`.
    #[command(after_help = KUBERNETES_HELP)]
    Kubernetes(KubernetesArgs),
}

/// Which variant(s) of a multi-variant stream each viewer plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VariantChoice {
    /// Every variant at once (`-map 0`): the heaviest load per viewer.
    All,
    /// The first video and audio stream (`-map 0:v:0? -map 0:a:0?`).
    First,
    /// The variant with the highest BANDWIDTH in the master playlist (probed with ffprobe).
    Highest,
    /// The variant with the lowest BANDWIDTH in the master playlist (probed with ffprobe).
    Lowest,
}

/// Whether viewers go through the request tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TapChoice {
    /// On for an http:// stream (the tap times every request), off for https:// (its
    /// requests would pass through the tap encrypted, untimed).
    Auto,
    /// Every viewer sends its requests through the tap (http:// streams only).
    On,
    /// Viewers fetch from the origin directly; every figure comes from ffmpeg's log.
    Off,
}

/// Format of hls-swarm's own log lines on stderr and of the periodic status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// What to do when the ffprobe of the master playlist fails with --variant highest|lowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProbeFailurePolicy {
    /// Play the first variant instead, with a warning.
    Fallback,
    /// Stop with an error.
    Fail,
}

/// Flags of `hls-swarm run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The HLS playlist URL (master or media), http:// or https://.
    #[arg(env = "HLS_SWARM_URL", required_unless_present = "print_cmd")]
    pub url: Option<String>,

    #[command(flatten)]
    pub swarm: SwarmArgs,

    #[command(flatten)]
    pub distributed: DistributedArgs,

    /// Print viewer 0's exact ffmpeg command (shell-quoted) and exit.
    #[arg(long, env = "HLS_SWARM_PRINT_CMD")]
    pub print_cmd: bool,

    /// Skip the preflight: the fetch of the URL before the first viewer starts, and the limits check.
    #[arg(long, env = "HLS_SWARM_SKIP_PREFLIGHT")]
    pub skip_preflight: bool,

    /// Smoke test: one viewer for 10 s, then say plainly whether the URL plays.
    #[arg(long, env = "HLS_SWARM_CHECK")]
    pub check: bool,
}

/// Flags of a run split across machines (docs/DISTRIBUTED.md).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Distributed runs")]
pub struct DistributedArgs {
    /// Run shard I of N (I from 0): the viewers whose ids j have j mod N = I, ramping at 1/N of
    /// --ramp-rate. --clients and --ramp-rate stay the whole swarm's figures.
    #[arg(
        long,
        value_name = "I/N",
        env = "HLS_SWARM_SHARD",
        conflicts_with = "shards"
    )]
    pub shard: Option<Shard>,

    /// Split the swarm into N shards and read this shard's index from JOB_COMPLETION_INDEX
    /// (set in each pod of a Kubernetes Indexed Job).
    #[arg(long, value_name = "N", env = "HLS_SWARM_SHARDS", value_parser = clap::value_parser!(u32).range(1..))]
    pub shards: Option<u32>,

    /// Wait until TIME before the first viewer starts, so every shard starts together: RFC 3339
    /// in UTC (2026-12-02T17:30:00Z) or Unix seconds. A shard that comes up late starts at once
    /// and the summary says how late.
    #[arg(long, value_name = "TIME", env = "HLS_SWARM_START_AT", value_parser = parse_start_at)]
    pub start_at: Option<SystemTime>,

    /// A shard later than this past --start-at is refused instead of joining a test under way.
    #[arg(long, value_name = "D", default_value = "10s", env = "HLS_SWARM_START_TOLERANCE", value_parser = parse_duration)]
    pub start_tolerance: Duration,

    /// The run's id, the same on every shard: in the summary and as the `run_id` label (with
    /// `shard`) on every Prometheus series. Default: derived from --start-at and the URL.
    #[arg(long, value_name = "ID", env = "HLS_SWARM_RUN_ID")]
    pub run_id: Option<String>,
}

/// The flags shared by `run` and `demo`.
#[derive(Debug, Clone, Args)]
pub struct SwarmArgs {
    /// Number of concurrent viewers (ffmpeg processes).
    #[arg(long = "clients", default_value_t = 10, env = "HLS_SWARM_CLIENTS", value_parser = clap::value_parser!(u32).range(1..))]
    pub viewers: u32,

    /// Viewers started per second during ramp-up.
    #[arg(long, default_value_t = 5.0, env = "HLS_SWARM_RAMP_RATE", value_parser = parse_positive_f64)]
    pub ramp_rate: f64,

    /// Random extra delay before each viewer start, at most half the ramp interval.
    #[arg(long, default_value = "200ms", env = "HLS_SWARM_RAMP_JITTER", value_parser = parse_duration)]
    pub ramp_jitter: Duration,

    /// While this machine is saturated (CPU busy ≥ 90 % of its cores, or memory ≥ 95 % of its
    /// limit; a container's cgroup limits count), hold the ramp: start no viewer, for at most
    /// this long in all per run, then ramp on and say so. 0 never holds.
    #[arg(long, value_name = "D", default_value = "60s", env = "HLS_SWARM_MAX_RAMP_HOLD", value_parser = parse_duration)]
    pub max_ramp_hold: Duration,

    /// The request tap: a proxy on 127.0.0.1 that every viewer's ffmpeg sends its requests
    /// through (`-http_proxy`), timing each one (TTFB, download time, late segments) without
    /// changing what the origin sees. `auto` is on for http:// streams; `off` counts everything
    /// from ffmpeg's log, as before.
    #[arg(long, value_enum, default_value_t = TapChoice::Auto, env = "HLS_SWARM_TAP")]
    pub tap: TapChoice,

    /// How long to run after the first viewer starts (`30s`, `5m`, `1h30m`); 0 runs until Ctrl-C.
    #[arg(long, default_value = "0", env = "HLS_SWARM_DURATION", value_parser = parse_duration)]
    pub duration: Duration,

    /// Which variant each viewer plays.
    #[arg(long, value_enum, default_value_t = VariantChoice::All, env = "HLS_SWARM_VARIANT")]
    pub variant: VariantChoice,

    /// With --variant highest|lowest: what to do when probing the master playlist fails.
    #[arg(long, value_enum, default_value_t = ProbeFailurePolicy::Fallback, env = "HLS_SWARM_PROBE_FAILURE_POLICY")]
    pub probe_failure_policy: ProbeFailurePolicy,

    /// Base User-Agent; viewer N sends `BASE/client-N`, so the origin's log tells viewers apart.
    #[arg(long, default_value = concat!("hls-swarm/", env!("CARGO_PKG_VERSION")), env = "HLS_SWARM_USER_AGENT")]
    pub user_agent: String,

    /// Extra HTTP request header `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE", env = "HLS_SWARM_HEADER")]
    pub headers: Vec<String>,

    /// Send `Cache-Control: no-cache` and `Pragma: no-cache` to bypass CDN caches.
    #[arg(long, env = "HLS_SWARM_NO_CACHE")]
    pub no_cache: bool,

    /// Connect to this IP instead of resolving the URL's host (keeps the Host header; disables TLS verification). Needs --dangerous.
    #[arg(long, value_name = "IP", env = "HLS_SWARM_RESOLVE")]
    pub resolve: Option<IpAddr>,

    /// Allow options that weaken safety: --resolve (and the TLS verification it turns off).
    #[arg(long, env = "HLS_SWARM_DANGEROUS")]
    pub dangerous: bool,

    /// Network read/write timeout of each ffmpeg request (`-rw_timeout`).
    #[arg(long, default_value = "15s", env = "HLS_SWARM_TIMEOUT", value_parser = parse_nonzero_duration)]
    pub timeout: Duration,

    /// Do not pass ffmpeg's HTTP reconnect options.
    #[arg(long, env = "HLS_SWARM_NO_RECONNECT")]
    pub no_reconnect: bool,

    /// Longest delay between ffmpeg's HTTP reconnect attempts (`-reconnect_delay_max`).
    #[arg(long, default_value = "5s", env = "HLS_SWARM_RECONNECT_DELAY_MAX", value_parser = parse_duration)]
    pub reconnect_delay_max: Duration,

    /// Segment retries before ffmpeg skips a segment (`-seg_max_retry`; only where the installed ffmpeg has it).
    #[arg(long, default_value_t = 3, env = "HLS_SWARM_SEG_RETRY")]
    pub seg_retry: u32,

    /// The ffmpeg binary to run.
    #[arg(long, default_value = "ffmpeg", env = "HLS_SWARM_FFMPEG")]
    pub ffmpeg: PathBuf,

    /// On stop, how long each ffmpeg gets to exit after SIGINT before it is killed.
    #[arg(long, default_value = "5s", env = "HLS_SWARM_STOP_GRACE", value_parser = parse_duration)]
    pub stop_grace: Duration,

    /// Accepted and ignored: lines are no longer queued (and dropped) per viewer; every line is read, and a viewer whose log is not read in time waits, as on a pipe.
    #[arg(long, hide = true, env = "HLS_SWARM_STATS_BUFFER", value_parser = clap::value_parser!(u32).range(1..))]
    pub stats_buffer: Option<u32>,

    /// Exact segment sizes: a JSON listing `[{"name": "seg00017.ts", "size": 1281032}, …]` (nginx autoindex_format json).
    #[arg(long, value_name = "URL", env = "HLS_SWARM_SEGMENT_SIZES_URL")]
    pub segment_sizes_url: Option<String>,

    /// Write the summary as JSON (schema hls-swarm.summary.v2) to this file; `-` prints it,
    /// compact, as the last line of stdout (what `kubectl logs --tail=1` collects).
    #[arg(long, value_name = "PATH|-", env = "HLS_SWARM_SUMMARY_JSON")]
    pub summary_json: Option<PathBuf>,

    /// Also write the run's HTML report to this file: one self-contained page (no script, nothing
    /// fetched) with the outcome, charts over time and the summary's tables.
    #[arg(long, value_name = "PATH", env = "HLS_SWARM_REPORT")]
    pub report: Option<PathBuf>,

    /// A pass/fail check on the run's final summary, `NAME OP VALUE` (repeatable; several
    /// comma-separated in HLS_SWARM_THRESHOLD). A failed one makes the run exit 7.
    #[arg(long = "threshold", value_name = "EXPR", env = "HLS_SWARM_THRESHOLD", value_delimiter = ',', value_parser = parse_threshold, long_help = threshold_help())]
    pub thresholds: Vec<Threshold>,

    /// Stop the run early once a threshold's figure, over the last 30 s after the ramp has
    /// finished, crosses its limit (figures checked on the final summary only are not watched);
    /// the summary and the report are still written, and the run exits 7.
    #[arg(long, env = "HLS_SWARM_ABORT_ON_FAIL", requires = "thresholds")]
    pub abort_on_fail: bool,

    /// Format of hls-swarm's own log and status lines.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "HLS_SWARM_LOG_FORMAT")]
    pub log_format: LogFormat,

    /// No live dashboard: plain status lines even on a terminal (always so when stdout is not a terminal).
    #[arg(long, env = "HLS_SWARM_NO_TUI")]
    pub no_tui: bool,

    /// Status line interval in plain mode.
    #[arg(long, default_value = "5s", env = "HLS_SWARM_STATUS_INTERVAL", value_parser = parse_nonzero_duration)]
    pub status_interval: Duration,

    /// Verbose: log every viewer start, exit and restart.
    #[arg(short, long, env = "HLS_SWARM_VERBOSE")]
    pub verbose: bool,

    /// Serve Prometheus /metrics, /healthz and /readyz on ADDR (`off` disables). Binds to all interfaces only if you say so (`0.0.0.0:17091`).
    #[arg(long, value_name = "ADDR|off", default_value = "127.0.0.1:17091", env = "HLS_SWARM_METRICS", value_parser = parse_metrics_addr)]
    pub metrics: MetricsAddr,

    /// After the run, keep serving /metrics (the final figures) this long before exiting, so a
    /// Prometheus server scrapes them once more: set it to your scrape interval.
    #[arg(long, value_name = "D", default_value = "0s", env = "HLS_SWARM_METRICS_LINGER", value_parser = parse_duration)]
    pub metrics_linger: Duration,

    /// Also export per-viewer metrics (one series per viewer and metric: costly above 200 viewers).
    #[arg(long = "per-client-metrics", env = "HLS_SWARM_PER_CLIENT_METRICS")]
    pub per_viewer_metrics: bool,

    /// The origin's node_exporter /metrics URL: origin CPU, memory and network beside our figures.
    #[arg(long, value_name = "URL", env = "HLS_SWARM_ORIGIN_METRICS")]
    pub origin_metrics: Option<String>,

    /// The origin's nginx-prometheus-exporter /metrics URL: active connections and request rate.
    #[arg(long, value_name = "URL", env = "HLS_SWARM_NGINX_METRICS")]
    pub nginx_metrics: Option<String>,

    /// Shorthand for both: http://HOST:9100/metrics and http://HOST:9113/metrics (explicit URLs win).
    #[arg(long, value_name = "HOST", env = "HLS_SWARM_ORIGIN_METRICS_HOST")]
    pub origin_metrics_host: Option<String>,

    /// Which of the origin's network devices count: `except-lo` (its real traffic), `all` (an origin tested on 127.0.0.1), or a list `eth0,eth1`.
    #[arg(
        long,
        default_value = "except-lo",
        value_name = "except-lo|all|DEV,…",
        env = "HLS_SWARM_ORIGIN_NET_DEVICES"
    )]
    pub origin_net_devices: String,

    /// How often the origin's exporters are scraped.
    #[arg(long, default_value = "2s", env = "HLS_SWARM_ORIGIN_METRICS_INTERVAL", value_parser = parse_nonzero_duration)]
    pub origin_metrics_interval: Duration,
}

/// Flags of `hls-swarm replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// ffmpeg's captured stderr (run with `-loglevel repeat+level+debug` or `…+datetime+debug`).
    #[arg(long, value_name = "FILE")]
    pub stderr: PathBuf,

    /// ffmpeg's captured `-progress` output.
    #[arg(long, value_name = "FILE")]
    pub progress: Option<PathBuf>,

    /// The stream URL to show in the summary (default: the first URL ffmpeg opened).
    #[arg(long)]
    pub url: Option<String>,

    /// Print the summary JSON (schema hls-swarm.summary.v2) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `hls-swarm merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' summaries: files written by --summary-json, or saved logs (kubectl logs) whose last line is the summary JSON.
    #[arg(value_name = "SUMMARY", required = true)]
    pub files: Vec<PathBuf>,

    /// Print the merged summary JSON (schema hls-swarm.summary.v2) on stdout instead of text.
    #[arg(long)]
    pub json: bool,

    /// Also write the merged summary JSON to this file.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Merge even when shards of the run have no summary; the merged summary lists them in missing_shards.
    #[arg(long)]
    pub allow_missing: bool,

    /// A pass/fail check on the merged summary, `NAME OP VALUE` (repeatable); a failed one
    /// exits 7.
    #[arg(long = "threshold", value_name = "EXPR", value_delimiter = ',', value_parser = parse_threshold, long_help = threshold_help())]
    pub thresholds: Vec<Threshold>,
}

/// Flags of `hls-swarm report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// The summary: a file written by --summary-json or merge -o, or a saved log whose last line is the summary JSON.
    #[arg(value_name = "SUMMARY")]
    pub summary: PathBuf,

    /// Write the HTML report to this file (without it, the text summary is printed).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// A pass/fail check on the summary, `NAME OP VALUE` (repeatable), replacing those it was
    /// saved with; a failed one exits 7.
    #[arg(long = "threshold", value_name = "EXPR", value_delimiter = ',', value_parser = parse_threshold, long_help = threshold_help())]
    pub thresholds: Vec<Threshold>,
}

/// Flags of `hls-swarm origin`.
#[derive(Debug, Clone, Args)]
pub struct OriginArgs {
    /// Address to listen on; port 0 picks a free port and prints it.
    #[arg(
        long,
        default_value = "127.0.0.1:8080",
        env = "HLS_SWARM_ORIGIN_LISTEN"
    )]
    pub listen: SocketAddr,

    /// Where to write the access log (one line per request); `-` for stdout.
    #[arg(long, value_name = "PATH", env = "HLS_SWARM_ORIGIN_ACCESS_LOG")]
    pub access_log: Option<PathBuf>,

    #[command(flatten)]
    pub faults: OriginFaults,

    /// The ffmpeg binary used to render the test stream once.
    #[arg(long, default_value = "ffmpeg", env = "HLS_SWARM_FFMPEG")]
    pub ffmpeg: PathBuf,

    /// Stop after this long (0: run until Ctrl-C).
    #[arg(long, default_value = "0", value_parser = parse_duration)]
    pub duration: Duration,
}

/// The faults `hls-swarm origin` injects (none by default, as in `hls-swarm demo`).
#[derive(Debug, Clone, Default, Args)]
pub struct OriginFaults {
    /// Inject a fault into the requests whose path matches PATTERN (a glob: `*` any run of
    /// characters, `?` one), in a share RATE of them (0 to 1, default 1; seeded, reproducible):
    /// `STATUS:PATTERN[:RATE]` answers that status (`404:/v0/seg*.ts:0.1`);
    /// `delay:PATTERN:DURATION[:RATE]` waits before answering (`delay:/v1/*:300ms`);
    /// `rate:PATTERN:BYTES_PER_SECOND[:RATE]` sends the body at that rate, like nginx's
    /// limit_rate (`rate:*.ts:200k`, k = 1024); `cut:PATTERN[:RATE]` sends the headers and half
    /// the body, then closes the connection; `short:PATTERN[:RATE]` answers a complete response
    /// with half the body (a truncated file); `empty:PATTERN[:RATE]` answers 200 with an empty
    /// body (a 0-byte file). Body faults change only successful answers to GET. Repeatable;
    /// checked in order (the first status and the first body fault that fire apply, delays
    /// add up).
    #[arg(long = "fault", value_name = "RULE")]
    pub rules: Vec<String>,

    /// Seed for the fault decisions (same seed, same faults).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// A stale live stream: this long after the origin starts, its media playlists stop
    /// changing (no new segment, no #EXT-X-ENDLIST); they and their segments are still served.
    #[arg(long, value_name = "DURATION", value_parser = parse_nonzero_duration)]
    pub stale_after: Option<Duration>,

    /// A stream that ends: this long after the origin starts, its media playlists stop
    /// changing and end with #EXT-X-ENDLIST; they and their segments are still served.
    #[arg(long, value_name = "DURATION", value_parser = parse_nonzero_duration)]
    pub end_after: Option<Duration>,
}

/// Flags of `hls-swarm demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Viewers to run against the built-in origin.
    #[arg(long = "clients", default_value_t = 20)]
    pub viewers: u32,

    /// How long to run.
    #[arg(long, default_value = "30s", value_parser = parse_nonzero_duration)]
    pub duration: Duration,

    /// Write the origin's access log here (default: a temporary file, shown at the end).
    #[arg(long, value_name = "PATH")]
    pub access_log: Option<PathBuf>,

    /// Write the summary as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub summary_json: Option<PathBuf>,

    /// The ffmpeg binary to run.
    #[arg(long, default_value = "ffmpeg", env = "HLS_SWARM_FFMPEG")]
    pub ffmpeg: PathBuf,
}

/// What `hls-swarm kubernetes --help` shows after the flags.
const KUBERNETES_HELP: &str = "\
Example (docs/DISTRIBUTED.md):
  hls-swarm kubernetes http://origin.example:8080/live/master.m3u8 \\
      --clients 3000 --shards 10 --start-in 2m --image registry.example/hls-swarm:0.1.0 \\
    | kubectl apply -f -
The manifests go to stdout; what to run next (collecting and merging the summaries) goes to stderr.
No HLS_SWARM_* environment variable is read: the manifests are what the flags say.

Exit codes:
  0  the manifests were printed
  2  usage error (unknown flag, bad value: 0 shards, a time that is not RFC 3339 or Unix seconds)
  3  configuration error (more shards than viewers, a start time in the past, a malformed URL)";

/// Flags of `hls-swarm kubernetes`.
#[derive(Debug, Clone, Args)]
pub struct KubernetesArgs {
    /// The HLS playlist URL every shard plays (master or media), http:// or https://.
    pub url: String,

    /// Viewers of the whole run, over all shards: shard I runs the viewers j with j mod SHARDS = I.
    #[arg(long = "clients", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub viewers: u32,

    /// Shards: the pods of the Indexed Job, started together, each with its share of the viewers.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub shards: u32,

    /// When every shard starts its first viewer: RFC 3339 (`2030-01-01T12:00:00Z`, `…+02:00`) or Unix seconds.
    #[arg(long, value_name = "TIME", value_parser = parse_rfc3339_or_unix, conflicts_with = "start_in")]
    pub start_at: Option<DateTime<Utc>>,

    /// Start this long from now instead (the default when neither is given: 2m, time for the pods to be scheduled and pull the image).
    #[arg(long, value_name = "D", value_parser = parse_nonzero_duration)]
    pub start_in: Option<Duration>,

    /// Viewers started per second over the whole run (each shard ramps at its share).
    #[arg(long, value_name = "R", default_value_t = 5.0, value_parser = parse_positive_f64)]
    pub ramp_rate: f64,

    /// How long each shard runs after its first viewer starts (a Job must end by itself: 0 is refused).
    #[arg(long, value_name = "D", default_value = "5m", value_parser = parse_nonzero_duration)]
    pub duration: Duration,

    /// The container image: Debian's ffmpeg and the hls-swarm binary (deploy/Containerfile builds one).
    #[arg(long, value_name = "IMAGE", default_value = concat!("hls-swarm:", env!("CARGO_PKG_VERSION")), value_parser = parse_image)]
    pub image: String,

    /// Namespace of the ConfigMap, the Job and the PodMonitor.
    #[arg(long, value_name = "NS", default_value = "default", value_parser = parse_dns_label)]
    pub namespace: String,

    /// Name of the run's ConfigMap and Job (default: hls-swarm-YYYYMMDD-HHMMSS of the start time, in UTC).
    #[arg(long, value_name = "NAME", value_parser = parse_dns_label)]
    pub name: Option<String>,

    /// Leave the PodMonitor out (a cluster without the Prometheus Operator has no such kind).
    #[arg(long)]
    pub no_pod_monitor: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_in_the_documented_forms() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("soon").is_err());
        assert!(parse_nonzero_duration("0").is_err());
    }

    #[test]
    fn flags_after_the_url_are_not_ignored() {
        // Flags after the URL count (a parser that stops at the first positional would drop them).
        let cli = Cli::try_parse_from(["hls-swarm", "run", "http://h/x.m3u8", "--clients", "7"])
            .expect("parses");
        let Command::Run(run) = cli.command else {
            panic!("expected run")
        };
        assert_eq!(run.swarm.viewers, 7);
        assert_eq!(run.url.as_deref(), Some("http://h/x.m3u8"));
    }

    #[test]
    fn zero_viewers_is_a_usage_error() {
        let err = Cli::try_parse_from(["hls-swarm", "run", "http://h/x.m3u8", "--clients", "0"])
            .expect_err("0 clients is refused");
        assert_eq!(err.exit_code(), 2);
    }
}
