//! `cargo xtask spawn-cost`: what starting one viewer costs hls-swarm, a benchmark (never a
//! test). Two measures, both in the CPU `/proc/self/stat` counts:
//! - **fork against `posix_spawn`**, in this process while 4 threads keep writing `--mb` MB of
//!   memory (as hls-swarm and its request tap do): `/bin/true` started `--starts` times with a
//!   `pre_exec` step (which makes std fork) and without one (std then uses `posix_spawn`), this
//!   process's CPU per start, less what the writers cost over the same time idle;
//! - **the trampoline**: `/bin/true` started directly and through `hls-swarm
//!   --hls-swarm-trampoline` (the release build), the children's CPU per start.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hls_swarm_testkit::proc;

use crate::perf::clock_ticks;
use crate::{project_root, run};

/// `cargo xtask spawn-cost [--mb 20,400] [--starts 200]`.
pub fn spawn_cost(rest: &[String]) -> Result<()> {
    let (sizes, starts) = parse_args(rest)?;
    let ticks = clock_ticks()?;
    run(
        "cargo",
        &["build", "--release", "--locked", "--bin", "hls-swarm"],
    )?;
    let bin = project_root().join("target/release/hls-swarm");
    println!(
        "Reproduce: `cargo xtask spawn-cost --mb {} --starts {starts}`",
        join(&sizes)
    );
    println!();
    println!(
        "| resident memory written by 4 threads | fork: this process's CPU per start | posix_spawn: per start |"
    );
    println!("|---:|---:|---:|");
    for &mb in &sizes {
        let writers = Writers::start(mb);
        let fork = own_cpu_per_start(starts, ticks, true)?;
        let spawn = own_cpu_per_start(starts, ticks, false)?;
        writers.stop();
        println!("| {mb} MB | {:.2} ms | {:.2} ms |", fork * 1e3, spawn * 1e3);
    }
    let parent = std::process::id().to_string();
    let direct = children_cpu_per_start(starts, ticks, &mut || Command::new("/bin/true"))?;
    let through = children_cpu_per_start(starts, ticks, &mut || {
        let mut c = Command::new(&bin);
        c.args(["--hls-swarm-trampoline", &parent, "/bin/true"]);
        c
    })?;
    println!();
    println!(
        "The trampoline: /bin/true {:.2} ms of CPU per start directly, {:.2} ms through it: {:.2} ms per start for the trampoline",
        direct * 1e3,
        through * 1e3,
        (through - direct) * 1e3
    );
    Ok(())
}

fn join(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_args(rest: &[String]) -> Result<(Vec<usize>, u32)> {
    let (mut sizes, mut starts) = (vec![20, 400], 200);
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let value = it.next().with_context(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--mb" => {
                sizes = (value.split(','))
                    .map(|s| s.trim().parse())
                    .collect::<Result<_, _>>()
                    .context("--mb takes sizes in MB, comma-separated")?;
            }
            "--starts" => starts = value.parse().context("--starts takes a number")?,
            other => anyhow::bail!("unknown spawn-cost option {other:?}"),
        }
    }
    Ok((sizes, starts))
}

/// 4 threads, each writing one byte of every page of its quarter of the memory every 100 ms.
struct Writers {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Writers {
    fn start(mb: usize) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..4)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut memory = vec![1u8; mb * 1024 * 1024 / 4];
                    while !stop.load(Ordering::Relaxed) {
                        for page in memory.iter_mut().step_by(4096) {
                            *page = page.wrapping_add(1);
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    std::hint::black_box(&memory);
                })
            })
            .collect();
        // Every page written once before the measure starts.
        std::thread::sleep(Duration::from_millis(500));
        Writers { stop, threads }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// This process's CPU, seconds: `(own, its reaped children's)`.
fn cpu(ticks: f64) -> Result<(f64, f64)> {
    let s = proc::stat(std::process::id()).context("cannot read /proc/self/stat")?;
    Ok((
        (s.utime + s.stime) as f64 / ticks,
        (s.cutime + s.cstime) as f64 / ticks,
    ))
}

/// This process's CPU per start of `/bin/true`, forked (`fork`) or not, less the same time idle.
fn own_cpu_per_start(starts: u32, ticks: f64, fork: bool) -> Result<f64> {
    let (before, _) = cpu(ticks)?;
    let t0 = Instant::now();
    for _ in 0..starts {
        let mut c = Command::new("/bin/true");
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if fork {
            // SAFETY: an empty closure; its presence alone makes std fork.
            unsafe {
                c.pre_exec(|| Ok(()));
            }
        }
        c.status().context("cannot run /bin/true")?;
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = t0.elapsed();
    let (after, _) = cpu(ticks)?;
    let idle_start = cpu(ticks)?.0;
    std::thread::sleep(elapsed);
    let idle = cpu(ticks)?.0 - idle_start;
    Ok(((after - before) - idle).max(0.0) / f64::from(starts))
}

/// The reaped children's CPU per start of the command `make` builds.
fn children_cpu_per_start(
    starts: u32,
    ticks: f64,
    make: &mut dyn FnMut() -> Command,
) -> Result<f64> {
    let (_, before) = cpu(ticks)?;
    for _ in 0..starts {
        let status = make()
            .stdin(Stdio::null())
            .status()
            .context("cannot start")?;
        anyhow::ensure!(status.success(), "a start failed: {status}");
    }
    let (_, after) = cpu(ticks)?;
    Ok((after - before) / f64::from(starts))
}
