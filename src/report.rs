//! The end of a run: the report printed and written, and the exit code it earns.

use std::path::Path;

use anyhow::Result;
use hls_swarm_aggregate::Snapshot;
use hls_swarm_report::{Report, RunIdentity, ShardId};
use hls_swarm_stats::Counter;

use crate::cli::SwarmArgs;
use crate::distributed::RunPlan;
use crate::exit::{Exit, Failure};
use crate::outputs;
use crate::selfusage;
use crate::series::origin_figures;
use crate::session::Outcome;

/// Prints the report, writes its JSON and its HTML, and chooses the exit code. With
/// `--summary-json -` the compact JSON is the last line of stdout (what `kubectl logs
/// --tail=1` of a pod collects).
pub fn finish(outcome: &Outcome, args: &SwarmArgs, plan: &RunPlan, check: bool) -> Result<Exit> {
    let mut report = Report::from_aggregator(&outcome.aggregator, &outcome.snapshot)
        .with_origin(outcome.origin_metrics.as_deref().map(origin_figures))
        .with_self_usage(selfusage::measure(outcome.tap_cpu))
        .with_run(RunIdentity {
            run_id: plan.run_id.clone(),
            shard: (plan.shard.is_sharded()).then_some(ShardId {
                index: plan.shard.index,
                count: plan.shard.count,
            }),
            started_at: outcome.started_at,
            ended_at: outcome.ended_at,
            start_late: outcome.start_late,
        })
        .with_ffmpeg(outcome.ffmpeg.clone())
        .with_timeseries(outcome.series.clone())
        .with_thresholds(&args.thresholds);
    if let Some((i, breach)) = outcome.abort_breach
        && let Some(t) = report.thresholds.get_mut(i)
    {
        t.aborted_run = Some(breach);
        t.passed = false;
    }
    println!("{}", report.render_text());
    println!("{}", outcome.stopped_by.sentence());
    if let Some(url) = &outcome.metrics_url {
        println!("Metrics were served at {url}");
    }
    let exit = verdict(&outcome.snapshot, check);
    // Both outputs are written whatever happens to the other one.
    let html = args.report.as_deref().map(|path| write_html(&report, path));
    let json = match args.summary_json.as_deref() {
        Some(path) if path == Path::new("-") => {
            println!("{}", report.to_json_line());
            Ok(())
        }
        Some(path) => write_json(&report, path, "summary"),
        None => Ok(()),
    };
    json?;
    html.transpose()?;
    Ok(match exit {
        Exit::Ok => threshold_verdict(&report),
        other => other,
    })
}

/// 7 when a threshold failed (saying which, on stderr), else 0.
pub fn threshold_verdict(report: &Report) -> Exit {
    let failed: Vec<String> = (report.thresholds.iter())
        .filter(|t| !t.passed)
        .map(|t| format!("{} (measured {})", t.expr, t.measured()))
        .collect();
    if failed.is_empty() {
        return Exit::Ok;
    }
    eprintln!(
        "hls-swarm: {} of {} thresholds failed: {}",
        failed.len(),
        report.thresholds.len(),
        failed.join(", ")
    );
    Exit::ThresholdFailed
}

/// Writes `report` as the HTML report to `path` (or, failing that, to the temp directory) and
/// says where.
pub fn write_html(report: &Report, path: &Path) -> Result<(), Failure> {
    let html = hls_swarm_html::render_html(report);
    outputs::write_or_keep(path, html.as_bytes(), "HTML report")
}

/// Writes `report` as pretty JSON to `path` (or, failing that, to the temp directory) and says
/// where; `what` names it.
pub fn write_json(report: &Report, path: &Path, what: &str) -> Result<(), Failure> {
    outputs::write_or_keep(path, (report.to_json() + "\n").as_bytes(), what)
}

/// The exit code the run earned: `--check`'s verdict, or whether anything was measured.
fn verdict(snapshot: &Snapshot, check: bool) -> Exit {
    let measured = measured_something(snapshot);
    if check {
        return check_verdict(snapshot, measured);
    }
    if !measured {
        eprintln!(
            "hls-swarm: the run measured nothing: no viewer fetched a media segment{}",
            last_error_hint(snapshot)
        );
        return Exit::NothingMeasured;
    }
    Exit::Ok
}

/// Whether the swarm fetched at least one media segment without an HTTP error.
fn measured_something(snapshot: &Snapshot) -> bool {
    let c = &snapshot.totals.counters;
    c.get(Counter::SegmentRequests) > c.get(Counter::HttpErrorsSegment)
}

fn last_error_hint(snapshot: &Snapshot) -> String {
    snapshot
        .exits
        .iter()
        .find_map(|e| e.last_error.as_ref())
        .map(|e| format!(" (ffmpeg said: {e})"))
        .unwrap_or_default()
}

/// `--check`'s plain verdict.
fn check_verdict(snapshot: &Snapshot, measured: bool) -> Exit {
    let c = &snapshot.totals.counters;
    if measured {
        println!(
            "check: the stream plays: {} segments and {} playlists fetched in {:.0} s, mean speed {:.2}x",
            c.get(Counter::SegmentRequests),
            c.get(Counter::ManifestRequests),
            snapshot.elapsed.as_secs_f64(),
            snapshot.playback.speed_mean,
        );
        Exit::Ok
    } else {
        println!(
            "check: the stream does NOT play: no media segment was fetched{}",
            last_error_hint(snapshot)
        );
        Exit::NothingMeasured
    }
}
