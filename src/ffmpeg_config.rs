//! What each viewer's ffmpeg is told: the configuration built from the flags, checked against
//! what the installed ffmpeg accepts, and the variant picked with ffprobe when asked to.

use std::path::Path;
use std::time::Duration;

use hls_swarm_supervise::{
    Capabilities, FfmpegConfig, Header, Variant, ffprobe_for, probe, probe_variants,
};

use crate::cli::{ProbeFailurePolicy, SwarmArgs, VariantChoice};
use crate::exit::{Exit, Failure, describe};
use crate::log::Log;

/// Builds each viewer's ffmpeg configuration from the flags; a bad flag value is a config error.
pub fn ffmpeg_config(args: &SwarmArgs, url: &str) -> Result<FfmpegConfig, Failure> {
    if args.resolve.is_some() && !args.dangerous {
        return Err(Failure::new(
            Exit::Config,
            "--resolve sends traffic to an address the URL does not name and turns off TLS verification: add --dangerous if that is what you want",
        ));
    }
    let mut config = FfmpegConfig::new(url);
    config.ffmpeg = args.ffmpeg.clone();
    config.user_agent = args.user_agent.clone();
    config.no_cache = args.no_cache;
    config.resolve = args.resolve;
    config.timeout = args.timeout;
    config.reconnect = !args.no_reconnect;
    config.reconnect_delay_max =
        u32::try_from(args.reconnect_delay_max.as_secs().max(1)).unwrap_or(u32::MAX);
    config.seg_max_retry = args.seg_retry;
    config.variant = match args.variant {
        VariantChoice::All => Variant::All,
        VariantChoice::First => Variant::First,
        VariantChoice::Highest => Variant::Highest,
        VariantChoice::Lowest => Variant::Lowest,
    };
    for line in &args.headers {
        let header = Header::parse(line)
            .map_err(|e| Failure::caused_by(Exit::Config, format!("--header {line:?}"), e))?;
        config.headers.push(header);
    }
    config
        .validate()
        .map_err(|e| Failure::from_error(Exit::Config, e))?;
    Ok(config)
}

/// Finds out what the installed ffmpeg accepts; a missing or unusable one is exit code 4.
pub async fn probe_ffmpeg(ffmpeg: &Path) -> Result<Capabilities, Failure> {
    // Every probe error's message already says what happened and what to do.
    probe(ffmpeg)
        .await
        .map_err(|e| Failure::from_error(Exit::Ffmpeg, e))
}

/// For `--variant highest|lowest`: asks ffprobe for the master playlist's programs and pins
/// the one wanted; with `--probe-failure-policy fallback`, plays the first variant instead.
pub async fn pick_program(
    config: &mut FfmpegConfig,
    args: &SwarmArgs,
    log: &Log,
) -> Result<(), Failure> {
    if !matches!(config.variant, Variant::Highest | Variant::Lowest) {
        return Ok(());
    }
    let ffprobe = ffprobe_for(&args.ffmpeg);
    let picked = match probe_variants(&ffprobe, config, Duration::from_secs(30)).await {
        Ok(programs) => config
            .variant
            .select(&programs)
            .ok_or_else(|| Failure::new(Exit::Target, "the master playlist lists no programs")),
        Err(e) => Err(Failure::from_error(Exit::Target, e)),
    };
    match (picked, args.probe_failure_policy) {
        (Ok(id), _) => {
            config.program_id = Some(id);
            log.info("variant_selected", &[("program_id", id.to_string())]);
        }
        (Err(e), ProbeFailurePolicy::Fail) => {
            return Err(Failure::caused_by(
                Exit::Target,
                format!(
                    "cannot find the {:?} variant: {} (or pass --probe-failure-policy fallback)",
                    args.variant,
                    describe(&e)
                ),
                e,
            ));
        }
        (Err(e), ProbeFailurePolicy::Fallback) => {
            log.warn(
                "variant_probe_failed",
                &[
                    ("error", describe(&e)),
                    ("using", "the first variant".to_owned()),
                ],
            );
            config.variant = Variant::First;
        }
    }
    Ok(())
}
