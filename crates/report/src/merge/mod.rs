//! Merging the summaries of a run's shards into one summary of the whole run: the refusals
//! (`checks`), then each section's own merge.

mod checks;
mod error;

use std::time::SystemTime;

pub use error::MergeError;

use crate::report::{Report, SCHEMA};
use crate::sections::ffmpeg::FfmpegSummary;
use crate::sections::host::HostSummary;
use crate::sections::latency::{self};
use crate::sections::pipeline::PipelineTotals;
use crate::sections::playback::{self, PlaybackTotals};
use crate::sections::requests::{ByteTotals, RequestTotals};
use crate::sections::self_usage::SelfUsage;
use crate::sections::sum_maps;
use crate::sections::tap::{LateSegments, TapSummary};
use crate::sections::timeseries::TimeSeries;
use crate::sections::variants;
use crate::sections::viewers::{self, ViewerTotals};

/// The keys a merge of two or more summaries can only bound from above: peaks reached at one
/// tick of each shard, summed, though the shards need not have peaked at once.
const PEAKS: [&str; 2] = [viewers::PEAK_ACTIVE, playback::BELOW_REALTIME];

/// The key of the series' viewer levels in `upper_bounds`: each shard's peaks, summed.
const SERIES_VIEWERS: &str = "timeseries.points.viewers";

/// One summary of the whole run from the summaries of its shards, in the same schema.
///
/// Counts add; latency histograms add and every latency figure is recomputed from the merged
/// histogram (percentiles are never averaged); means are weighted by what they are over;
/// maxima and minima are the largest and smallest; the run lasts from the earliest start to
/// the latest end (or, when a summary has no times, as long as the longest), and rates are over
/// that. Peaks (`viewers.peak_active`, `playback.below_realtime`) are summed and listed in
/// `upper_bounds`. hls-swarm's own cost: CPU seconds add, peak RSS is the largest one machine
/// saw, present only when every shard measured it. The origin's figures are those of the shard
/// that ended last (every shard scrapes the same origin). The host's saturated and ramp-held
/// seconds and its peaks are the largest shard's, its stall onsets and capacities add, and it is
/// absent when no shard has it. The ffmpeg section lists every shard's version, and says the log
/// was stamped to the millisecond when any shard's was (each latency figure keeps the coarsest
/// clock step). `docs/summary.v2.schema.json` says how each key merges.
///
/// Refuses summaries of different streams or runs, a shard twice, shards that disagree on the
/// shard count, a mix of shard and non-shard summaries, and a missing shard, unless
/// `allow_missing`: then it merges those it has and lists the others in `missing_shards`.
pub fn merge(parts: &[Report], allow_missing: bool) -> Result<Report, MergeError> {
    let plan = checks::check(parts, allow_missing)?;
    let first = &parts[0];
    let started_at = all_known(parts.iter().map(|r| r.started_at)).and_then(|t| t.min());
    let ended_at = all_known(parts.iter().map(|r| r.ended_at)).and_then(|t| t.max());
    let duration_s = match (started_at, ended_at) {
        (Some(start), Some(end)) => end.duration_since(start).unwrap_or_default().as_secs_f64(),
        _ => (parts.iter().map(|r| r.duration_s)).fold(0.0, f64::max),
    };
    let requests: Vec<&RequestTotals> = parts.iter().map(|r| &r.requests).collect();
    let bytes: Vec<&ByteTotals> = parts.iter().map(|r| &r.bytes).collect();
    let viewers: Vec<&ViewerTotals> = parts.iter().map(|r| &r.viewers).collect();
    let playback: Vec<&PlaybackTotals> = parts.iter().map(|r| &r.playback).collect();
    let self_usage: Vec<Option<SelfUsage>> = parts.iter().map(|r| r.self_usage).collect();
    let mut upper_bounds: Vec<String> = parts.iter().flat_map(|r| r.upper_bounds.clone()).collect();
    let timeseries = merge_series(parts, started_at);
    if parts.len() > 1 {
        upper_bounds.extend(PEAKS.map(str::to_owned));
        if timeseries.is_some() {
            upper_bounds.push(SERIES_VIEWERS.to_owned());
        }
    }
    upper_bounds.sort();
    upper_bounds.dedup();
    Ok(Report {
        schema: SCHEMA.to_owned(),
        url: first.url.clone(),
        run_id: first.run_id.clone(),
        shard: None,
        shards: plan.shards,
        missing_shards: plan.missing,
        upper_bounds,
        started_at,
        ended_at,
        start_late_s: (parts.iter().filter_map(|r| r.start_late_s)).reduce(f64::max),
        target_viewers: parts.iter().map(|r| r.target_viewers).sum(),
        duration_s,
        requests: RequestTotals::merge(&requests, duration_s),
        // Each status's and each event's counts add.
        http_errors: sum_maps(parts.iter().map(|r| &r.http_errors)),
        bytes: ByteTotals::merge(&bytes, duration_s),
        viewers: ViewerTotals::merge(&viewers),
        playback: PlaybackTotals::merge(&playback),
        latency_ms: latency::merge(parts.iter().map(|r| &r.latency_ms)),
        events: sum_maps(parts.iter().map(|r| &r.events)),
        variants: variants::merge(parts.iter().map(|r| &r.variants[..])),
        pipeline: PipelineTotals::merge(parts.iter().map(|r| &r.pipeline)),
        self_usage: SelfUsage::merge(&self_usage),
        origin: latest_origin(parts),
        host: HostSummary::merge(&parts.iter().map(|r| r.host.as_ref()).collect::<Vec<_>>()),
        // The checks let through only shards that all had the tap or all had none.
        tap: all_present(parts.iter().map(|r| r.tap.as_ref())).map(|t| TapSummary::merge(&t)),
        late_segments: all_present(parts.iter().map(|r| r.late_segments.as_ref()))
            .map(|l| LateSegments::merge(&l)),
        requests_from_log: all_present(parts.iter().map(|r| r.requests_from_log.as_ref()))
            .map(|r| RequestTotals::merge(&r, duration_s)),
        ffmpeg: FfmpegSummary::merge(parts.iter().map(|r| r.ffmpeg.as_ref())),
        timeseries,
        // A shard's thresholds judged that shard: the merge checks its own (`merge --threshold`).
        thresholds: Vec::new(),
    })
}

