//! One pass over a capture: every line through parse → stats, watched for what the replay needs.
//!
//! This file uses only the library crates (no `crate::`), so `benches/replay.rs` includes it as
//! it is and measures the very code `hls-swarm replay` runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hls_swarm_aggregate::Aggregator;
use hls_swarm_parse::{Event, Line, ProgressBlock, ProgressParser, parse_line, split_log_lines};
use hls_swarm_report::Report;
use hls_swarm_stats::{Recorder, Stream};

/// The URL a replay reports when neither `--url` nor the capture names one.
pub const UNKNOWN_URL: &str = "(unknown: no URL in the capture)";

/// A replayed capture: the report a live run would print, and what the capture showed of itself.
#[derive(Debug)]
pub struct Replayed {
    /// The summary, as a live run of this one viewer would have printed it.
    pub report: Report,
    /// Whether ffmpeg prefixed any line with a timestamp (ffmpeg 7 with `-loglevel +time`);
    /// without them the latencies cannot be measured.
    pub has_timestamps: bool,
}

/// Feeds one capture through the whole pipeline, reading each input once, and returns the report
/// a live run would print. `url` is the stream's URL when known; else the first URL ffmpeg opened.
pub fn summarize(url: Option<&str>, stderr: &[u8], progress: Option<&[u8]>) -> Replayed {
    let started = Instant::now();
    // The URL is learnt during the pass, after the aggregator exists: the report's `url` is set
    // from it below (the aggregator's copy is read by nothing else).
    let aggregator = Aggregator::new(String::new(), 1, started);
    let stats = aggregator.register(0);
    let mut recorder =
        Recorder::new(Arc::clone(&stats), started).with_variants(aggregator.variant_lookup());
    let mut facts = CaptureFacts::default();

    // `pipeline.lines_read` counts physical lines (ended by `\n`, as a live run's reader reads
    // them), while the recorder takes the logical lines `split_log_lines` cuts at `\r` too. One
    // scan does both: each logical line's end is followed by the terminator `split_log_lines`
    // skipped (`\n`, `\r\n` or a lone `\r`), and those holding a `\n` end a physical line.
    let mut newlines = 0u64;
    let mut at = 0;
    for text in split_log_lines(stderr) {
        let line = parse_line(text);
        facts.see_line(&line);
        recorder.on_line(&line, started);
        at += text.len();
        match stderr.get(at) {
            Some(b'\n') => {
                newlines += 1;
                at += 1;
            }
            Some(b'\r') if stderr.get(at + 1) == Some(&b'\n') => {
                newlines += 1;
                at += 2;
            }
            Some(b'\r') => at += 1,
            _ => {}
        }
    }
    debug_assert_eq!(
        at,
        stderr.len(),
        "every byte is a line's or its terminator's"
    );
    let unterminated = stderr.last().is_some_and(|&b| b != b'\n');
    stats.add_lines_read(Stream::Stderr, newlines + u64::from(unterminated));

    if let Some(progress) = progress {
        let mut parser = ProgressParser::new();
        let mut lines = 0u64;
        for piece in progress.split_inclusive(|&b| b == b'\n') {
            let (text, complete) = match piece.strip_suffix(b"\n") {
                Some(text) => (text, true),
                None => (piece, false),
            };
            lines += u64::from(!text.is_empty());
            // A last line without its `\n` is counted as read but is not a whole line yet, so
            // it is not parsed (as `ProgressParser::feed` keeps it for a next chunk).
            if complete && let Some(block) = parser.feed_line(text) {
                facts.see_progress(&block);
                recorder.on_progress(&block, started);
            }
        }
        stats.add_lines_read(Stream::Progress, lines);
    }
    drop(recorder);

    aggregator.set_ramp_launched(1);
    let duration = facts.duration().unwrap_or(Duration::ZERO);
    let snapshot = aggregator.tick(started + duration);
    let mut report = Report::from_aggregator(&aggregator, &snapshot);
    report.url = url.or(facts.first_url).unwrap_or(UNKNOWN_URL).to_owned();
    Replayed {
        report,
        has_timestamps: facts.has_timestamps(),
    }
}

/// What a replay learns of the capture itself while its lines go by the recorder.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CaptureFacts<'a> {
    /// The first URL ffmpeg opened: the stream the capture is of.
    pub first_url: Option<&'a str>,
    /// The first timestamp ffmpeg printed, ms since 1970 of the zone-less local time.
    pub first_stamp_ms: Option<i64>,
    /// The last timestamp ffmpeg printed, same unit.
    pub last_stamp_ms: Option<i64>,
    /// The `out_time` of the last `-progress` block that had one, µs.
    pub last_out_time_us: Option<i64>,
}

impl<'a> CaptureFacts<'a> {
    /// Watches one parsed stderr line.
    #[inline]
    pub fn see_line(&mut self, line: &Line<'a>) {
        if let Some(t) = line.time {
            self.first_stamp_ms.get_or_insert(t.naive_unix_ms);
            self.last_stamp_ms = Some(t.naive_unix_ms);
        }
        if self.first_url.is_none()
            && let Some(Event::Opening { url, .. }) = &line.event
        {
            self.first_url = Some(*url);
        }
    }

    /// Watches one `-progress` block.
    #[inline]
    pub fn see_progress(&mut self, block: &ProgressBlock) {
        if block.out_time_us.is_some() {
            self.last_out_time_us = block.out_time_us;
        }
    }

    /// Whether any stderr line had a timestamp.
    pub fn has_timestamps(&self) -> bool {
        self.first_stamp_ms.is_some()
    }

    /// How long the captured run lasted: from ffmpeg's own timestamps when they span some time,
    /// else the last `out_time` of the progress output when it is past 0.
    pub fn duration(&self) -> Option<Duration> {
        if let (Some(a), Some(b)) = (self.first_stamp_ms, self.last_stamp_ms)
            && b > a
        {
            return Some(Duration::from_millis((b - a).unsigned_abs()));
        }
        self.last_out_time_us
            .filter(|us| *us > 0)
            .map(|us| Duration::from_micros(us.unsigned_abs()))
    }
}
