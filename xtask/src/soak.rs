//! `cargo xtask soak`: whether hls-swarm stays bounded over time, a benchmark (never a test).
//!
//! Two shapes, both against the built-in origin (its own process) with the release binary:
//! - **a soak** (`--clients 50 --duration 30m`): viewers playing for a long time;
//! - **restarts** (`--restarts 1000`): every viewer asks for a playlist the origin does not
//!   have, so each ffmpeg exits at once and is restarted with backoff, until hls-swarm has
//!   restarted viewers that many times (read from its `/metrics`), then SIGINT.
//!
//! Every `--every` (10 s) it samples hls-swarm's resident memory and threads
//! (`/proc/PID/status`), its open file descriptors (`/proc/PID/fd`), and its children: ffmpegs
//! alive and zombies (exited, not yet reaped). It prints one Markdown row per sample, then the
//! first and last samples side by side: a leak shows as a rise from the first to the last.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hls_swarm_testkit::{net, proc};

use crate::perf::{create, origin_url, parse_secs, stop};
use crate::{project_root, run};

/// What one look at hls-swarm found.
struct Sample {
    at_s: f64,
    rss_kb: u64,
    threads: u64,
    fds: usize,
    children_alive: usize,
    zombies: usize,
    restarts: Option<u64>,
}

/// The arguments.
struct Args {
    clients: u32,
    duration: String,
    restarts: Option<u64>,
    every: Duration,
}

