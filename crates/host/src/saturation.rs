//! The saturation rule's thresholds, in one place: when the host, not the origin, is the limit.

/// CPU busy at or above this share of the host's capacity saturates it (Locust warns at the
/// same 90 %): ffmpeg viewers then wait for a core, fall behind real time and look stalled.
pub const CPU_SATURATED_SHARE: f64 = 0.90;

/// Memory used (unreclaimable) at or above this share of the host's limit saturates it: the
/// kernel is about to reclaim hard, swap, or (in a cgroup) kill a process.
pub const MEMORY_SATURATED_SHARE: f64 = 0.95;
