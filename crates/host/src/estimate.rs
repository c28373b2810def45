//! How many viewers a host can hold: its capacity over the measured cost of one viewer.

use crate::sampler::HostLimits;

/// CPU one ffmpeg 5.1 viewer costs, cores (about 0.19 % of a core), while it plays a live
/// stream with `-c copy -f null -`. An estimate, measured in docs/PERFORMANCE.md ("What one
/// viewer costs": 0.14 % at 200 viewers on a quiet host, 0.22 % at 600 on a saturated one).
pub const VIEWER_CPU_CORES: f64 = 0.0019;

/// Unreclaimable memory one ffmpeg 5.1 viewer costs, bytes (about 18 MB). An estimate,
/// measured in docs/PERFORMANCE.md (17.9–18.1 MB a viewer at 396 and 436 viewers).
pub const VIEWER_MEMORY_BYTES: u64 = 18_000_000;

/// CPU one ffmpeg 5.1 viewer costs to start, core-seconds (about 0.15 s): probing the stream
/// before it plays. An estimate, measured in docs/PERFORMANCE.md; it is what bounds how fast a
/// small host can ramp.
pub const VIEWER_START_CPU_SECONDS: f64 = 0.15;

/// The share of the capacity the estimate leaves free (for hls-swarm itself, start-up bursts
/// of the ramp and everything else on the host).
pub const HEADROOM: f64 = 0.20;

/// Which resource runs out first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// CPU.
    Cpu,
    /// Memory.
    Memory,
}

impl Resource {
    /// `cpu` or `memory`.
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Memory => "memory",
        }
    }
}

/// An estimate of how many viewers a host can hold, from its [`HostLimits`] and the per-viewer
/// costs [`VIEWER_CPU_CORES`] and [`VIEWER_MEMORY_BYTES`], leaving [`HEADROOM`] free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityEstimate {
    /// Viewers the host can hold: the smaller of the two below.
    pub viewers: u32,
    /// Viewers its CPU can hold.
    pub by_cpu: u32,
    /// Viewers its memory can hold.
    pub by_memory: u32,
}

impl CapacityEstimate {
    /// The estimate for a host with these limits.
    pub fn of(limits: &HostLimits) -> CapacityEstimate {
        let usable = 1.0 - HEADROOM;
        let by_cpu = (limits.cpu_cores * usable / VIEWER_CPU_CORES).floor();
        let by_memory = (limits.memory_bytes as f64 * usable / VIEWER_MEMORY_BYTES as f64).floor();
        // `as` saturates: a huge host holds u32::MAX viewers, which is plenty.
        let (by_cpu, by_memory) = (by_cpu as u32, by_memory as u32);
        CapacityEstimate {
            viewers: by_cpu.min(by_memory),
            by_cpu,
            by_memory,
        }
    }

    /// The resource that bounds the estimate (CPU on a tie).
    pub fn limited_by(&self) -> Resource {
        if self.by_memory < self.by_cpu {
            Resource::Memory
        } else {
            Resource::Cpu
        }
    }

    /// Viewers a host with `limits` can start a second while keeping [`HEADROOM`] free, by
    /// [`VIEWER_START_CPU_SECONDS`] (an estimate; the viewers already playing are not counted).
    pub fn starts_per_second(limits: &HostLimits) -> f64 {
        limits.cpu_cores * (1.0 - HEADROOM) / VIEWER_START_CPU_SECONDS
    }

    /// How many hosts like this one `viewers` need: the shard count to run them with (at
    /// least 1; `u32::MAX` when one host holds none).
    pub fn shards_for(&self, viewers: u64) -> u32 {
        if self.viewers == 0 {
            return u32::MAX;
        }
        u32::try_from(viewers.div_ceil(u64::from(self.viewers)).max(1)).unwrap_or(u32::MAX)
    }
}