/// `cargo xtask soak [--clients 50] [--duration 30m] [--restarts N] [--every 10s]`.
pub fn soak(rest: &[String]) -> Result<()> {
    let args = parse_args(rest)?;
    run(
        "cargo",
        &["build", "--release", "--locked", "--bin", "hls-swarm"],
    )?;
    let bin = project_root().join("target/release/hls-swarm");
    let dir = std::env::temp_dir().join(format!("hls-swarm-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    eprintln!("xtask soak: files in {}", dir.display());
    let origin_err = dir.join("origin.stderr");
    let mut origin = Command::new(&bin)
        .args(["origin", "--listen", "127.0.0.1:0", "--access-log"])
        .arg(dir.join("origin.access.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(create(&origin_err)?)
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let result = origin_url(&mut origin, &origin_err, Duration::from_secs(180))
        .and_then(|url| soak_against(&bin, &dir, &url, &args));
    if origin.try_wait().ok().flatten().is_none() {
        let _ = stop(&mut origin);
    }
    let samples = result?;
    print_table(&samples, &args, rest);
    Ok(())
}

fn soak_against(bin: &Path, dir: &Path, url: &str, args: &Args) -> Result<Vec<Sample>> {
    let metrics = format!("127.0.0.1:{}", net::free_port());
    let clients = args.clients.to_string();
    // A playlist the origin does not have: every ffmpeg exits at once (404), and is restarted.
    let missing = url.replace("master.m3u8", "no-such-playlist.m3u8");
    let target = if args.restarts.is_some() {
        missing.as_str()
    } else {
        url
    };
    // With --restarts the run ends by SIGINT once enough restarts were counted.
    let duration = if args.restarts.is_some() {
        "0s"
    } else {
        args.duration.as_str()
    };
    let mut cmd = Command::new(bin);
    cmd.args(["run", target, "--clients", &clients, "--duration", duration])
        .args(["--metrics", &metrics, "--no-tui"])
        .args(["--summary-json"])
        .arg(dir.join("summary.json"));
    if args.restarts.is_some() {
        cmd.arg("--skip-preflight");
    }
    eprintln!("$ {cmd:?}");
    let mut swarm = cmd
        .stdin(Stdio::null())
        .stdout(create(&dir.join("run.stdout"))?)
        .stderr(create(&dir.join("run.stderr"))?)
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let result = sample_until_done(&mut swarm, &metrics, args);
    if swarm.try_wait().ok().flatten().is_none() {
        let _ = stop(&mut swarm);
    }
    let samples = result?;
    let status = swarm.wait().context("cannot reap hls-swarm")?;
    // Viewers that never play may end "nothing measured" (exit 5); anything else is a failure.
    let fine = match args.restarts {
        Some(_) => matches!(status.code(), Some(0 | 5)),
        None => status.success(),
    };
    if !fine {
        bail!(
            "hls-swarm exited with {status}: see {}",
            dir.join("run.stderr").display()
        );
    }
    Ok(samples)
}

fn sample_until_done(swarm: &mut Child, metrics: &str, args: &Args) -> Result<Vec<Sample>> {
    let started = Instant::now();
    let limit = parse_secs(&args.duration).unwrap_or(3600.0) + 120.0;
    let mut samples = Vec::new();
    let mut next = started;
    loop {
        if let Some(status) = swarm.try_wait()? {
            if args.restarts.is_some() {
                bail!("hls-swarm exited on its own with {status} before the restarts were made");
            }
            return Ok(samples);
        }
        if Instant::now() >= next {
            next += args.every;
            let sample = sample(swarm.id(), started, metrics)?;
            let enough =
                matches!((args.restarts, sample.restarts), (Some(want), Some(n)) if n >= want);
            samples.push(sample);
            if enough {
                // SIGINT: the graceful stop; the summary is written.
                let _ = Command::new("kill")
                    .args(["-INT", &swarm.id().to_string()])
                    .status();
                let until = Instant::now() + Duration::from_secs(30);
                while swarm.try_wait()?.is_none() {
                    if Instant::now() > until {
                        bail!("hls-swarm did not stop within 30 s of SIGINT");
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                return Ok(samples);
            }
        }
        if started.elapsed().as_secs_f64() > limit && args.restarts.is_none() {
            bail!("hls-swarm did not finish within {limit:.0}s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One look at hls-swarm (`pid`) and its children.
fn sample(pid: u32, started: Instant, metrics: &str) -> Result<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("hls-swarm vanished while sampled")?;
    let field = |name: &str| -> u64 {
        (status.lines())
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .context("cannot list hls-swarm's descriptors")?
        .count();
    let children: Vec<proc::Stat> = (proc::pids().into_iter())
        .filter_map(proc::stat)
        .filter(|s| s.ppid == pid)
        .collect();
    let zombies = children.iter().filter(|s| s.is_zombie()).count();
    let restarts = net::http_get(metrics, "/metrics").and_then(|(_, body)| {
        (body.lines())
            .find_map(|l| l.strip_prefix("hls_swarm_client_restarts_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|v| v as u64)
    });
    Ok(Sample {
        at_s: started.elapsed().as_secs_f64(),
        rss_kb: field("VmRSS:"),
        threads: field("Threads:"),
        fds,
        children_alive: children.len() - zombies,
        zombies,
        restarts,
    })
}

fn print_table(samples: &[Sample], args: &Args, rest: &[String]) {
    println!();
    println!("Reproduce: `cargo xtask soak {}`", rest.join(" "));
    println!();
    println!(
        "| t (s) | RSS MB | threads | open fds | ffmpeg children alive | zombie children | restarts |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let row = |s: &Sample| {
        format!(
            "| {:.0} | {:.1} | {} | {} | {} | {} | {} |",
            s.at_s,
            s.rss_kb as f64 / 1024.0,
            s.threads,
            s.fds,
            s.children_alive,
            s.zombies,
            s.restarts.map_or("-".to_owned(), |n| n.to_string()),
        )
    };
    for s in samples {
        println!("{}", row(s));
    }
    // The first sample once every viewer is up (a ramp of 10 a second), against the last.
    let ramp_s = f64::from(args.clients) / 10.0 + 5.0;
    let first = samples.iter().find(|s| s.at_s >= ramp_s);
    if let (Some(first), Some(last)) = (first, samples.last()) {
        println!();
        println!(
            "after the ramp ({:.0} s) -> end ({:.0} s): RSS {:.1} -> {:.1} MB, fds {} -> {}, threads {} -> {}, most zombies at one look {}",
            first.at_s,
            last.at_s,
            first.rss_kb as f64 / 1024.0,
            last.rss_kb as f64 / 1024.0,
            first.fds,
            last.fds,
            first.threads,
            last.threads,
            samples.iter().map(|s| s.zombies).max().unwrap_or(0),
        );
    }
    // Each live ffmpeg holds its pipes open in hls-swarm: descriptors compare only at looks
    // when no ffmpeg was alive (between restarts).
    let idle: Vec<usize> = (samples.iter())
        .filter(|s| s.children_alive == 0 && s.at_s >= ramp_s)
        .map(|s| s.fds)
        .collect();
    if let (Some(first), Some(last)) = (idle.first(), idle.last()) {
        println!(
            "open fds at looks with no ffmpeg alive ({} looks): first {first}, last {last}, most {}",
            idle.len(),
            idle.iter().max().unwrap_or(first)
        );
    }
}

fn parse_args(rest: &[String]) -> Result<Args> {
    let mut args = Args {
        clients: 50,
        duration: "30m".to_owned(),
        restarts: None,
        every: Duration::from_secs(10),
    };
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .with_context(|| format!("{arg} needs a value"))
                .cloned()
        };
        match arg.as_str() {
            "--clients" => {
                args.clients = (value()?.parse().ok())
                    .filter(|&n| n > 0)
                    .context("--clients takes a number above 0")?;
            }
            "--duration" => args.duration = value()?,
            "--restarts" => {
                args.restarts = Some(
                    (value()?.parse().ok())
                        .filter(|&n| n > 0)
                        .context("--restarts takes a number above 0")?,
                );
            }
            "--every" => {
                args.every = (parse_secs(&value()?))
                    .filter(|s| *s >= 1.0)
                    .map(Duration::from_secs_f64)
                    .context("--every takes a duration of at least 1s (10s, 1m)")?;
            }
            other => bail!(
                "unknown soak argument {other:?}: usage: cargo xtask soak [--clients 50] [--duration 30m] [--restarts N] [--every 10s]"
            ),
        }
    }
    if parse_secs(&args.duration).is_none() {
        bail!("--duration takes a duration (30m, 90s)");
    }
    Ok(args)
}
