//! Developer commands for hls-swarm: `cargo xtask ci | demo | loom | bench | fuzz | perf | soak | spawn-cost | deps`.
//!
//! Kept lean on purpose (std + anyhow, and the std-only test kit for `/proc`): every step is a
//! plain command that can be copied out of this file and run by hand.

mod deps;
mod perf;
mod soak;
mod spawn_cost;

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  ci      install what the tests need (ffmpeg, ...), then run every check:
          fmt, clippy -D warnings, tests (nextest), doctests, docs, loom models
  demo    install ffmpeg if missing, build release, run `hls-swarm demo`
          (extra arguments are passed to `hls-swarm demo`)
  loom    run the loom models of crates/stats (RUSTFLAGS=--cfg loom)
  bench   run the criterion benches with short measurement times
  fuzz    run the parser's no-panic property tests long (PROPTEST_CASES, default 200000)
  deps    only install what the tests need
  perf    hls-swarm's own CPU/RSS at N viewers vs the origin's [--clients 20,50] [--duration 60s]
  soak    hls-swarm's memory, descriptors, threads and zombie children over a long run
          [--clients 50] [--duration 30m], or over N viewer restarts [--restarts 1000]
  spawn-cost  what starting a viewer costs: fork against posix_spawn with [--mb 20,400] MB
          written, and the trampoline [--starts 200]
";

fn main() -> Result<()> {
    let mut args = env::args().skip(1);
    let cmd = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let root = project_root();
    env::set_current_dir(&root).context("cannot enter the project root")?;
    match cmd.as_str() {
        "ci" => ci(),
        "demo" => demo(&rest),
        "loom" => loom(),
        "bench" => bench(&rest),
        "fuzz" => fuzz(),
        "deps" => deps::ensure_test_deps(),
        "perf" => perf::perf(&rest),
        "soak" => soak::soak(&rest),
        "spawn-cost" => spawn_cost::spawn_cost(&rest),
        "" | "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown xtask command {other:?}\n\n{USAGE}"),
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the root")
        .to_path_buf()
}

/// Runs `program args…`, echoing it first; fails with the command line when it fails.
fn run(program: &str, args: &[&str]) -> Result<()> {
    run_env(program, args, &[])
}

fn run_env(program: &str, args: &[&str], envs: &[(&str, &str)]) -> Result<()> {
    let shown = std::iter::once(program)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let prefix: String = envs.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    eprintln!("$ {prefix}{shown}");
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    eprintln!("  ({:.1}s)", started.elapsed().as_secs_f64());
    if !status.success() {
        bail!("`{prefix}{shown}` failed ({status})");
    }
    Ok(())
}

fn ci() -> Result<()> {
    let started = Instant::now();
    deps::ensure_test_deps()?;
    run("cargo", &["fmt", "--all", "--check"])?;
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run(
        "cargo",
        &[
            "nextest",
            "run",
            "--workspace",
            "--locked",
            "--no-fail-fast",
        ],
    )?;
    run("cargo", &["test", "--workspace", "--locked", "--doc"])?;
    run_env(
        "cargo",
        &["doc", "--workspace", "--no-deps", "--locked"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    loom()?;
    eprintln!(
        "xtask ci: every check passed in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs the loom models of crates/stats, and fails unless at least one model ran and passed: a
/// broken `cfg(loom)` gating (or filter) would otherwise pass with zero models.
fn loom() -> Result<()> {
    let args = [
        "test",
        "--package",
        "hls-swarm-stats",
        "--release",
        "--locked",
        "--target-dir",
        "target-loom",
        "--lib",
        "loom_",
    ];
    let envs = [("RUSTFLAGS", "--cfg loom"), ("LOOM_MAX_PREEMPTIONS", "2")];
    let prefix: String = envs.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    eprintln!("$ {prefix}cargo {}", args.join(" "));
    let started = Instant::now();
    let mut child = Command::new("cargo")
        .args(args)
        .envs(envs)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot run cargo")?;
    // The harness prints `test loom_models::loom_… ... ok` on stdout: echo it and count.
    let mut passed = 0;
    for line in std::io::BufRead::lines(std::io::BufReader::new(
        child.stdout.take().context("cargo's stdout")?,
    )) {
        let line = line.context("cannot read cargo's output")?;
        println!("{line}");
        if line
            .strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" ... ok"))
            .is_some_and(|name| name.contains("loom_"))
        {
            passed += 1;
        }
    }
    let status = child.wait().context("cannot wait for cargo")?;
    eprintln!("  ({:.1}s)", started.elapsed().as_secs_f64());
    if !status.success() {
        bail!("`{prefix}cargo {}` failed ({status})", args.join(" "));
    }
    if passed == 0 {
        bail!(
            "no loom model ran: the `loom_*` tests of crates/stats are compiled only under \
             `--cfg loom` (`mod loom_models` in crates/stats/src/lib.rs) and picked by the \
             `loom_` filter: check both"
        );
    }
    eprintln!("xtask loom: {passed} models passed");
    Ok(())
}

fn demo(rest: &[String]) -> Result<()> {
    deps::ensure_ffmpeg()?;
    run(
        "cargo",
        &["build", "--release", "--locked", "--bin", "hls-swarm"],
    )?;
    let mut args = vec!["demo"];
    args.extend(rest.iter().map(String::as_str));
    let bin = project_root().join("target/release/hls-swarm");
    let status = Command::new(&bin)
        .args(&args)
        .status()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !status.success() {
        bail!("hls-swarm demo exited with {status}");
    }
    Ok(())
}

fn bench(rest: &[String]) -> Result<()> {
    let mut args = vec![
        "bench",
        "--locked",
        "--bench",
        "parse",
        "--bench",
        "stats",
        "--bench",
        "aggregate",
        "--bench",
        "replay",
        "--",
        "--warm-up-time",
        "1",
        "--measurement-time",
        "3",
    ];
    args.extend(rest.iter().map(String::as_str));
    run("cargo", &args)
}

fn fuzz() -> Result<()> {
    let cases = env::var("PROPTEST_CASES").unwrap_or_else(|_| "200000".to_owned());
    run_env(
        "cargo",
        &[
            "test",
            "--package",
            "hls-swarm-parse",
            "--release",
            "--locked",
            "--test",
            "no_panic",
        ],
        &[("PROPTEST_CASES", &cases)],
    )
}
