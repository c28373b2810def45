//! `hls-swarm kubernetes`: the manifests of one sharded run (ConfigMap, Indexed Job, PodMonitor).
//!
//! They are written as text, so that they carry comments (the sizing arithmetic, what each
//! setting is for); every free-form value is quoted as a JSON string, which YAML reads as the
//! same string. `deploy/kubernetes/hls-swarm.yaml` is this command's output for the example
//! named in its first lines: `tests/kubernetes.rs` checks that the two do not drift apart, and
//! validates both against the Kubernetes and Prometheus Operator schemas.

use std::io::Write as _;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use hls_swarm_supervise::{is_https, shell_quote};

use crate::cli::KubernetesArgs;
use crate::exit::{Exit, Failure};
use crate::target::validate_url;

/// The port every shard serves `/metrics` on, on all interfaces (Prometheus scrapes the pod IP).
const METRICS_PORT: u16 = 17091;
/// The name of that port, which the PodMonitor refers to.
const METRICS_PORT_NAME: &str = "metrics";
/// `--stop-grace` of every shard: how long each ffmpeg gets after SIGINT before SIGKILL.
const STOP_GRACE_SECS: u64 = 5;
/// How long Kubernetes waits after SIGTERM before it kills the pod: the stop grace, then time
/// for hls-swarm to reap its viewers, take the last tick and print the summary.
const TERMINATION_GRACE_SECS: u64 = STOP_GRACE_SECS + 25;
/// How long a finished Job, its pods and so their logs (the summaries) are kept.
const TTL_AFTER_FINISHED_SECS: u64 = 86_400;
/// The start when neither `--start-at` nor `--start-in` is given.
const DEFAULT_START_IN: Duration = Duration::from_secs(120);
/// Below this lead time a note says that late pods are refused.
const SHORT_LEAD: Duration = Duration::from_secs(60);

/// Memory of one viewer (one ffmpeg), measured: the host crate's estimate, about 18 MB.
const VIEWER_MEMORY_MB: u64 = hls_swarm_host::VIEWER_MEMORY_BYTES / 1_000_000;
/// Memory of hls-swarm itself, measured: 10–20 MB.
const SELF_MEMORY_MB: u64 = 20;
/// CPU of one viewer's ffmpeg in millionths of a core: the host crate's estimate, 0.19 % of a
/// core (docs/PERFORMANCE.md, "What one viewer costs").
// `as` after rounding: the estimate is a small positive number of cores.
const FFMPEG_CPU_MICROS: u64 = (hls_swarm_host::VIEWER_CPU_CORES * 1e6 + 0.5) as u64;
/// CPU of hls-swarm reading one viewer's log, in millionths of a core: an upper bound with
/// margin over the 0.011–0.026 % measured at 100–600 viewers (docs/PERFORMANCE.md).
const PARSE_CPU_MICROS: u64 = 350;
/// CPU of one viewer in all, in millionths of a core.
const VIEWER_CPU_MICROS: u64 = FFMPEG_CPU_MICROS + PARSE_CPU_MICROS;
/// The request tap's cost a viewer, for an http:// stream (the pods run with `--tap auto`,
/// which puts it through the tap), measured at 700 viewers through it (docs/PERFORMANCE.md,
/// "700 viewers through the request tap": 20.9 % of a core, 384 MB peak RSS): CPU in
/// millionths of a core, and memory in MB, rounded up.
const TAP_CPU_MICROS: u64 = 300;
const TAP_MEMORY_MB: u64 = 1;
/// CPU of hls-swarm's own work that does not grow with the viewers (ticks, scrapes), in millicores.
const SELF_CPU_MILLIS: u64 = 100;
/// The most viewers one hls-swarm was measured with; above it a pod is beyond what was measured.
const MOST_VIEWERS_MEASURED: u64 = 700;