/// The sections, when every summary has one.
fn all_present<'a, T>(sections: impl Iterator<Item = Option<&'a T>>) -> Option<Vec<&'a T>> {
    sections.collect()
}

/// The shards' series on one grid from the merged run's start (each shifted by how much later
/// its shard started); `None` unless every shard has one (a partial series would not add up to
/// the merged totals).
fn merge_series(parts: &[Report], started_at: Option<SystemTime>) -> Option<TimeSeries> {
    let offset = |r: &Report| match (r.started_at, started_at) {
        (Some(own), Some(first)) => own.duration_since(first).unwrap_or_default().as_secs_f64(),
        _ => 0.0,
    };
    let series: Option<Vec<(&TimeSeries, f64)>> = (parts.iter())
        .map(|r| r.timeseries.as_ref().map(|s| (s, offset(r))))
        .collect();
    series.map(|s| TimeSeries::merge(&s))
}

/// The times, when every summary has one.
fn all_known(
    times: impl Iterator<Item = Option<SystemTime>>,
) -> Option<impl Iterator<Item = SystemTime>> {
    let times: Option<Vec<SystemTime>> = times.collect();
    times.map(Vec::into_iter)
}

/// The origin's figures of the shard that ended last among those that have them (the last one
/// given when their end times are unknown).
fn latest_origin(parts: &[Report]) -> Option<crate::OriginFigures> {
    (parts.iter().enumerate())
        .filter(|(_, r)| r.origin.is_some())
        .max_by_key(|(i, r)| (r.ended_at, *i))
        .and_then(|(_, r)| r.origin.clone())
}
