//! What hls-swarm itself cost (not its ffmpeg viewers): CPU seconds and peak RSS, from getrusage.

use hls_swarm_report::SelfUsage;

/// hls-swarm's own resource use so far, from `getrusage(RUSAGE_SELF)`; the request tap's
/// CPU (`tap_cpu`, its threads') is reported apart and left out of `cpu_s`.
pub fn measure(tap_cpu: Option<std::time::Duration>) -> Option<SelfUsage> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a full rusage into the pointer we own; RUSAGE_SELF is valid.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: rc == 0, so the kernel filled the struct.
    let usage = unsafe { usage.assume_init() };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let tap_cpu_s = tap_cpu.map(|d| d.as_secs_f64());
    Some(SelfUsage {
        cpu_s: (secs(usage.ru_utime) + secs(usage.ru_stime) - tap_cpu_s.unwrap_or(0.0)).max(0.0),
        tap_cpu_s,
        // Linux reports ru_maxrss in KiB.
        peak_rss_bytes: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
    })
}
