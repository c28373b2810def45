//! `cargo xtask perf`: what hls-swarm itself costs at N viewers, one Markdown table row per run.
//!
//! Each run starts the built-in origin as its own process (so its CPU is measured apart), runs
//! `hls-swarm run` against it with the release binary, and reads:
//! - hls-swarm's own CPU and peak RSS from the summary's `self` (getrusage, children excluded),
//!   its log lines read/dropped from `pipeline` and its requests from `requests.total`;
//! - the viewers' CPU from `/proc/<hls-swarm>/stat` `cutime + cstime` while hls-swarm is a
//!   zombie (it has reaped every ffmpeg; we have not reaped it yet);
//! - the origin's CPU from `/proc/<origin>/stat` `utime + stime` just before stopping it;
//! - the whole machine's busy share from `/proc/stat` over the run, for context.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hls_swarm_testkit::proc;

use crate::{project_root, run};

/// What one perf run measured.
struct Row {
    clients: u32,
    duration: String,
    duration_s: f64,
    self_cpu_s: f64,
    peak_rss_bytes: f64,
    lines_read: f64,
    lines_dropped: f64,
    requests: f64,
    origin_cpu_s: f64,
    viewers_cpu_s: f64,
    machine_busy_pct: f64,
    stalled: f64,
    /// `host.saturated_s` and `host.stall_onsets_while_saturated`, when the summary has them.
    host_saturated_s: Option<f64>,
    stalls_while_saturated: Option<f64>,
    /// `self.tap_cpu_s`: the request tap's threads, when the run had the tap.
    tap_cpu_s: Option<f64>,
}

