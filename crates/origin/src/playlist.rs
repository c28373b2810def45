//! The live timeline and the text the origin serves: master and media playlists, `segments.json`.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::rendition::{CODECS, Rendition};

/// Which live sequence numbers exist at a given time.
///
/// Segment `n` covers wall-clock time `[n·d, (n+1)·d)` since the Unix epoch (`d` the segment
/// duration) and is published when it ends, so a restarted origin continues the sequence.
/// It plays loop segment `n mod loop_len`; a discontinuity precedes every `n` with
/// `n mod loop_len == 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeline {
    pub(crate) segment_secs: u64,
    pub(crate) window: u64,
    pub(crate) grace: u64,
    pub(crate) loop_len: u64,
}

/// The segments of one media playlist: `first..=newest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) first: u64,
    pub(crate) newest: u64,
}

impl Timeline {
    /// The live window at `now` (`None` only in the first segment after 1970).
    pub(crate) fn window_at(&self, now: SystemTime) -> Option<Window> {
        let secs = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
        let newest = (secs / self.segment_secs).checked_sub(1)?;
        let first = newest.saturating_sub(self.window - 1);
        Some(Window { first, newest })
    }

    /// Whether segment `seq` may be served at `now`: published, and no more than `grace`
    /// segments older than the window.
    pub(crate) fn servable(&self, seq: u64, now: SystemTime) -> bool {
        self.window_at(now)
            .is_some_and(|w| seq <= w.newest && seq >= w.first.saturating_sub(self.grace))
    }

    /// Discontinuity sequence number of segment `seq`: the loop wraps before it.
    pub(crate) fn discontinuity_seq(&self, seq: u64) -> u64 {
        seq / self.loop_len
    }

    /// When segment `seq` was published.
    pub(crate) fn published_at(&self, seq: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs((seq + 1) * self.segment_secs)
    }
}

/// The segment file name for live sequence number `seq`.
pub(crate) fn segment_name(seq: u64) -> String {
    format!("seg{seq:05}.ts")
}

/// `/master.m3u8`: one `EXT-X-STREAM-INF` per variant, URIs relative (`v0/index.m3u8`).
pub(crate) fn master_playlist(rendition: &Rendition) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for (idx, v) in rendition.variants().iter().enumerate() {
        let _ = writeln!(
            out,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},RESOLUTION={}x{},CODECS=\"{CODECS}\",FRAME-RATE={}.000\nv{idx}/index.m3u8",
            v.peak_bandwidth(),
            v.average_bandwidth(),
            v.spec.width,
            v.spec.height,
            rendition.fps(),
        );
    }
    out
}

/// `/v{idx}/index.m3u8` at window `w`; with `#EXT-X-ENDLIST` after the last segment when the
/// stream has `ended`.
pub(crate) fn media_playlist(
    rendition: &Rendition,
    timeline: &Timeline,
    idx: usize,
    w: Window,
    ended: bool,
) -> Option<String> {
    let variant = rendition.variants().get(idx)?;
    let max_extinf = variant
        .segments
        .iter()
        .map(|s| s.duration)
        .fold(0.0, f64::max);
    let target = (max_extinf.round() as u64).max(timeline.segment_secs);
    let mut out = String::with_capacity(128 + 40 * timeline.window as usize);
    let _ = write!(
        out,
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{}\n#EXT-X-DISCONTINUITY-SEQUENCE:{}\n",
        w.first,
        timeline.discontinuity_seq(w.first),
    );
    for seq in w.first..=w.newest {
        // The first segment's discontinuity is already counted in the sequence number.
        if seq != w.first && seq % timeline.loop_len == 0 {
            out.push_str("#EXT-X-DISCONTINUITY\n");
        }
        let seg = rendition.loop_segment(idx, seq)?;
        let _ = writeln!(out, "#EXTINF:{:.6},\n{}", seg.duration, segment_name(seq));
    }
    if ended {
        out.push_str("#EXT-X-ENDLIST\n");
    }
    Some(out)
}

/// An nginx `autoindex_format json` listing of the servable segments of the variants in
/// `idxs`, plus the next `window` segments to be published (their sizes are known already,
/// so a load tester that refreshes the listing every second never meets a segment it cannot
/// size); names are `seg{N}.ts`, or `v{i}/seg{N}.ts` when `prefixed`.
pub(crate) fn segments_json(
    rendition: &Rendition,
    timeline: &Timeline,
    idxs: &[usize],
    w: Window,
    prefixed: bool,
) -> String {
    let oldest = w.first.saturating_sub(timeline.grace);
    let mut entries = Vec::new();
    for &idx in idxs {
        let upcoming = w.newest.saturating_sub(w.first) + 1;
        for seq in oldest..=w.newest.saturating_add(upcoming) {
            let Some(seg) = rendition.loop_segment(idx, seq) else {
                continue;
            };
            let name = if prefixed {
                format!("v{idx}/{}", segment_name(seq))
            } else {
                segment_name(seq)
            };
            entries.push(serde_json::json!({
                "name": name,
                "type": "file",
                "mtime": http_date(timeline.published_at(seq)),
                "size": seg.data.len(),
            }));
        }
    }
    serde_json::Value::Array(entries).to_string()
}

/// RFC 7231 IMF-fixdate, e.g. `Thu, 29 Jan 2026 22:11:08 GMT` (what nginx puts in `mtime`).
pub(crate) fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests;
