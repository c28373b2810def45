//! `hls-swarm replay`: a captured ffmpeg run through parse → stats → aggregate, as one viewer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use hls_swarm_aggregate::Aggregator;
use hls_swarm_parse::{Event, ProgressParser, parse_line, split_log_lines};
use hls_swarm_report::Report;
use hls_swarm_stats::{Recorder, Stream};

use crate::cli::ReplayArgs;
use crate::exit::{Exit, Failure};

/// `hls-swarm replay`.
pub fn replay(args: &ReplayArgs) -> Result<Exit> {
    let stderr = read(&args.stderr, "--stderr")?;
    let progress = match &args.progress {
        Some(path) => Some(read(path, "--progress")?),
        None => None,
    };
    let url = args
        .url
        .clone()
        .or_else(|| first_url(&stderr))
        .unwrap_or_else(|| "(unknown: no URL in the capture)".to_owned());
    let report = summarize(&url, &stderr, progress.as_deref());
    if args.json {
        println!("{}", report.to_json());
    } else {
        println!("{}", report.render_text());
        println!("Note: a replay has no arrival times, so its drift figures are not measurements.");
        if !has_timestamps(&stderr) {
            println!(
                "Note: this capture has no timestamps (ffmpeg 5.1 prints none), so its latencies \
                 read 0 ms; measure them with a live run or an ffmpeg 7 capture."
            );
        }
    }
    Ok(Exit::Ok)
}

/// Feeds one capture through the whole pipeline and returns the report a live run would print.
pub fn summarize(url: &str, stderr: &[u8], progress: Option<&[u8]>) -> Report {
    let started = Instant::now();
    let aggregator = Aggregator::new(url, 1, started);
    let stats = aggregator.register(0);
    let mut recorder =
        Recorder::new(Arc::clone(&stats), started).with_variants(aggregator.variant_lookup());
    let mut lines = 0u64;
    for physical in stderr.split_inclusive(|&b| b == b'\n') {
        lines += 1;
        for line in split_log_lines(physical) {
            recorder.on_line(&parse_line(line), started);
        }
    }
    stats.add_lines_read(Stream::Stderr, lines);
    if let Some(progress) = progress {
        let mut parser = ProgressParser::new();
        parser.feed(progress, |block| recorder.on_progress(block, started));
        let n = progress
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        stats.add_lines_read(Stream::Progress, n as u64);
    }
    drop(recorder);
    aggregator.set_ramp_launched(1);
    let duration = capture_duration(stderr, progress).unwrap_or(Duration::ZERO);
    let snapshot = aggregator.tick(started + duration);
    Report::from_aggregator(&aggregator, &snapshot)
}

fn read(path: &std::path::Path, flag: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        Failure::caused_by(
            Exit::Config,
            format!("cannot read {flag} {}", path.display()),
            e,
        )
    })
}

/// The first URL ffmpeg opened: the stream the capture is of.
fn first_url(stderr: &[u8]) -> Option<String> {
    stderr
        .split(|&b| b == b'\n' || b == b'\r')
        .find_map(|line| match parse_line(line).event {
            Some(Event::Opening { url, .. }) => Some(url.to_owned()),
            _ => None,
        })
}

/// Whether ffmpeg prefixed its lines with timestamps (ffmpeg 7 with `-loglevel +time`).
fn has_timestamps(stderr: &[u8]) -> bool {
    (stderr.split(|&b| b == b'\n' || b == b'\r')).any(|line| parse_line(line).time.is_some())
}

/// How long the captured run lasted: from ffmpeg's own timestamps when it printed them,
/// else the last `out_time` of the progress output.
fn capture_duration(stderr: &[u8], progress: Option<&[u8]>) -> Option<Duration> {
    let mut first = None;
    let mut last = None;
    for line in stderr.split(|&b| b == b'\n' || b == b'\r') {
        if let Some(t) = parse_line(line).time {
            first.get_or_insert(t.naive_unix_ms);
            last = Some(t.naive_unix_ms);
        }
    }
    if let (Some(a), Some(b)) = (first, last)
        && b > a
    {
        return Some(Duration::from_millis((b - a).unsigned_abs()));
    }
    let mut out_time = None;
    let mut parser = ProgressParser::new();
    parser.feed(progress?, |block| {
        if let Some(us) = block.out_time_us {
            out_time = Some(us);
        }
    });
    out_time
        .filter(|us| *us > 0)
        .map(|us| Duration::from_micros(us.unsigned_abs()))
}