/// `cargo xtask perf [--clients 20,50] [--duration 60s] [--ramp-rate 10] [--tap auto|on|off]`.
pub fn perf(rest: &[String]) -> Result<()> {
    let (clients, duration, ramp_rate, tap) = parse_args(rest)?;
    run(
        "cargo",
        &["build", "--release", "--locked", "--bin", "hls-swarm"],
    )?;
    let bin = project_root().join("target/release/hls-swarm");
    let ticks = clock_ticks()?;
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let dir = std::env::temp_dir().join(format!("hls-swarm-perf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let list = clients
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    eprintln!("xtask perf: files in {}", dir.display());
    let mut rows = Vec::new();
    for &n in &clients {
        rows.push(one_run(&bin, &dir, n, &duration, &ramp_rate, &tap, ticks)?);
    }
    println!();
    println!(
        "Reproduce: `cargo xtask perf --clients {list} --duration {duration} --ramp-rate {ramp_rate} --tap {tap}` ({cpus} CPUs)"
    );
    println!();
    println!(
        "| clients | duration | hls-swarm CPU s | % of one core | hls-swarm / viewers' CPU | request tap CPU s (% of one core) | peak RSS MB | lines read | lines/s | lines dropped | requests | origin CPU s | viewers (ffmpeg) CPU s | machine busy % | stalled viewers (of them, began while host saturated) | host saturated s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let or_absent =
        |v: Option<f64>, digits: usize| v.map_or("absent".to_owned(), |v| format!("{v:.digits$}"));
    for r in &rows {
        println!(
            "| {} | {} | {:.2} | {:.1} % | {:.1} % | {} | {:.1} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} | {:.1} | {:.0} % | {:.0} ({}) | {} |",
            r.clients,
            r.duration,
            r.self_cpu_s,
            100.0 * r.self_cpu_s / r.duration_s,
            100.0 * r.self_cpu_s / r.viewers_cpu_s.max(f64::MIN_POSITIVE),
            r.tap_cpu_s.map_or("no tap".to_owned(), |t| format!(
                "{t:.2} ({:.1} %)",
                100.0 * t / r.duration_s
            )),
            r.peak_rss_bytes / 1e6,
            r.lines_read,
            r.lines_read / r.duration_s,
            r.lines_dropped,
            r.requests,
            r.origin_cpu_s,
            r.viewers_cpu_s,
            r.machine_busy_pct,
            r.stalled,
            or_absent(r.stalls_while_saturated, 0),
            or_absent(r.host_saturated_s, 1),
        );
    }
    Ok(())
}

fn parse_args(rest: &[String]) -> Result<(Vec<u32>, String, String, String)> {
    let mut tap = "auto".to_owned();
    let mut clients = vec![20, 50];
    let mut duration = "60s".to_owned();
    let mut ramp_rate = "10".to_owned();
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .with_context(|| format!("{arg} needs a value"))
                .cloned()
        };
        match arg.as_str() {
            "--clients" => {
                clients = value()?
                    .split(',')
                    .map(|s| s.trim().parse::<u32>())
                    .collect::<Result<_, _>>()
                    .context("--clients takes a comma-separated list of numbers (20,50)")?;
            }
            "--duration" => duration = value()?,
            "--tap" => {
                tap = value()?;
                if !["auto", "on", "off"].contains(&tap.as_str()) {
                    bail!("--tap takes auto, on or off, not {tap:?}");
                }
            }
            "--ramp-rate" => {
                ramp_rate = value()?;
                if !ramp_rate
                    .parse::<f64>()
                    .is_ok_and(|r| r.is_finite() && r > 0.0)
                {
                    bail!("--ramp-rate takes viewers per second above 0 (10, 2.5)");
                }
            }
            other => bail!(
                "unknown perf argument {other:?}: usage: cargo xtask perf [--clients 20,50] [--duration 60s] [--ramp-rate 10] [--tap auto|on|off]"
            ),
        }
    }
    if clients.is_empty() || clients.contains(&0) {
        bail!("--clients needs at least one count above 0");
    }
    Ok((clients, duration, ramp_rate, tap))
}

/// Clock ticks per second for `/proc/<pid>/stat` times (`getconf CLK_TCK`).
pub(crate) fn clock_ticks() -> Result<f64> {
    let out = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .context("cannot run getconf CLK_TCK")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse::<f64>()
        .with_context(|| format!("getconf CLK_TCK printed {text:?}"))
}

fn one_run(
    bin: &Path,
    dir: &Path,
    clients: u32,
    duration: &str,
    ramp_rate: &str,
    tap: &str,
    ticks: f64,
) -> Result<Row> {
    let tag = format!("c{clients}");
    let origin_err = dir.join(format!("{tag}.origin.stderr"));
    let access_log = dir.join(format!("{tag}.origin.access.log"));
    let summary_path = dir.join(format!("{tag}.summary.json"));
    let mut origin = Command::new(bin)
        .args(["origin", "--listen", "127.0.0.1:0", "--access-log"])
        .arg(&access_log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(create(&origin_err)?)
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let result = measure(
        bin,
        dir,
        &tag,
        &mut origin,
        &origin_err,
        &summary_path,
        clients,
        duration,
        ramp_rate,
        tap,
        ticks,
    );
    // Whatever happened, the origin does not outlive the run.
    if origin.try_wait().ok().flatten().is_none() {
        let _ = origin.kill();
        let _ = origin.wait();
    }
    result
}

#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename the list
fn measure(
    bin: &Path,
    dir: &Path,
    tag: &str,
    origin: &mut Child,
    origin_err: &Path,
    summary_path: &Path,
    clients: u32,
    duration: &str,
    ramp_rate: &str,
    tap: &str,
    ticks: f64,
) -> Result<Row> {
    let url = origin_url(origin, origin_err, Duration::from_secs(180))?;
    let host = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .with_context(|| format!("origin url {url:?} is not http://HOST:PORT/…"))?;
    let sizes_url = format!("http://{host}/segments.json");
    let n = clients.to_string();
    let args = [
        "run",
        url.as_str(),
        "--clients",
        &n,
        "--duration",
        duration,
        "--ramp-rate",
        ramp_rate,
        "--tap",
        tap,
        "--metrics",
        "off",
        "--segment-sizes-url",
        &sizes_url,
        "--summary-json",
        summary_path.to_str().context("temp path is not UTF-8")?,
    ];
    eprintln!("$ {} {}", bin.display(), args.join(" "));
    let machine_before = machine_times()?;
    let started = Instant::now();
    let mut swarm = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(create(&dir.join(format!("{tag}.run.stdout")))?)
        .stderr(create(&dir.join(format!("{tag}.run.stderr")))?)
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    // Wait for the zombie without reaping it, so its cutime/cstime (the ffmpeg viewers it
    // reaped) can still be read from /proc.
    let limit = parse_secs(duration).unwrap_or(3600.0) + 120.0;
    let stat = loop {
        let stat = proc::stat(swarm.id()).context("hls-swarm vanished before it was reaped")?;
        if stat.is_zombie() {
            break stat;
        }
        if started.elapsed().as_secs_f64() > limit {
            let _ = swarm.kill();
            let _ = swarm.wait();
            bail!(
                "hls-swarm did not finish within {limit:.0}s (see {})",
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let status = swarm.wait().context("cannot reap hls-swarm")?;
    let machine_after = machine_times()?;
    eprintln!("  ({:.1}s, {status})", started.elapsed().as_secs_f64());
    if !status.success() {
        bail!(
            "hls-swarm run exited with {status}: see {}",
            dir.join(format!("{tag}.run.stderr")).display()
        );
    }
    let origin_stat = proc::stat(origin.id()).context("the origin exited during the run")?;
    stop(origin)?;

    let text = std::fs::read_to_string(summary_path)
        .with_context(|| format!("cannot read {}", summary_path.display()))?;
    let num = |path: &[&str]| -> Result<f64> {
        json_value(&text, path)
            .and_then(|v| v.parse::<f64>().ok())
            .with_context(|| format!("summary has no number at {}", path.join(".")))
    };
    let busy = machine_after.busy.saturating_sub(machine_before.busy) as f64;
    let total = machine_after.total.saturating_sub(machine_before.total) as f64;
    Ok(Row {
        clients,
        duration: duration.to_owned(),
        duration_s: num(&["duration_s"])?,
        self_cpu_s: num(&["self", "cpu_s"])?,
        peak_rss_bytes: num(&["self", "peak_rss_bytes"])?,
        lines_read: num(&["pipeline", "lines_read"])?,
        lines_dropped: num(&["pipeline", "lines_dropped"])?,
        requests: num(&["requests", "total"])?,
        origin_cpu_s: (origin_stat.utime + origin_stat.stime) as f64 / ticks,
        viewers_cpu_s: (stat.cutime + stat.cstime) as f64 / ticks,
        machine_busy_pct: if total > 0.0 {
            100.0 * busy / total
        } else {
            0.0
        },
        stalled: num(&["viewers", "stalled"])?,
        host_saturated_s: num(&["host", "saturated_s"]).ok(),
        stalls_while_saturated: num(&["host", "stall_onsets_while_saturated"]).ok(),
        tap_cpu_s: num(&["self", "tap_cpu_s"]).ok(),
    })
}

pub(crate) fn create(path: &Path) -> Result<File> {
    File::create(path).with_context(|| format!("cannot create {}", path.display()))
}

/// Polls the origin's stderr file for `hls-swarm origin: serving URL`.
pub(crate) fn origin_url(origin: &mut Child, stderr: &Path, deadline: Duration) -> Result<String> {
    let until = Instant::now() + deadline;
    loop {
        let text = std::fs::read_to_string(stderr).unwrap_or_default();
        if let Some(url) = text
            .lines()
            .find_map(|l| l.strip_prefix("hls-swarm origin: serving "))
        {
            return Ok(url.trim().to_owned());
        }
        if let Some(status) = origin.try_wait()? {
            bail!("the origin exited with {status}:\n{text}");
        }
        if Instant::now() > until {
            bail!("the origin printed no URL within {deadline:?}:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// SIGINT (the origin's graceful stop), then wait up to 10 s, then SIGKILL.
pub(crate) fn stop(child: &mut Child) -> Result<()> {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("xtask perf: the origin ignored SIGINT for 10 s; killing it");
    child.kill()?;
    child.wait()?;
    Ok(())
}

/// All CPUs' jiffies from the first line of `/proc/stat`: busy (all but idle and iowait), total.
struct MachineTimes {
    busy: u64,
    total: u64,
}

fn machine_times() -> Result<MachineTimes> {
    let text = std::fs::read_to_string("/proc/stat").context("cannot read /proc/stat")?;
    let line = text.lines().next().unwrap_or_default();
    // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is
    // already inside user/nice, so only the first eight count.
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|f| f.parse().ok())
        .collect();
    if v.len() < 5 {
        bail!("cannot parse /proc/stat: {line:?}");
    }
    let total: u64 = v.iter().sum();
    Ok(MachineTimes {
        busy: total - v[3] - v[4],
        total,
    })
}

/// Seconds in a duration like `60s`, `2m`, `1h`, `90` (for the wait limit only).
pub(crate) fn parse_secs(d: &str) -> Option<f64> {
    let (num, unit) = match d.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => d.split_at(i),
        None => (d, "s"),
    };
    let n = num.parse::<f64>().ok()?;
    match unit {
        "s" => Some(n),
        "m" => Some(n * 60.0),
        "h" => Some(n * 3600.0),
        _ => None,
    }
}

/// The raw text of the value at `path` (object keys) in a JSON document: just enough JSON to
/// read a few numbers from the summary without a JSON dependency in xtask.
fn json_value<'a>(doc: &'a str, path: &[&str]) -> Option<&'a str> {
    let mut value = doc.trim();
    for key in path {
        value = member(value, key)?;
    }
    Some(value)
}

/// In `obj` (text starting with `{`), the raw value of the member named `key`.
fn member<'a>(obj: &'a str, key: &str) -> Option<&'a str> {
    let b = obj.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut i = 1;
    loop {
        i = skip_ws(b, i);
        match *b.get(i)? {
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_end = string_end(b, i)?;
        let name = &obj[i + 1..key_end - 1];
        i = skip_ws(b, key_end);
        if *b.get(i)? != b':' {
            return None;
        }
        i = skip_ws(b, i + 1);
        let value_end = value_end(b, i)?;
        if name == key {
            return Some(&obj[i..value_end]);
        }
        i = value_end;
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// `b[i]` is an opening quote; the index just past the closing one.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// The index just past the value starting at `b[i]`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']') && !b[j].is_ascii_whitespace()
            {
                j += 1;
            }
            Some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
  "bytes": {"total": 7, "source": "x}\"{"},
  "pipeline": {"lines_dropped": 0, "lines_read": 12345},
  "requests": {"manifest": 1, "segment": 2, "total": 3, "per_s": 0.5},
  "self": {"cpu_s": 1.25, "peak_rss_bytes": 4096},
  "variants": [{"total": 99}],
  "total": 42
}"#;

    #[test]
    fn json_value_reads_nested_numbers_and_skips_strings_with_braces() {
        assert_eq!(json_value(DOC, &["requests", "total"]), Some("3"));
        assert_eq!(json_value(DOC, &["self", "cpu_s"]), Some("1.25"));
        assert_eq!(json_value(DOC, &["pipeline", "lines_read"]), Some("12345"));
        assert_eq!(json_value(DOC, &["total"]), Some("42"));
        assert_eq!(json_value(DOC, &["self", "missing"]), None);
        assert_eq!(json_value(DOC, &["bytes", "source"]), Some(r#""x}\"{""#));
    }

    #[test]
    fn durations_parse_to_seconds() {
        assert_eq!(parse_secs("60s"), Some(60.0));
        assert_eq!(parse_secs("2m"), Some(120.0));
        assert_eq!(parse_secs("90"), Some(90.0));
        assert_eq!(parse_secs("5x"), None);
    }
}
