//! The machine hls-swarm runs on. [`HostSampler`] finds its capacity once — CPU cores as the
//! smallest of the online CPUs, the affinity mask and the cgroup quota; memory as the smaller of
//! `MemTotal` and the cgroup limit (v1 or v2, found from `/proc/self/cgroup` and
//! `/proc/self/mountinfo`) — and then, every sample, reads what is in use: CPU busy between two
//! samples (the cgroup's usage counter when its quota is the limit, `/proc/stat` otherwise) and
//! unreclaimable memory (`MemTotal - MemAvailable`, or the cgroup's working set). A
//! [`HostSample`] says whether the host is saturated ([`CPU_SATURATED_SHARE`],
//! [`MEMORY_SATURATED_SHARE`]), and [`CapacityEstimate`] how many viewers it can hold.
//!
//! ```
//! use hls_swarm_host::{CapacityEstimate, HostSampler};
//!
//! let mut host = HostSampler::live()?;
//! let first = host.sample();
//! assert!(first.cpu_busy_cores.is_none(), "a rate needs two samples");
//! std::thread::sleep(std::time::Duration::from_millis(50));
//! let second = host.sample();
//! let busy = second.cpu_busy_cores.expect("two samples give a rate");
//! assert!(busy >= 0.0 && busy <= second.limits.cpu_cores * 1.05);
//! assert!(second.limits.memory_bytes > 0);
//! let estimate = CapacityEstimate::of(&second.limits);
//! assert_eq!(estimate.viewers, estimate.by_cpu.min(estimate.by_memory));
//! # Ok::<(), hls_swarm_host::HostError>(())
//! ```
#![deny(missing_docs)]

mod cgroup;
mod error;
mod estimate;
mod procfs;
mod sampler;
mod saturation;

pub use error::HostError;
pub use estimate::{
    CapacityEstimate, HEADROOM, Resource, VIEWER_CPU_CORES, VIEWER_MEMORY_BYTES,
    VIEWER_START_CPU_SECONDS,
};
pub use sampler::{HostLimits, HostSample, HostSampler, LimitSource};
pub use saturation::{CPU_SATURATED_SHARE, MEMORY_SATURATED_SHARE};

#[cfg(test)]
mod tests;