/// The resources one pod asks for, from the measured cost of a viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sizing {
    /// Viewers of the fullest shard: ceil(viewers / shards).
    viewers_per_pod: u64,
    /// Whether the viewers go through the request tap (an http:// stream).
    tap: bool,
    /// Memory of one viewer, MB: its ffmpeg's, and the tap's share with the tap.
    viewer_memory_mb: u64,
    /// CPU of one viewer in millionths of a core: its ffmpeg's, hls-swarm reading its log,
    /// and the tap's share with the tap.
    viewer_cpu_micros: u64,
    /// (viewers × viewer memory + 20 MB) × 1.25, in MB: request and limit.
    memory_mb: u64,
    /// viewers × viewer CPU × 2 + 100 m, in millicores: the request.
    cpu_millis: u64,
    /// Twice the request, in millicores: the limit.
    cpu_limit_millis: u64,
}

impl Sizing {
    /// `tap`: the viewers go through the request tap.
    fn for_run(viewers: u32, shards: u32, tap: bool) -> Sizing {
        let per_pod = u64::from(viewers).div_ceil(u64::from(shards));
        let (viewer_memory_mb, viewer_cpu_micros) = match tap {
            true => (
                VIEWER_MEMORY_MB + TAP_MEMORY_MB,
                VIEWER_CPU_MICROS + TAP_CPU_MICROS,
            ),
            false => (VIEWER_MEMORY_MB, VIEWER_CPU_MICROS),
        };
        let memory_mb = ((per_pod * viewer_memory_mb + SELF_MEMORY_MB) * 5).div_ceil(4);
        let cpu_millis = (per_pod * viewer_cpu_micros * 2).div_ceil(1000) + SELF_CPU_MILLIS;
        Sizing {
            viewers_per_pod: per_pod,
            tap,
            viewer_memory_mb,
            viewer_cpu_micros,
            memory_mb,
            cpu_millis,
            cpu_limit_millis: 2 * cpu_millis,
        }
    }
}

/// One run, checked: what the manifests are made of.
#[derive(Debug)]
struct Plan<'a> {
    args: &'a KubernetesArgs,
    /// The name of the ConfigMap and the Job.
    name: String,
    /// When every shard starts its first viewer.
    start: DateTime<Utc>,
    sizing: Sizing,
}

/// Runs `hls-swarm kubernetes`: the manifests on stdout, what to do next on stderr.
pub fn kubernetes(args: &KubernetesArgs) -> anyhow::Result<Exit> {
    let now = Utc::now();
    let plan = plan(args, now)?;
    let manifests = render(&plan);
    std::io::stdout()
        .lock()
        .write_all(manifests.as_bytes())
        .and_then(|()| std::io::stdout().flush())
        .map_err(|e| {
            Failure::caused_by(
                Exit::Runtime,
                "cannot write the manifests to stdout: pipe them into `kubectl apply -f -` or redirect them to a file",
                e,
            )
        })?;
    eprint!("{}", next_steps(&plan, now));
    Ok(Exit::Ok)
}

/// Checks the flags against each other and against `now`, in one sentence each.
fn plan(args: &KubernetesArgs, now: DateTime<Utc>) -> Result<Plan<'_>, Failure> {
    if args.url.chars().any(char::is_control) {
        return Err(Failure::new(
            Exit::Config,
            format!(
                "{:?} holds a control character: pass the playlist URL on its own",
                args.url
            ),
        ));
    }
    validate_url(&args.url)?;
    if args.shards > args.viewers {
        return Err(Failure::new(
            Exit::Config,
            format!(
                "{} viewers cannot fill {} shards: pass at most --shards {}, or more --clients",
                args.viewers, args.shards, args.viewers
            ),
        ));
    }
    let start = match (args.start_at, args.start_in) {
        (Some(at), _) => at,
        (None, start_in) => {
            let lead = TimeDelta::from_std(start_in.unwrap_or(DEFAULT_START_IN))
                .ok()
                .and_then(|lead| now.checked_add_signed(lead))
                .ok_or_else(|| {
                    Failure::new(
                        Exit::Config,
                        "--start-in is too far ahead: pass a shorter one, or --start-at",
                    )
                })?;
            // Up to a whole second: the time is written down, and a fraction would only be noise.
            let up = i64::from(lead.timestamp_subsec_nanos() > 0);
            DateTime::from_timestamp(lead.timestamp() + up, 0).unwrap_or(lead)
        }
    };
    if start <= now {
        return Err(Failure::new(
            Exit::Config,
            format!(
                "the start time {} is already past (it is {} now): pass a later --start-at, or --start-in 2m",
                rfc3339(start),
                rfc3339(now)
            ),
        ));
    }
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("hls-swarm-{}", start.format("%Y%m%d-%H%M%S")));
    Ok(Plan {
        args,
        name,
        start,
        sizing: Sizing::for_run(args.viewers, args.shards, !is_https(&args.url)),
    })
}

