//! `hls-swarm run`: validate the flags, probe ffmpeg and the target, then run the supervision
//! session and end with the report.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use hls_swarm_supervise::FfmpegConfig;

use crate::cli::{RunArgs, SwarmArgs};
use crate::distributed::{JOB_COMPLETION_INDEX, RunPlan};
use crate::exit::{Exit, Failure};
use crate::ffmpeg_config::{ffmpeg_config, pick_program, probe_ffmpeg};
use crate::limits;
use crate::log::Log;
use crate::outputs;
use crate::report;
use crate::request_tap;
use crate::session::supervise;
use crate::target::{preflight, validate_url};

/// `hls-swarm run`.
pub async fn run(args: RunArgs) -> Result<Exit> {
    let mut swarm_args = args.swarm.clone();
    if args.check {
        // One viewer, ten seconds, every event logged, then a verdict.
        swarm_args.viewers = 1;
        swarm_args.duration = Duration::from_secs(10);
        swarm_args.no_tui = true;
    }
    let log = Log::new(swarm_args.log_format, swarm_args.verbose || args.check);
    // Without a URL (allowed with --print-cmd) the command shows a placeholder.
    let url = args
        .url
        .clone()
        .unwrap_or_else(|| "http://ORIGIN/stream.m3u8".to_owned());
    if args.url.is_some() {
        validate_url(&url)?;
    }
    let mut config = ffmpeg_config(&swarm_args, &url)?;
    // Every output path is checked before ffmpeg is even probed: a path that cannot be written
    // is refused now, not after the run.
    if let Some(path) = swarm_args
        .summary_json
        .as_deref()
        .filter(|p| *p != Path::new("-"))
    {
        outputs::check_writable(path, "summary")?;
    }
    if let Some(path) = swarm_args.report.as_deref() {
        outputs::check_writable(path, "HTML report")?;
    }
    // A threshold on the request tap's figures with no tap possible: refused before anything.
    request_tap::refuse_thresholds(
        &swarm_args.thresholds,
        request_tap::possible(swarm_args.tap, &config.url),
    )?;
    let job_index = std::env::var(JOB_COMPLETION_INDEX).ok();
    let plan = RunPlan::from_args(
        &args.distributed,
        &url,
        swarm_args.viewers,
        job_index.as_deref(),
    )?;
    let caps = probe_ffmpeg(&swarm_args.ffmpeg).await?;
    // Whether the run goes through the tap is known now: thresholds it cannot check are
    // refused before the target is tried.
    let tap = request_tap::wanted(swarm_args.tap, &config.url, &caps)?;
    request_tap::refuse_unmeasured(&swarm_args.thresholds, tap)?;
    if args.print_cmd {
        println!("{}", config.display_command(&caps, 0));
        return Ok(Exit::Ok);
    }
    let target = validate_url(&url)?;
    if !args.skip_preflight {
        preflight_target(&target, &config, &swarm_args, &log).await?;
        limits::check(
            plan.shard.viewers(swarm_args.viewers),
            swarm_args.viewers,
            plan.shard.ramp_rate(swarm_args.ramp_rate),
            &log,
        );
    }
    pick_program(&mut config, &swarm_args, &log).await?;

    let sizes_url = swarm_args.segment_sizes_url.clone();
    let outcome = supervise(
        config,
        caps,
        swarm_args.clone(),
        sizes_url,
        tap,
        &plan,
        log.clone(),
    )
    .await?;
    report::finish(&outcome, &swarm_args, &plan, args.check)
}

/// Fetches the playlist once, as a viewer would: unreachable or not HLS is exit code 6.
async fn preflight_target(
    target: &reqwest::Url,
    config: &FfmpegConfig,
    swarm_args: &SwarmArgs,
    log: &Log,
) -> Result<(), Failure> {
    let url = target.as_str();
    let header_pairs: Vec<(String, String)> = config
        .headers
        .iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .collect();
    let info = preflight(
        target,
        &format!("{}/preflight", swarm_args.user_agent),
        &header_pairs,
        config.resolve,
        swarm_args.timeout.min(Duration::from_secs(10)),
    )
    .await?;
    if let Some(info) = &info
        && !info.variants.is_empty()
    {
        log.info(
            "target_ok",
            &[
                ("url", url.to_owned()),
                ("variants", info.variants.len().to_string()),
            ],
        );
    }
    Ok(())
}
