//! The report's sections: each module owns one section's figures (what the JSON holds), how
//! they are read off the final snapshot, how the sections of several shards merge, and how
//! they are rendered as text.

use std::collections::BTreeMap;

pub(crate) mod events;
pub(crate) mod ffmpeg;
pub(crate) mod host;
pub(crate) mod latency;
pub(crate) mod origin;
pub(crate) mod packed;
pub(crate) mod pipeline;
pub(crate) mod playback;
pub(crate) mod requests;
pub(crate) mod run;
pub(crate) mod self_usage;
pub(crate) mod tap;
pub(crate) mod thresholds;
pub(crate) mod timeseries;
pub(crate) mod variants;
pub(crate) mod viewers;

/// Per second over `secs`, 0 for an empty run.
pub(crate) fn per_s(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

/// Counts by key, summed over every map.
pub(crate) fn sum_maps<'a>(
    maps: impl IntoIterator<Item = &'a BTreeMap<String, u64>>,
) -> BTreeMap<String, u64> {
    let mut sum = BTreeMap::new();
    for map in maps {
        for (key, n) in map {
            *sum.entry(key.clone()).or_default() += n;
        }
    }
    sum
}

/// The mean of several means, each weighted by how many samples it is over (0 with none, as a
/// single run says).
pub(crate) fn weighted_mean(means: impl IntoIterator<Item = (f64, u64)>) -> f64 {
    let (sum, n) = (means.into_iter()).fold((0.0, 0u64), |(sum, n), (mean, weight)| {
        (sum + mean * weight as f64, n + weight)
    });
    if n > 0 { sum / n as f64 } else { 0.0 }
}