/// A time as RFC 3339 in UTC, with a fraction only when it has one.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A string as a YAML scalar that reads back as exactly that string (a JSON string is one).
fn q(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// `hls-swarm kubernetes …` with every value spelled out: what makes these manifests again.
fn command_line(plan: &Plan<'_>) -> String {
    let args = plan.args;
    let mut words = vec![
        "hls-swarm".to_owned(),
        "kubernetes".to_owned(),
        args.url.clone(),
    ];
    for (flag, value) in [
        ("--clients", args.viewers.to_string()),
        ("--shards", args.shards.to_string()),
        ("--start-at", rfc3339(plan.start)),
        ("--ramp-rate", args.ramp_rate.to_string()),
        (
            "--duration",
            humantime::format_duration(args.duration).to_string(),
        ),
        ("--image", args.image.clone()),
        ("--namespace", args.namespace.clone()),
        ("--name", plan.name.clone()),
    ] {
        words.extend([flag.to_owned(), value]);
    }
    if args.no_pod_monitor {
        words.push("--no-pod-monitor".to_owned());
    }
    words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The manifests of the run: a comment header, then the ConfigMap, the Job and the PodMonitor.
fn render(plan: &Plan<'_>) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let command = command_line(plan);
    let mut out = format!(
        "# One sharded hls-swarm run on Kubernetes, made by hls-swarm {version} with:
#   {command}
# Apply it with `kubectl apply -f FILE` (or pipe the command into `kubectl apply -f -`);
# docs/DISTRIBUTED.md says how to collect and merge the shards' summaries.
"
    );
    out.push_str(&config_map(plan));
    out.push_str(&job(plan));
    if !plan.args.no_pod_monitor {
        out.push_str(&pod_monitor(plan));
    }
    out
}

/// The start of one of the run's own objects: its kind, and the run's name, namespace and labels.
fn object_header(api_version: &str, kind: &str, plan: &Plan<'_>) -> String {
    let (name, namespace) = (q(&plan.name), q(&plan.args.namespace));
    format!(
        "---
apiVersion: {api_version}
kind: {kind}
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: hls-swarm
    app.kubernetes.io/instance: {name}
"
    )
}

/// The run's flags, handed to every shard as `HLS_SWARM_*` environment variables.
fn config_map(plan: &Plan<'_>) -> String {
    let args = plan.args;
    let url = q(&args.url);
    let viewers = q(&args.viewers.to_string());
    let ramp_rate = q(&args.ramp_rate.to_string());
    let duration = q(&humantime::format_duration(args.duration).to_string());
    let start = q(&rfc3339(plan.start));
    let metrics = q(&format!("0.0.0.0:{METRICS_PORT}"));
    let stop_grace = q(&format!("{STOP_GRACE_SECS}s"));
    let header = object_header("v1", "ConfigMap", plan);
    format!(
        r#"{header}# The flags of `hls-swarm run` in every shard, as HLS_SWARM_<FLAG> (see `hls-swarm run --help`);
# any other run flag can be added here the same way.
data:
  HLS_SWARM_URL: {url}
  # The whole run's viewers and ramp: shard I runs viewers j with j mod shards = I, at its share of the rate.
  HLS_SWARM_CLIENTS: {viewers}
  HLS_SWARM_RAMP_RATE: {ramp_rate}
  HLS_SWARM_DURATION: {duration}
  # Every shard waits for this time, so that all start together; one later than the start tolerance is refused.
  HLS_SWARM_START_AT: {start}
  HLS_SWARM_METRICS: {metrics}
  # Serve the final figures one scrape interval (5 s) longer, so Prometheus scrapes them.
  HLS_SWARM_METRICS_LINGER: "5s"
  # The summary JSON is the last line of each pod's log: `kubectl logs POD --tail=1`.
  HLS_SWARM_SUMMARY_JSON: "-"
  HLS_SWARM_STOP_GRACE: {stop_grace}
  HLS_SWARM_NO_TUI: "true"
"#
    )
}

/// The Indexed Job: one pod per shard, each told the shard count and the run id.
fn job(plan: &Plan<'_>) -> String {
    let args = plan.args;
    let name = q(&plan.name);
    let image = q(&args.image);
    let shards = args.shards;
    let shards_str = q(&shards.to_string());
    let Sizing {
        viewers_per_pod,
        tap,
        viewer_memory_mb,
        viewer_cpu_micros,
        memory_mb,
        cpu_millis,
        cpu_limit_millis,
    } = plan.sizing;
    let viewers = args.viewers;
    let millis = |micros: u64| micros as f64 / 1000.0;
    let (viewer_cpu, ffmpeg_cpu, parse_cpu) = (
        millis(viewer_cpu_micros * 2),
        millis(FFMPEG_CPU_MICROS),
        millis(PARSE_CPU_MICROS),
    );
    let (tap_memory, tap_cpu) = match tap {
        true => (
            format!(" + {TAP_MEMORY_MB} MB the request tap's share"),
            format!(
                " + {}m (the request tap relaying its requests)",
                millis(TAP_CPU_MICROS)
            ),
        ),
        false => (String::new(), String::new()),
    };
    let header = object_header("batch/v1", "Job", plan);
    format!(
        r#"{header}spec:
  # Each pod gets JOB_COMPLETION_INDEX = its shard, 0 to {last}, from Kubernetes itself.
  completionMode: Indexed
  completions: {shards}
  # Every shard at once: they all start their viewers at HLS_SWARM_START_AT.
  parallelism: {shards}
  # A failed shard is not run again, late, into a test that went on without it ...
  backoffLimitPerIndex: 0
  # ... and does not stop the others: `hls-swarm merge` names it as missing.
  maxFailedIndexes: {shards}
  # The pods, and with them the logs that hold the summaries, are kept this long after the run.
  ttlSecondsAfterFinished: {TTL_AFTER_FINISHED_SECS}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: hls-swarm
        app.kubernetes.io/instance: {name}
        app.kubernetes.io/component: shard
    spec:
      restartPolicy: Never
      # Above HLS_SWARM_STOP_GRACE ({STOP_GRACE_SECS}s): on SIGTERM hls-swarm stops its viewers gracefully and prints its summary.
      terminationGracePeriodSeconds: {TERMINATION_GRACE_SECS}
      # Spread the shards over the nodes where there is room (a preference, never a reason not to start).
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              app.kubernetes.io/instance: {name}
      containers:
        - name: hls-swarm
          image: {image}
          command: ["hls-swarm", "run"]
          envFrom:
            - configMapRef:
                name: {name}
          env:
            # = completions; the shard index itself is JOB_COMPLETION_INDEX, which Kubernetes sets.
            - name: HLS_SWARM_SHARDS
              value: {shards_str}
            # The Job's own uid: the same in every shard of this run, new for every run.
            - name: HLS_SWARM_RUN_ID
              valueFrom:
                fieldRef:
                  fieldPath: metadata.labels['batch.kubernetes.io/controller-uid']
          ports:
            - name: {METRICS_PORT_NAME}
              containerPort: {METRICS_PORT}
              protocol: TCP
          # Sizing, from the cost measured per viewer (docs/DISTRIBUTED.md, "Sizing"):
          #   viewers per pod = ceil({viewers} / {shards}) = {viewers_per_pod}
          #   memory = ({viewers_per_pod} x {viewer_memory_mb} MB + {SELF_MEMORY_MB} MB for hls-swarm) x 1.25 = {memory_mb} MB, where {viewer_memory_mb} MB a viewer is
          #            {VIEWER_MEMORY_MB} MB (its ffmpeg){tap_memory}
          #            request = limit (memory cannot be throttled; a pod above its request is evicted first)
          #   cpu    = {viewers_per_pod} x {viewer_cpu}m + {SELF_CPU_MILLIS}m for hls-swarm = {cpu_millis}m, where {viewer_cpu}m a viewer is twice
          #            the measured {ffmpeg_cpu}m (its ffmpeg) + {parse_cpu}m (hls-swarm reading its log){tap_cpu}, for the ramp-up
          #   cpu limit = 2 x request: a throttled load generator falls behind real time and measures itself
          resources:
            requests:
              cpu: {cpu_millis}m
              memory: {memory_mb}M
            limits:
              cpu: {cpu_limit_millis}m
              memory: {memory_mb}M
          securityContext:
            allowPrivilegeEscalation: false
            runAsNonRoot: true
            capabilities:
              drop: ["ALL"]
"#,
        last = shards - 1,
    )
}

/// The PodMonitor that has the Prometheus Operator scrape every shard of every run.
fn pod_monitor(plan: &Plan<'_>) -> String {
    let namespace = q(&plan.args.namespace);
    format!(
        r#"---
# One PodMonitor for every hls-swarm run in the namespace: each series carries run_id and shard.
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: hls-swarm
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: hls-swarm
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: hls-swarm
      app.kubernetes.io/component: shard
  podMetricsEndpoints:
    - port: {METRICS_PORT_NAME}
      path: /metrics
      interval: 5s
"#
    )
}

/// What to run next, for stderr: apply, wait, collect each shard's summary, merge.
fn next_steps(plan: &Plan<'_>, now: DateTime<Utc>) -> String {
    let args = plan.args;
    let (name, ns) = (&plan.name, &args.namespace);
    let lead = (plan.start - now).to_std().unwrap_or_default();
    let lead_secs = Duration::from_secs(lead.as_secs());
    let wait = lead + args.duration + Duration::from_secs(TERMINATION_GRACE_SECS + 120);
    let mut out = format!(
        "run {name}: {shards} shards of at most {per_pod} viewers ({viewers} in all) in namespace {ns}, starting at {start} (in {lead})\n",
        shards = args.shards,
        per_pod = plan.sizing.viewers_per_pod,
        viewers = args.viewers,
        start = rfc3339(plan.start),
        lead = humantime::format_duration(lead_secs),
    );
    if lead < SHORT_LEAD {
        out.push_str("note: a pod not running by then starts late, and one later than the start tolerance (10 s by default) is refused: give the pods time to be scheduled and pull the image\n");
    }
    if plan.sizing.viewers_per_pod > MOST_VIEWERS_MEASURED {
        out.push_str(&format!(
            "note: {} viewers a pod is more than one hls-swarm was measured with ({MOST_VIEWERS_MEASURED}): more --shards keep each pod within it\n",
            plan.sizing.viewers_per_pod
        ));
    }
    out.push_str(&format!(
        "apply:   pipe this output into `kubectl apply -f -`
wait:    kubectl wait -n {ns} --for=condition=complete job/{name} --timeout={wait}s
collect: for i in $(seq 0 {last}); do kubectl logs -n {ns} -l batch.kubernetes.io/job-name={name},batch.kubernetes.io/job-completion-index=$i --tail=1 > shard-$i.json; done
merge:   hls-swarm merge shard-*.json
",
        wait = wait.as_secs(),
        last = args.shards - 1,
    ));
    out
}

#[cfg(test)]
mod tests;
