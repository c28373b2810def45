//! Events other than HTTP errors (reconnects, skipped segments, sequence jumps, …), each with
//! what it means.

use std::collections::BTreeMap;

use hls_swarm_aggregate::Snapshot;
use hls_swarm_stats::Counter;

use crate::text::Text;

/// Counters reported under `events`.
const EVENT_COUNTERS: [Counter; 12] = [
    Counter::Reconnects,
    Counter::KeepAliveRetries,
    Counter::TcpConnects,
    Counter::TcpAttemptFailures,
    Counter::TcpConnectFailures,
    Counter::PlaylistReloadFailures,
    Counter::SegmentOpenFailures,
    Counter::SegmentsSkipped,
    Counter::SegmentsExpired,
    Counter::SequenceJumps,
    Counter::ErrorLines,
    Counter::LinesCut,
];

/// Every event counter by name; with the request tap, ffmpeg's TCP counters are left out (they
/// count its loopback connects to the tap; the `tap` section has the upstream failures).
pub(crate) fn from_snapshot(s: &Snapshot) -> BTreeMap<String, u64> {
    (EVENT_COUNTERS.iter())
        .filter_map(|&k| Some((k.name().to_owned(), s.log_counter(k)?)))
        .collect()
}

/// The "Other events" section: only events that happened, each count with its meaning
/// (TCP connects are not trouble, so they are left out).
pub(crate) fn render(events: &BTreeMap<String, u64>, text: &mut Text) {
    let happened: Vec<(&str, u64)> = (events.iter())
        .filter(|&(name, n)| *n > 0 && name != Counter::TcpConnects.name())
        .map(|(name, &n)| (name.as_str(), n))
        .collect();
    if happened.is_empty() {
        return;
    }
    text.section("Other events");
    for (name, n) in happened {
        let meaning = (EVENT_COUNTERS.iter())
            .find(|c| c.name() == name)
            .map_or("", |c| c.meaning());
        text.row(&name.replace('_', " "), &format!("{n}  {meaning}"));
    }
}
