//! `hls-swarm demo`: the built-in origin on a free port, 20 viewers for 30 s, and the origin's
//! own access log set beside what hls-swarm counted.

use std::path::Path;

use anyhow::Result;
use clap::Parser;
use hls_swarm_stats::Counter;

use crate::cli::{Cli, Command, DemoArgs, OriginFaults};
use crate::distributed::RunPlan;
use crate::exit::Exit;
use crate::ffmpeg_config::{ffmpeg_config, probe_ffmpeg};
use crate::log::Log;
use crate::origin_cmd::start_origin;
use crate::report;
use crate::request_tap;
use crate::session::supervise;

/// `hls-swarm demo`.
pub async fn demo(args: &DemoArgs) -> Result<Exit> {
    let caps = probe_ffmpeg(&args.ffmpeg).await?;
    let access_log = args.access_log.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("hls-swarm-demo-{}.access.log", std::process::id()))
    });
    eprintln!("hls-swarm demo: rendering/loading the test stream and starting the built-in origin");
    let origin = start_origin(
        "127.0.0.1:0".parse().expect("literal address"),
        &args.ffmpeg,
        Some(&access_log),
        &OriginFaults {
            seed: 1,
            ..OriginFaults::default()
        },
    )
    .await?;
    let url = origin.url();
    let sizes_url = format!("http://{}/segments.json", origin.local_addr());
    eprintln!(
        "hls-swarm demo: origin at {url}; {} viewers for {}",
        args.viewers,
        humantime::format_duration(args.duration)
    );

    // The same defaults as `hls-swarm run URL --clients N --duration D`.
    let mut argv: Vec<String> = vec![
        "hls-swarm".into(),
        "run".into(),
        url.clone(),
        "--clients".into(),
        args.viewers.to_string(),
        "--duration".into(),
        humantime::format_duration(args.duration).to_string(),
        "--ffmpeg".into(),
        args.ffmpeg.display().to_string(),
        "--segment-sizes-url".into(),
        sizes_url.clone(),
        // A free port, printed at start: the demo must not fail because 17091 is taken.
        "--metrics".into(),
        "127.0.0.1:0".into(),
    ];
    if let Some(path) = &args.summary_json {
        argv.extend(["--summary-json".into(), path.display().to_string()]);
    }
    let Command::Run(run_args) = Cli::try_parse_from(&argv)?.command else {
        unreachable!("argv starts with run");
    };
    let swarm_args = run_args.swarm.clone();
    let log = Log::new(swarm_args.log_format, swarm_args.verbose);
    let config = ffmpeg_config(&swarm_args, &url)?;
    let tap = request_tap::wanted(swarm_args.tap, &url, &caps)?;
    let outcome = supervise(
        config,
        caps,
        swarm_args.clone(),
        Some(sizes_url),
        tap,
        &RunPlan::unsharded(),
        log,
    )
    .await?;
    origin.shutdown().await;
    let exit = report::finish(&outcome, &swarm_args, &RunPlan::unsharded(), false)?;
    print_cross_check(&access_log, &swarm_args.user_agent, &outcome.snapshot);
    Ok(exit)
}

/// Sets the origin's own count beside ours: the point of the tool is that they agree.
fn print_cross_check(
    access_log: &Path,
    user_agent: &str,
    snapshot: &hls_swarm_aggregate::Snapshot,
) {
    let Ok(text) = std::fs::read_to_string(access_log) else {
        eprintln!(
            "hls-swarm demo: cannot read the origin's access log {}",
            access_log.display()
        );
        return;
    };
    let ours = format!("\"{user_agent}/client-");
    let (mut playlists, mut segments, mut errors) = (0u64, 0u64, 0u64);
    for line in text.lines().filter(|l| l.contains(&ours)) {
        let mut fields = line.split_whitespace();
        let status: u16 = fields.nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        if status >= 400 {
            errors += 1;
        }
        if line.contains(".m3u8") {
            playlists += 1;
        } else if line.contains(".ts\"") {
            segments += 1;
        }
    }
    let c = &snapshot.totals.counters;
    println!(
        "Cross-check with the origin's own access log ({})",
        access_log.display()
    );
    println!("  {:<22} {:>10} {:>12}", "", "origin log", "hls-swarm");
    println!(
        "  {:<22} {:>10} {:>12}",
        "playlist requests",
        playlists,
        c.get(Counter::ManifestRequests)
    );
    println!(
        "  {:<22} {:>10} {:>12}",
        "segment requests",
        segments,
        c.get(Counter::SegmentRequests)
    );
    println!(
        "  {:<22} {:>10} {:>12}",
        "HTTP errors",
        errors,
        c.get(Counter::HttpErrors)
    );
    println!(
        "  (a request still in flight when a viewer was stopped may be missing from one side)"
    );
}
