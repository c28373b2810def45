//! `Recorder`: the per-process parse state, driven through `&mut self`, that turns parsed lines into statistics.

use crate::ViewerStats;
use crate::counters::Counter;
use crate::latency::LatencyKind;
use crate::silent_retry::SilentRetry;
use crate::variant::{VariantLookup, VariantStats};
use hls_swarm_parse::{Event, Line, ProgressBlock, RequestKind, StatsLine};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Contexts remembered for TCP connects and HTTP requests; older ones are forgotten first.
const MAX_CONTEXTS: usize = 16;

/// Exact segment sizes by path, e.g. from the origin's listing. Optional.
pub trait SegmentSizeLookup: Send + Sync {
    /// The size in bytes of the segment at `path` (no query string), if known.
    fn segment_size(&self, path: &str) -> Option<u64>;
}

/// When something happened: ffmpeg's own stamp when it printed one, else when the line arrived.
/// Two marks are only compared when they come from the same clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Ffmpeg(i64),
    Arrival(Instant),
}

impl Mark {
    fn of(line: &Line<'_>, arrived: Instant) -> Mark {
        match line.time {
            Some(t) => Mark::Ffmpeg(t.naive_unix_ms),
            None => Mark::Arrival(arrived),
        }
    }

    fn until(self, end: Mark) -> Option<Duration> {
        match (self, end) {
            (Mark::Ffmpeg(a), Mark::Ffmpeg(b)) if b >= a => {
                Some(Duration::from_millis((b - a).unsigned_abs()))
            }
            (Mark::Arrival(a), Mark::Arrival(b)) => Some(b.saturating_duration_since(a)),
            _ => None,
        }
    }
}

/// What the first playlist of the run turned out to be.
#[derive(Debug)]
enum FirstPlaylist {
    /// None requested yet.
    Unseen,
    /// Requested `requests` times; master or media not known yet.
    Pending { path: Box<str>, requests: u64 },
    /// A master playlist: belongs to no variant.
    Master(Box<str>),
    /// It was a media playlist (now a known variant).
    Media,
}

/// A media playlist seen in this run.
#[derive(Debug)]
struct Variant {
    path: Box<str>,
    /// `path[..dir_len]` is its directory, trailing `/` included.
    dir_len: usize,
    stats: Option<Arc<VariantStats>>,
}

impl Variant {
    fn dir(&self) -> &str {
        &self.path[..self.dir_len]
    }
}

/// The playlist request waiting for the first sign its body was read (see [`LatencyKind::PlaylistFetch`]).
#[derive(Debug)]
struct PendingFetch {
    since: Mark,
    dir: String,
    master_candidate: bool,
}

/// One ffmpeg process run's parse state.
///
/// Create it when the process starts (this counts the start on the [`ViewerStats`]), feed it every
/// parsed stderr line with [`Recorder::on_line`] and every `-progress` block with
/// [`Recorder::on_progress`], and drop it when the process ends (dropping it counts the bytes of
/// segments still in flight).
///
/// Every method that records takes `&mut self`, so one thread drives a `Recorder` at a time, and
/// the [`ViewerStats`] methods it calls that expect one writer at a time get one (see
/// [`ViewerStats`], # Threads). A caller with two line streams for one process serialises them:
/// one task reading both, or the `Recorder` behind a mutex that each stream's consumer locks per
/// line, as the hls-swarm binary does. It is `Send`, so it can move to whichever thread drives it.
/// A new process run of the same viewer gets a new `Recorder` once the previous one is done.
pub struct Recorder {
    stats: Arc<ViewerStats>,
    started: Instant,
    variants: Option<Arc<dyn VariantLookup>>,
    segment_sizes: Option<Arc<dyn SegmentSizeLookup>>,
    tcp_pending: Vec<(u64, Mark)>,
    http_last: Vec<(u64, RequestKind, Option<usize>)>,
    /// Segment sizes waiting for their request's outcome, by HTTP context: committed when the
    /// next request on that connection starts (or the run ends), dropped on an HTTP error, so
    /// a 404 is never counted as a segment's bytes.
    sized_pending: Vec<(u64, u64, Option<usize>)>,
    last_request: Option<(RequestKind, Option<usize>)>,
    first: FirstPlaylist,
    known: Vec<Variant>,
    fetch: Option<PendingFetch>,
    fetch_dir_buf: String,
    saw_progress: bool,
    silent_retry: SilentRetry,
}

// The `Recorder` moves into a parser task, or behind a mutex shared by two.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Recorder>();
};

