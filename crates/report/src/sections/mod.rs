//! The report's sections: each module owns one section's figures (what the JSON holds), how
//! they are read off the final snapshot, and how they are rendered as text.

pub(crate) mod events;
pub(crate) mod latency;
pub(crate) mod origin;
pub(crate) mod pipeline;
pub(crate) mod playback;
pub(crate) mod requests;
pub(crate) mod self_usage;
pub(crate) mod variants;
pub(crate) mod viewers;

/// Per second over `secs`, 0 for an empty run.
pub(crate) fn per_s(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}
