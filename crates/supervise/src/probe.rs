//! Capability probing: asks the installed ffmpeg which of the options we use it accepts.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use std::time::Duration;

use crate::capabilities::{Capabilities, FfmpegVersion};
use crate::process::run_helper;

/// How long the whole probe may take before it is abandoned.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the installed ffmpeg cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// Nothing to run at that path (or on `PATH`).
    #[error(
        "ffmpeg not found at {}: install it (apt-get install ffmpeg) or pass --ffmpeg PATH",
        .path.display()
    )]
    NotFound {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The file exists but cannot be run.
    #[error("cannot run ffmpeg at {}: {source}; check the path and its permissions", .path.display())]
    Spawn {
        /// The path that was tried.
        path: PathBuf,
        /// The error from the operating system.
        source: io::Error,
    },
    /// `ffmpeg -version` ran but did not print an ffmpeg version line.
    #[error(
        "{} does not look like ffmpeg (`-version` printed {first_line:?}): pass the real ffmpeg with --ffmpeg PATH",
        .path.display()
    )]
    NotFfmpeg {
        /// The path that was tried.
        path: PathBuf,
        /// What it printed first.
        first_line: String,
    },
    /// An option the swarm cannot work without is missing.
    #[error(
        "ffmpeg {version} at {} lacks {missing}: install ffmpeg 4.4 or newer with the hls demuxer",
        .path.display()
    )]
    TooOld {
        /// The path that was tried.
        path: PathBuf,
        /// Its version, as printed.
        version: String,
        /// The missing option or component.
        missing: &'static str,
    },
    /// ffmpeg did not answer in time.
    #[error("ffmpeg at {} did not answer within {}s: check that it runs", .path.display(), PROBE_TIMEOUT.as_secs())]
    Timeout {
        /// The path that was tried.
        path: PathBuf,
    },
}

/// Runs the installed ffmpeg a few times (in parallel, about 0.1 s in all) to learn its
/// version and which optional options it accepts:
///
/// - `-version` for the version;
/// - `-loglevel repeat+level+datetime+debug -version` succeeds only if `datetime` is known;
/// - `-h long` must list `-progress` and `-stats_period` (essential);
/// - `-h demuxer=hls` must describe the hls demuxer (essential) and may list `-seg_max_retry`;
/// - `-h protocol=http` lists the reconnect options.
pub async fn probe(ffmpeg: &Path) -> Result<Capabilities, ProbeError> {
    match tokio::time::timeout(PROBE_TIMEOUT, probe_inner(ffmpeg)).await {
        Ok(result) => result,
        Err(_) => Err(ProbeError::Timeout {
            path: ffmpeg.to_owned(),
        }),
    }
}

async fn probe_inner(ffmpeg: &Path) -> Result<Capabilities, ProbeError> {
    let (version, datetime, long_help, hls_help, http_help) = tokio::join!(
        run(ffmpeg, &["-version"]),
        run(
            ffmpeg,
            &[
                "-hide_banner",
                "-loglevel",
                "repeat+level+datetime+debug",
                "-version"
            ]
        ),
        run(ffmpeg, &["-hide_banner", "-h", "long"]),
        run(ffmpeg, &["-hide_banner", "-h", "demuxer=hls"]),
        run(ffmpeg, &["-hide_banner", "-h", "protocol=http"]),
    );
    let version = version?;
    let first_line = version.stdout.lines().next().unwrap_or_default();
    let parsed = FfmpegVersion::parse(first_line).ok_or_else(|| ProbeError::NotFfmpeg {
        path: ffmpeg.to_owned(),
        first_line: first_line.to_owned(),
    })?;
    let too_old = |missing| ProbeError::TooOld {
        path: ffmpeg.to_owned(),
        version: parsed.raw.clone(),
        missing,
    };
    let long_help = long_help?;
    if !lists_option(&long_help.stdout, "-progress") {
        return Err(too_old("the -progress option"));
    }
    if !lists_option(&long_help.stdout, "-stats_period") {
        return Err(too_old("the -stats_period option"));
    }
    let hls_help = hls_help?;
    if !hls_help.stdout.contains("Demuxer hls") {
        return Err(too_old("the hls demuxer"));
    }
    let http = http_help?.stdout;
    Ok(Capabilities {
        loglevel_datetime: datetime?.success,
        hls_seg_max_retry: lists_option(&hls_help.stdout, "-seg_max_retry"),
        http_reconnect: lists_option(&http, "-reconnect"),
        http_reconnect_streamed: lists_option(&http, "-reconnect_streamed"),
        http_reconnect_on_network_error: lists_option(&http, "-reconnect_on_network_error"),
        http_reconnect_delay_max: lists_option(&http, "-reconnect_delay_max"),
        http_proxy: lists_option(&http, "-http_proxy"),
        version: Some(parsed),
    })
}

/// Whether `-h` output has a line whose first word is `option`.
fn lists_option(help: &str, option: &str) -> bool {
    help.lines()
        .any(|line| line.split_whitespace().next() == Some(option))
}

struct Output {
    success: bool,
    stdout: String,
}

async fn run(ffmpeg: &Path, args: &[&str]) -> Result<Output, ProbeError> {
    let args = args.iter().map(OsString::from).collect();
    let output = run_helper(ffmpeg, args)
        .await
        .map_err(|source| spawn_error(ffmpeg, source))?;
    Ok(Output {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    })
}

pub(crate) fn spawn_error(path: &Path, source: io::Error) -> ProbeError {
    if source.kind() == io::ErrorKind::NotFound {
        ProbeError::NotFound {
            path: path.to_owned(),
        }
    } else {
        ProbeError::Spawn {
            path: path.to_owned(),
            source,
        }
    }
}
