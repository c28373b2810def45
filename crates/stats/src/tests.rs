//! Unit tests: what each ffmpeg event does to a viewer's statistics, one module per noun, and
//! the line builders they share.

mod bytes;
mod counters;
mod latency;
mod playback;
mod process;
mod requests;
mod threads;

use crate::{Recorder, VariantLookup, VariantStats, VariantValues};
use hls_swarm_parse::{Context, Event, Line, RequestKind, Timestamp};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `[name @ addr] <event>`, without ffmpeg's `datetime` stamp.
fn at(name: &'static str, addr: u64, event: Event<'static>) -> Line<'static> {
    let context = Some(Context { name, addr });
    Line {
        context,
        ..bare(event)
    }
}

/// `line` with ffmpeg's `datetime` stamp at `ms`.
fn stamped(ms: i64, line: Line<'static>) -> Line<'static> {
    Line {
        time: Some(Timestamp { naive_unix_ms: ms }),
        ..line
    }
}

/// `<event>` with no prefix at all.
fn bare(event: Event<'static>) -> Line<'static> {
    Line {
        time: None,
        context: None,
        level: None,
        event: Some(event),
    }
}

/// `[http @ addr] request: GET path`.
fn get(addr: u64, path: &'static str, kind: RequestKind) -> Line<'static> {
    let event = Event::HttpRequest {
        method: "GET",
        path,
        kind,
    };
    at("http", addr, event)
}

/// `[hls @ 9] HLS request for url 'url', offset 0, playlist 0`.
fn hls_request(url: &'static str) -> Line<'static> {
    let event = Event::HlsSegmentRequest {
        url,
        offset: 0,
        playlist: Some(0),
    };
    at("hls", 9, event)
}

/// `[name @ addr] Opening 'url' for reading`, for a playlist.
fn opening(name: &'static str, addr: u64, url: &'static str) -> Line<'static> {
    let event = Event::Opening {
        url,
        kind: RequestKind::Manifest,
    };
    at(name, addr, event)
}

/// `[http @ addr] HTTP error status reason`.
fn http_error(addr: u64, status: u16, reason: &'static str) -> Line<'static> {
    at("http", addr, Event::HttpError { status, reason })
}

/// A variant lookup that remembers what it created, as the aggregate's map would.
#[derive(Default)]
struct Variants(Mutex<Vec<(String, Arc<VariantStats>)>>);

impl VariantLookup for Variants {
    fn variant(&self, path: &str) -> Arc<VariantStats> {
        let mut all = self.0.lock().unwrap();
        if let Some((_, v)) = all.iter().find(|(p, _)| p == path) {
            return Arc::clone(v);
        }
        let v = Arc::new(VariantStats::new());
        all.push((path.to_owned(), Arc::clone(&v)));
        v
    }
}

impl Variants {
    fn values(&self, path: &str) -> Option<VariantValues> {
        let all = self.0.lock().unwrap();
        all.iter().find(|(p, _)| p == path).map(|(_, v)| v.values())
    }
}

/// Feeds `lines` to `rec`, 10 ms apart from `t0`.
fn feed(rec: &mut Recorder, lines: &[Line<'_>], t0: Instant) {
    for (i, line) in lines.iter().enumerate() {
        rec.on_line(line, t0 + Duration::from_millis(10 * i as u64));
    }
}

/// The start of `origin-restart.stderr`: master, two media playlists, segments of both, reloads.
fn two_variant_session(rec: &mut Recorder, t0: Instant) {
    use RequestKind::{Manifest, Segment};
    let lines = [
        get(1, "/master.m3u8", Manifest),
        opening("hls", 9, "http://o/v0/index.m3u8"),
        get(2, "/v0/index.m3u8", Manifest),
        opening("http", 3, "http://o/v1/index.m3u8"),
        get(2, "/v1/index.m3u8", Manifest),
        hls_request("http://o/v0/seg00332.ts"),
        get(4, "/v0/seg00332.ts", Segment),
        hls_request("http://o/v0/seg00333.ts"),
        get(5, "/v0/seg00333.ts", Segment),
        hls_request("http://o/v1/seg00332.ts"),
        get(6, "/v1/seg00332.ts", Segment),
        get(2, "/v0/index.m3u8", Manifest),
        at("hls", 9, Event::MediaSequenceChange { from: 329, to: 330 }),
        hls_request("http://o/v0/seg00334.ts"),
        get(4, "/v0/seg00334.ts?token=1", Segment),
    ];
    feed(rec, &lines, t0);
}
