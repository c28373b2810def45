//! One pass over a capture: every line through parse → stats, watched for what the replay needs.
//!
//! This file uses only the library crates (no `crate::`), so `benches/replay.rs` includes it as
//! it is and measures the very code `hls-swarm replay` runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hls_swarm_aggregate::Aggregator;
use hls_swarm_parse::{Event, Line, ProgressBlock, ProgressParser, parse_line, split_log_lines};
use hls_swarm_report::Report;
use hls_swarm_stats::{Recorder, Stream, ViewerStats};

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
///
/// The whole-buffer form of [`Replayer`], for `benches/replay.rs` and the tests: the binary
/// streams its files through a [`Replayer`] instead.
#[allow(
    dead_code,
    reason = "the binary streams; benches/replay.rs and the tests call this"
)]
pub fn summarize(url: Option<&str>, stderr: &[u8], progress: Option<&[u8]>) -> Replayed {
    let mut replayer = Replayer::new();
    replayer.stderr(stderr);
    if let Some(progress) = progress {
        replayer.progress(progress);
    }
    replayer.finish(url)
}

/// A replay under way, fed its capture in chunks of whole lines: all of stderr first, then all
/// of the progress output (the order [`summarize`] reads them in, which the figures depend on:
/// a `-stats` line counts only until a `-progress` block was seen).
///
/// Every chunk but the last of each input ends just after a `\n`, so no line straddles two.
#[derive(Debug)]
pub struct Replayer {
    started: Instant,
    aggregator: Aggregator,
    stats: Arc<ViewerStats>,
    recorder: Recorder,
    progress: ProgressParser,
    facts: CaptureFacts,
}

impl Default for Replayer {
    fn default() -> Self {
        Replayer::new()
    }
}

impl Replayer {
    /// A replay of one viewer with nothing read yet.
    pub fn new() -> Replayer {
        let started = Instant::now();
        // The URL is learnt during the pass, after the aggregator exists: the report's `url` is
        // set from it at the end (the aggregator's copy is read by nothing else).
        let aggregator = Aggregator::new(String::new(), 1, started);
        let stats = aggregator.register(0);
        let recorder =
            Recorder::new(Arc::clone(&stats), started).with_variants(aggregator.variant_lookup());
        Replayer {
            started,
            aggregator,
            stats,
            recorder,
            progress: ProgressParser::new(),
            facts: CaptureFacts::default(),
        }
    }

    /// Reads the next chunk of ffmpeg's stderr.
    pub fn stderr(&mut self, chunk: &[u8]) {
        // `pipeline.lines_read` counts physical lines (ended by `\n`, as a live run's reader
        // reads them), while the recorder takes the logical lines `split_log_lines` cuts at `\r`
        // too. One scan does both: each logical line's end is followed by the terminator
        // `split_log_lines` skipped (`\n`, `\r\n` or a lone `\r`), and those holding a `\n` end
        // a physical line.
        let mut newlines = 0u64;
        let mut at = 0;
        for text in split_log_lines(chunk) {
            let line = parse_line(text);
            self.facts.see_line(&line);
            self.recorder.on_line(&line, self.started);
            at += text.len();
            match chunk.get(at) {
                Some(b'\n') => {
                    newlines += 1;
                    at += 1;
                }
                Some(b'\r') if chunk.get(at + 1) == Some(&b'\n') => {
                    newlines += 1;
                    at += 2;
                }
                Some(b'\r') => at += 1,
                _ => {}
            }
        }
        debug_assert_eq!(
            at,
            chunk.len(),
            "every byte is a line's or its terminator's"
        );
        let unterminated = chunk.last().is_some_and(|&b| b != b'\n');
        (self.stats).add_lines_read(Stream::Stderr, newlines + u64::from(unterminated));
    }

    /// Reads the next chunk of ffmpeg's `-progress` output.
    pub fn progress(&mut self, chunk: &[u8]) {
        let mut lines = 0u64;
        for piece in chunk.split_inclusive(|&b| b == b'\n') {
            let (text, complete) = match piece.strip_suffix(b"\n") {
                Some(text) => (text, true),
                None => (piece, false),
            };
            lines += u64::from(!text.is_empty());
            // A last line without its `\n` is counted as read but is not a whole line, so it
            // is not parsed (as `ProgressParser::feed` would keep it for a next chunk).
            if complete && let Some(block) = self.progress.feed_line(text) {
                self.facts.see_progress(&block);
                self.recorder.on_progress(&block, self.started);
            }
        }
        self.stats.add_lines_read(Stream::Progress, lines);
    }

    /// Ends the replay: the report of everything read, for `url` when known, else for the first
    /// URL ffmpeg opened.
    pub fn finish(self, url: Option<&str>) -> Replayed {
        let Replayer {
            started,
            aggregator,
            recorder,
            facts,
            ..
        } = self;
        // The run is over: the recorder commits what was still pending.
        drop(recorder);
        aggregator.set_ramp_launched(1);
        let duration = facts.duration().unwrap_or(Duration::ZERO);
        let snapshot = aggregator.tick(started + duration);
        let mut report = Report::from_aggregator(&aggregator, &snapshot);
        let has_timestamps = facts.has_timestamps();
        if has_timestamps {
            // The recorder timed the capture's latencies by its millisecond stamps.
            report = report.with_log_stamps();
        }
        report.url = match url {
            Some(url) => url.to_owned(),
            None => facts.first_url.unwrap_or_else(|| UNKNOWN_URL.to_owned()),
        };
        Replayed {
            report,
            has_timestamps,
        }
    }
}

/// What a replay learns of the capture itself while its lines go by the recorder.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CaptureFacts {
    /// The first URL ffmpeg opened: the stream the capture is of.
    pub first_url: Option<String>,
    /// The first timestamp ffmpeg printed, ms since 1970 of the zone-less local time.
    pub first_stamp_ms: Option<i64>,
    /// The last timestamp ffmpeg printed, same unit.
    pub last_stamp_ms: Option<i64>,
    /// The `out_time` of the last `-progress` block that had one, µs.
    pub last_out_time_us: Option<i64>,
}

impl CaptureFacts {
    /// Watches one parsed stderr line.
    #[inline]
    pub fn see_line(&mut self, line: &Line<'_>) {
        if let Some(t) = line.time {
            self.first_stamp_ms.get_or_insert(t.naive_unix_ms);
            self.last_stamp_ms = Some(t.naive_unix_ms);
        }
        if self.first_url.is_none()
            && let Some(Event::Opening { url, .. }) = &line.event
        {
            self.first_url = Some((*url).to_owned());
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
