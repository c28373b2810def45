//! Variant probe: asks `ffprobe` for the HLS programs and their bitrates, for `highest`/`lowest`.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::command::{FfmpegConfig, Variant};
use crate::process::run_helper;

/// One HLS variant as ffprobe reports it (`programs[]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// `program_id`, for `-map 0:p:<id>`.
    pub program_id: u32,
    /// `tags.variant_bitrate` in bit/s; 0 when missing or not a number.
    pub variant_bitrate: u64,
}

/// Why the variant probe gave no answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VariantProbeError {
    /// ffprobe is not installed where it was looked for.
    #[error(
        "ffprobe not found at {}: install it (apt-get install ffmpeg) or use --variant all or first",
        .0.display()
    )]
    NotFound(PathBuf),
    /// ffprobe could not be started.
    #[error("cannot run ffprobe at {}: {source}", .path.display())]
    Spawn {
        /// The path that was tried.
        path: PathBuf,
        /// The error from the operating system.
        source: io::Error,
    },
    /// ffprobe did not finish in time.
    #[error("ffprobe did not finish within {}s: check that the stream URL answers", .0.as_secs())]
    Timeout(Duration),
    /// ffprobe failed (bad URL, unreachable origin, not HLS).
    #[error("ffprobe failed ({status}): check the stream URL{}", if .stderr.is_empty() { String::new() } else { format!(": {}", .stderr) })]
    Failed {
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The last lines of its stderr.
        stderr: String,
    },
    /// ffprobe's output was not the expected JSON.
    #[error("ffprobe printed unexpected output: {0}")]
    Json(String),
    /// The stream has no programs (not a multivariant playlist).
    #[error("the stream has no variants to choose from: use --variant all or first")]
    NoPrograms,
}

/// The `ffprobe` to use with `ffmpeg`: a sibling (`/opt/x/ffmpeg` → `/opt/x/ffprobe`,
/// `ffmpeg-6` → `ffprobe-6`) when the ffmpeg path names a directory and that file exists,
/// otherwise `ffprobe` from `PATH`.
pub fn ffprobe_for(ffmpeg: &Path) -> PathBuf {
    let name = ffmpeg.file_name().and_then(|n| n.to_str());
    if let (Some(name), Some(dir)) = (name, ffmpeg.parent())
        && !dir.as_os_str().is_empty()
        && let Some(suffix) = name.strip_prefix("ffmpeg")
    {
        let sibling = dir.join(format!("ffprobe{suffix}"));
        if sibling.is_file() {
            return sibling;
        }
    }
    PathBuf::from("ffprobe")
}

/// Runs `ffprobe -v error -print_format json -show_programs` on the config's URL, with the
/// same User-Agent (viewer 0's), headers, resolve rewrite and network timeout as the
/// viewers, and kills it after `timeout`.
pub async fn probe_variants(
    ffprobe: &Path,
    config: &FfmpegConfig,
    timeout: Duration,
) -> Result<Vec<Program>, VariantProbeError> {
    let mut args: Vec<OsString> = ["-v", "error", "-print_format", "json", "-show_programs"]
        .map(OsString::from)
        .into();
    if config.resolve.is_some() && config.url.to_ascii_lowercase().starts_with("https://") {
        args.extend(["-tls_verify", "0"].map(OsString::from));
    }
    args.push("-rw_timeout".into());
    args.push(config.timeout.as_micros().to_string().into());
    args.push("-user_agent".into());
    args.push(config.user_agent_for(0).into());
    if let Some(headers) = config.headers_value() {
        args.push("-headers".into());
        args.push(headers.into());
    }
    args.push(config.effective_url().into());
    // Dropping the helper's future on a timeout kills it.
    let output = tokio::time::timeout(timeout, run_helper(ffprobe, args))
        .await
        .map_err(|_| VariantProbeError::Timeout(timeout))?
        .map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                VariantProbeError::NotFound(ffprobe.to_owned())
            } else {
                VariantProbeError::Spawn {
                    path: ffprobe.to_owned(),
                    source,
                }
            }
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        return Err(VariantProbeError::Failed {
            status: output.status,
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("; "),
        });
    }
    parse_programs(&output.stdout)
}

/// Parses ffprobe's `-show_programs` JSON into programs sorted by ascending bitrate.
pub fn parse_programs(json: &[u8]) -> Result<Vec<Program>, VariantProbeError> {
    let value: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| VariantProbeError::Json(e.to_string()))?;
    let programs = value
        .get("programs")
        .and_then(|p| p.as_array())
        .ok_or_else(|| VariantProbeError::Json("no \"programs\" array".to_owned()))?;
    let mut out = Vec::with_capacity(programs.len());
    for program in programs {
        let Some(id) = program.get("program_id").and_then(|v| v.as_u64()) else {
            continue;
        };
        let bitrate = program
            .get("tags")
            .and_then(|t| t.get("variant_bitrate"))
            .and_then(|b| match b {
                serde_json::Value::String(s) => s.trim().parse().ok(),
                other => other.as_u64(),
            })
            .unwrap_or(0);
        out.push(Program {
            program_id: u32::try_from(id).unwrap_or(u32::MAX),
            variant_bitrate: bitrate,
        });
    }
    if out.is_empty() {
        return Err(VariantProbeError::NoPrograms);
    }
    out.sort_by_key(|p| p.variant_bitrate);
    Ok(out)
}

impl Variant {
    /// The program this variant selects from probed `programs` (sorted or not): the
    /// highest or lowest bitrate; `None` for [`Variant::All`]/[`Variant::First`] or no programs.
    pub fn select(self, programs: &[Program]) -> Option<u32> {
        match self {
            Variant::All | Variant::First => None,
            Variant::Highest => programs.iter().max_by_key(|p| p.variant_bitrate),
            Variant::Lowest => programs.iter().min_by_key(|p| p.variant_bitrate),
        }
        .map(|p| p.program_id)
    }
}

#[cfg(test)]
mod tests;
