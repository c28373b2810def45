//! The end of a run: the report printed and written, and the exit code it earns.

use anyhow::Result;
use hls_swarm_aggregate::Snapshot;
use hls_swarm_metrics::OriginSnapshot;
use hls_swarm_report::{OriginFigures, Report};
use hls_swarm_stats::Counter;

use crate::cli::SwarmArgs;
use crate::exit::{Exit, Failure};
use crate::selfusage;
use crate::session::Outcome;

/// Prints the report, writes its JSON, and chooses the exit code.
pub fn finish(outcome: &Outcome, args: &SwarmArgs, check: bool) -> Result<Exit> {
    let report = Report::from_aggregator(&outcome.aggregator, &outcome.snapshot)
        .with_origin(outcome.origin_metrics.as_deref().map(origin_figures))
        .with_self_usage(selfusage::measure());
    println!("{}", report.render_text());
    println!("{}", outcome.stopped_by.sentence());
    if let Some(url) = &outcome.metrics_url {
        println!("Metrics were served at {url}");
    }
    if let Some(path) = &args.summary_json {
        std::fs::write(path, report.to_json() + "\n").map_err(|e| {
            Failure::caused_by(
                Exit::Runtime,
                format!("cannot write the summary to {}", path.display()),
                e,
            )
        })?;
        eprintln!("hls-swarm: summary written to {}", path.display());
    }
    let measured = measured_something(&outcome.snapshot);
    if check {
        return Ok(check_verdict(&outcome.snapshot, measured));
    }
    if !measured {
        eprintln!(
            "hls-swarm: the run measured nothing: no viewer fetched a media segment{}",
            last_error_hint(&outcome.snapshot)
        );
        return Ok(Exit::NothingMeasured);
    }
    Ok(Exit::Ok)
}

/// The origin's exporter figures as the report holds them.
fn origin_figures(o: &OriginSnapshot) -> OriginFigures {
    OriginFigures {
        cpu_percent: o.cpu_percent,
        memory_used_bytes: o.memory_used_bytes,
        memory_total_bytes: o.memory_total_bytes,
        net_rx_bytes_per_s: o.net_rx_bytes_per_s,
        net_tx_bytes_per_s: o.net_tx_bytes_per_s,
        nginx_connections_active: o.nginx_connections_active,
        nginx_requests_per_s: o.nginx_requests_per_s,
        scrape_errors: o.error_text(),
    }
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
