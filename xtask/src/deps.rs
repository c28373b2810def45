//! Installs what the demo and the tests need: Debian packages via apt-get when we are root.

use std::process::Command;

use anyhow::{Result, bail};

/// A program the project needs and the Debian package that provides it.
struct Need {
    program: &'static str,
    package: &'static str,
    why: &'static str,
}

const FFMPEG: Need = Need {
    program: "ffmpeg",
    package: "ffmpeg",
    why: "every viewer is an ffmpeg process",
};

/// What `cargo xtask ci` needs beyond the Rust toolchain.
const TEST_NEEDS: &[Need] = &[
    FFMPEG,
    Need {
        program: "promtool",
        package: "prometheus",
        why: "lints /metrics, and the Prometheus server scrapes a real run",
    },
    Need {
        program: "prometheus-node-exporter",
        package: "prometheus-node-exporter",
        why: "the origin-metrics test scrapes a real node_exporter",
    },
    Need {
        program: "prometheus-nginx-exporter",
        package: "prometheus-nginx-exporter",
        why: "the origin-metrics test scrapes a real nginx exporter",
    },
    Need {
        program: "nginx",
        package: "nginx-light",
        why: "the nginx exporter needs an nginx to watch",
    },
    Need {
        program: "tmux",
        package: "tmux",
        why: "the dashboard test drives a real terminal",
    },
    Need {
        program: "cargo-nextest",
        package: "",
        why: "the test runner",
    },
];

/// Makes sure ffmpeg is on PATH, installing it with apt-get when missing and running as root.
pub fn ensure_ffmpeg() -> Result<()> {
    ensure(std::slice::from_ref(&FFMPEG))
}

/// Makes sure every tool the test suite uses is present.
pub fn ensure_test_deps() -> Result<()> {
    ensure(TEST_NEEDS)
}

fn ensure(needs: &[Need]) -> Result<()> {
    let missing: Vec<&Need> = needs.iter().filter(|n| !on_path(n.program)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if let Some(n) = missing.iter().find(|n| n.package.is_empty()) {
        bail!(
            "{} is missing ({}): install it with `cargo install {} --locked`",
            n.program,
            n.why,
            n.program
        );
    }
    let packages: Vec<&str> = missing.iter().map(|n| n.package).collect();
    if !is_root() {
        bail!(
            "missing {} ({}): install with `sudo apt-get install -y {}` and run again",
            missing
                .iter()
                .map(|n| n.program)
                .collect::<Vec<_>>()
                .join(", "),
            missing.iter().map(|n| n.why).collect::<Vec<_>>().join("; "),
            packages.join(" ")
        );
    }
    eprintln!("installing {} with apt-get", packages.join(" "));
    super::run_env(
        "apt-get",
        &["update", "-qq"],
        &[("DEBIAN_FRONTEND", "noninteractive")],
    )?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&packages);
    super::run_env("apt-get", &args, &[("DEBIAN_FRONTEND", "noninteractive")])?;
    for n in missing {
        if !on_path(n.program) {
            bail!(
                "apt-get installed {} but {} is still not on PATH",
                n.package,
                n.program
            );
        }
    }
    Ok(())
}

fn on_path(program: &str) -> bool {
    // nginx lives in /usr/sbin, which a non-login PATH may lack.
    Command::new("sh")
        .args([
            "-c",
            &format!("PATH=\"$PATH:/usr/sbin:/sbin\" command -v {program} >/dev/null 2>&1"),
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}