impl Drop for Recorder {
    /// The run is over: requests still pending got no error, so their segments count.
    fn drop(&mut self) {
        while let Some(&(ctx, ..)) = self.sized_pending.first() {
            self.commit_segment_size(ctx);
        }
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("started", &self.started)
            .field("variants", &self.known)
            .field("first", &self.first)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Starts recording a new process run of the viewer behind `stats`, started at `started`.
    /// Calls [`ViewerStats::begin_process`].
    pub fn new(stats: Arc<ViewerStats>, started: Instant) -> Recorder {
        stats.begin_process();
        Recorder {
            stats,
            started,
            variants: None,
            segment_sizes: None,
            tcp_pending: Vec::new(),
            http_last: Vec::new(),
            sized_pending: Vec::new(),
            last_request: None,
            first: FirstPlaylist::Unseen,
            known: Vec::new(),
            fetch: None,
            fetch_dir_buf: String::new(),
            saw_progress: false,
            silent_retry: SilentRetry::default(),
        }
    }

    /// Attributes requests to variants found through `lookup` (the aggregate's variant map).
    pub fn with_variants(mut self, lookup: Arc<dyn VariantLookup>) -> Recorder {
        self.variants = Some(lookup);
        self
    }

    /// Counts exact segment bytes from `lookup` on every segment request it knows the size of.
    pub fn with_segment_sizes(mut self, lookup: Arc<dyn SegmentSizeLookup>) -> Recorder {
        self.segment_sizes = Some(lookup);
        self
    }

    /// The viewer's statistics.
    pub fn stats(&self) -> &Arc<ViewerStats> {
        &self.stats
    }

    /// The media playlists this run has attributed requests to, in order of discovery.
    pub fn variant_paths(&self) -> impl Iterator<Item = &str> {
        self.known.iter().map(|v| &*v.path)
    }

    /// Records one parsed stderr line that arrived at `arrived`.
    pub fn on_line(&mut self, line: &Line<'_>, arrived: Instant) {
        let Some(event) = line.event else { return };
        let ctx = line.context.map_or(0, |c| c.addr);
        let s = &*self.stats;
        match event {
            Event::HttpRequest { path, kind, .. } => {
                if self.silent_retry.is_retry(url_path(path)) {
                    // Sent again after a keep-alive request failed unseen: one request.
                    s.add(Counter::KeepAliveRetries, 1);
                    return;
                }
                self.on_http_request(ctx, strip_query(path), kind, Mark::of(line, arrived));
            }
            Event::Opening { kind, url } => {
                let from_demuxer = line.context.is_some_and(|c| c.is_hls_demuxer());
                let from_http = line.context.is_some_and(|c| c.name == "http");
                self.silent_retry
                    .opening(from_http, from_demuxer, url_path(url));
                if kind == RequestKind::Manifest && from_demuxer {
                    self.close_fetch_master(Mark::of(line, arrived));
                }
            }
            Event::HlsSegmentRequest { url, .. } => {
                self.silent_retry.reset();
                s.add(Counter::HlsSegmentRequests, 1);
                self.on_segment_needed(url_path(url), Mark::of(line, arrived));
            }
            Event::HttpError { status, .. } => self.on_http_error(ctx, status),
            Event::PlaylistReloadFailed { .. } => s.add(Counter::PlaylistReloadFailures, 1),
            Event::SegmentOpenFailed { .. } => s.add(Counter::SegmentOpenFailures, 1),
            Event::SegmentSkipped { .. } => s.add(Counter::SegmentsSkipped, 1),
            Event::SegmentsExpired { count } => s.add(Counter::SegmentsExpired, count),
            Event::MediaSequenceChange { from, to } => {
                s.add(Counter::SequenceChanges, 1);
                if to > from.saturating_add(1) {
                    s.add(Counter::SequenceJumps, 1);
                }
            }
            Event::KeepAliveRetry { .. } => {
                self.silent_retry.reset();
                s.add(Counter::KeepAliveRetries, 1);
            }
            Event::ReconnectScheduled { .. } => s.add(Counter::Reconnects, 1),
            Event::TcpConnectStart { .. } => {
                let mark = Mark::of(line, arrived);
                remember(&mut self.tcp_pending, ctx, mark);
            }
            Event::TcpConnected { .. } => {
                s.add(Counter::TcpConnects, 1);
                if let Some(start) = take(&mut self.tcp_pending, ctx)
                    && let Some(took) = start.until(Mark::of(line, arrived))
                {
                    s.record_latency(LatencyKind::TcpConnect, took);
                }
            }
            Event::TcpAttemptFailed { .. } => {
                s.add(Counter::TcpAttemptFailures, 1);
                take(&mut self.tcp_pending, ctx);
            }
            Event::TcpConnectFailed { .. } => {
                s.add(Counter::TcpConnectFailures, 1);
                take(&mut self.tcp_pending, ctx);
            }
            Event::AvioBytesRead { bytes } => s.add_avio_bytes(bytes),
            Event::Stats(stats_line) => self.on_stats_line(&stats_line, arrived),
            Event::ErrorMessage { message, .. } => {
                s.add(Counter::ErrorLines, 1);
                s.set_last_error(message.trim_end());
            }
        }
    }

    /// Records one `-progress` block that arrived at `arrived`: speed (stall clock) and drift.
    pub fn on_progress(&mut self, block: &ProgressBlock, arrived: Instant) {
        self.saw_progress = true;
        if let Some(speed) = block.speed {
            self.stats.record_speed(speed, arrived);
        }
        if let Some(out_time_us) = block.out_time_us {
            self.stats
                .record_out_time(out_time_us, self.started, arrived);
        }
    }

    /// The `-stats` line carries the same speed and time; used only if no `-progress` block came.
    fn on_stats_line(&mut self, line: &StatsLine, arrived: Instant) {
        if self.saw_progress {
            return;
        }
        if let Some(speed) = line.speed {
            self.stats.record_speed(speed, arrived);
        }
        if let Some(out_time_us) = line.out_time_us {
            self.stats
                .record_out_time(out_time_us, self.started, arrived);
        }
    }

    fn on_http_request(&mut self, ctx: u64, path: &str, kind: RequestKind, mark: Mark) {
        self.stats.add(Counter::requests(kind), 1);
        let variant = match kind {
            RequestKind::Manifest => self.on_playlist_request(path, mark),
            _ => {
                self.resolve_first_as_media();
                if kind == RequestKind::Segment || kind == RequestKind::Init {
                    self.on_segment_needed(path, mark);
                }
                let idx = self.variant_of(path);
                self.commit_segment_size(ctx);
                if kind == RequestKind::Segment {
                    self.hold_segment_size(ctx, path, idx);
                }
                idx
            }
        };
        if let Some(v) = variant.and_then(|i| self.known[i].stats.as_ref()) {
            v.add_requests(kind, 1);
        }
        self.last_request = Some((kind, variant));
        if let Some(slot) = self.http_last.iter_mut().find(|(c, ..)| *c == ctx) {
            *slot = (ctx, kind, variant);
        } else {
            if self.http_last.len() == MAX_CONTEXTS {
                self.http_last.remove(0);
            }
            self.http_last.push((ctx, kind, variant));
        }
    }

    /// A playlist request: decides master or media, returns the variant it belongs to, and
    /// starts the playlist-fetch clock.
    fn on_playlist_request(&mut self, path: &str, mark: Mark) -> Option<usize> {
        let (variant, master_candidate) = match &mut self.first {
            FirstPlaylist::Unseen => {
                self.first = FirstPlaylist::Pending {
                    path: path.into(),
                    requests: 1,
                };
                (None, true)
            }
            FirstPlaylist::Pending {
                path: first,
                requests,
            } if **first == *path => {
                *requests += 1;
                (None, true)
            }
            FirstPlaylist::Pending { path: first, .. } => {
                // The first playlist led to another playlist: it was the master.
                let first = std::mem::take(first);
                self.first = FirstPlaylist::Master(first);
                (Some(self.variant_idx(path)), false)
            }
            FirstPlaylist::Master(master) if **master == *path => (None, true),
            FirstPlaylist::Master(_) | FirstPlaylist::Media => {
                (Some(self.variant_idx(path)), false)
            }
        };
        self.fetch_dir_buf.clear();
        self.fetch_dir_buf.push_str(dir_of(path));
        let dir = std::mem::take(&mut self.fetch_dir_buf);
        if let Some(old) = self.fetch.replace(PendingFetch {
            since: mark,
            dir,
            master_candidate,
        }) {
            self.fetch_dir_buf = old.dir;
        }
        variant
    }

    /// A segment request (from the demuxer or on the wire) proves the pending playlist was read,
    /// if the segment lies in that playlist's directory.
    fn on_segment_needed(&mut self, path: &str, mark: Mark) {
        if matches!(self.first, FirstPlaylist::Pending { .. }) {
            self.resolve_first_as_media();
        }
        let Some(fetch) = &self.fetch else { return };
        if path.starts_with(fetch.dir.as_str()) {
            let since = fetch.since;
            self.finish_fetch(since, mark);
        }
    }

    /// `[hls] Opening '<playlist>'` right after the master was requested: the master was read.
    fn close_fetch_master(&mut self, mark: Mark) {
        if let Some(fetch) = &self.fetch
            && fetch.master_candidate
        {
            let since = fetch.since;
            self.finish_fetch(since, mark);
        }
    }

    fn finish_fetch(&mut self, since: Mark, end: Mark) {
        if let Some(took) = since.until(end) {
            self.stats.record_latency(LatencyKind::PlaylistFetch, took);
        }
        if let Some(done) = self.fetch.take() {
            self.fetch_dir_buf = done.dir;
        }
    }

    /// A non-playlist request while the first playlist is undecided: it was a media playlist.
    fn resolve_first_as_media(&mut self) {
        if !matches!(self.first, FirstPlaylist::Pending { .. }) {
            return;
        }
        if let FirstPlaylist::Pending { path, requests } =
            std::mem::replace(&mut self.first, FirstPlaylist::Media)
        {
            let idx = self.variant_idx(&path);
            if let Some(v) = &self.known[idx].stats {
                v.add_requests(RequestKind::Manifest, requests);
            }
        }
    }

    fn on_http_error(&mut self, ctx: u64, status: u16) {
        self.stats.record_http_error(status);
        // The error answered the request on this connection: its segment size was not received.
        self.sized_pending.retain(|&(c, ..)| c != ctx);
        let request = self
            .http_last
            .iter()
            .find(|(c, ..)| *c == ctx)
            .map(|&(_, kind, variant)| (kind, variant))
            .or(self.last_request);
        let (kind, variant) = request.unwrap_or((RequestKind::Other, None));
        self.stats.add(Counter::http_errors(kind), 1);
        if let Some(v) = variant.and_then(|i| self.known[i].stats.as_ref()) {
            v.add_http_error();
        }
        // A failed playlist fetch gives no latency sample.
        if kind == RequestKind::Manifest
            && let Some(done) = self.fetch.take()
        {
            self.fetch_dir_buf = done.dir;
        }
    }

    /// Remembers the exact size of the segment just requested on `ctx`, if the lookup knows it.
    fn hold_segment_size(&mut self, ctx: u64, path: &str, variant: Option<usize>) {
        let Some(lookup) = &self.segment_sizes else {
            return;
        };
        if let Some(size) = lookup.segment_size(path) {
            if self.sized_pending.len() >= MAX_CONTEXTS {
                let (c, ..) = self.sized_pending[0];
                self.commit_segment_size(c);
            }
            self.sized_pending.push((ctx, size, variant));
        }
    }

    /// The request on `ctx` was not answered with an error: count its segment's bytes.
    fn commit_segment_size(&mut self, ctx: u64) {
        if let Some(i) = self.sized_pending.iter().position(|&(c, ..)| c == ctx) {
            let (_, size, variant) = self.sized_pending.swap_remove(i);
            self.stats.add_segment_bytes(size);
            if let Some(v) = variant.and_then(|i| self.known[i].stats.as_ref()) {
                v.add_segment_bytes(size);
            }
        }
    }

    /// The index of the known media playlist `path`, registering it on first sight.
    fn variant_idx(&mut self, path: &str) -> usize {
        if let Some(i) = self.known.iter().position(|v| *v.path == *path) {
            return i;
        }
        let stats = self.variants.as_ref().map(|l| l.variant(path));
        self.known.push(Variant {
            path: path.into(),
            dir_len: dir_of(path).len(),
            stats,
        });
        self.known.len() - 1
    }

    /// The known media playlist whose directory is the longest prefix of `path` (first one on ties).
    fn variant_of(&self, path: &str) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, v) in self.known.iter().enumerate() {
            let longer = best.is_none_or(|b| v.dir_len > self.known[b].dir_len);
            if longer && path.starts_with(v.dir()) {
                best = Some(i);
            }
        }
        best
    }
}

fn remember(list: &mut Vec<(u64, Mark)>, ctx: u64, mark: Mark) {
    if let Some(slot) = list.iter_mut().find(|(c, _)| *c == ctx) {
        slot.1 = mark;
        return;
    }
    if list.len() == MAX_CONTEXTS {
        list.remove(0);
    }
    list.push((ctx, mark));
}

fn take(list: &mut Vec<(u64, Mark)>, ctx: u64) -> Option<Mark> {
    let i = list.iter().position(|(c, _)| *c == ctx)?;
    Some(list.remove(i).1)
}

fn strip_query(path: &str) -> &str {
    path.split(['?', '#']).next().unwrap_or(path)
}

/// The path of an absolute URL (`http://host:port/a/b.ts?x` → `/a/b.ts`); a bare path is kept.
fn url_path(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => return strip_query(url),
    };
    match rest.find('/') {
        Some(i) => strip_query(&rest[i..]),
        None => "/",
    }
}

/// The directory of a path, trailing `/` included (`/v0/index.m3u8` → `/v0/`).
fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    }
}
