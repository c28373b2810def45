//! The host's figures in the snapshot: saturated time, peaks, and stall onsets while saturated.

use crate::Aggregator;
use hls_swarm_host::{HostLimits, HostSample, LimitSource};
use hls_swarm_parse::ProgressBlock;
use hls_swarm_stats::Recorder;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A sample of a 2-core, 8 GB host with `busy` cores busy and `used` bytes used over 0.5 s.
fn sample(busy: f64, used: u64) -> HostSample {
    HostSample {
        limits: HostLimits {
            cpu_cores: 2.0,
            cpu_source: LimitSource::Machine,
            online_cpus: 2,
            affinity_cpus: 2,
            memory_bytes: 8_000_000_000,
            memory_source: LimitSource::Machine,
        },
        cpu_busy_cores: Some(busy),
        memory_used_bytes: Some(used),
        interval: Some(Duration::from_millis(500)),
    }
}

/// Viewer `id` of `swarm` playing at half speed since `t0`: stalled at any tick 5 s later.
fn slow_viewer(swarm: &Aggregator, id: u32, t0: Instant) -> Recorder {
    let mut rec = Recorder::new(Arc::clone(&swarm.register(id)), t0);
    let block = ProgressBlock {
        speed: Some(0.5),
        out_time_us: Some(1_000_000),
        ..Default::default()
    };
    rec.on_progress(&block, t0 + Duration::from_secs(1));
    rec
}

#[test]
fn no_sample_no_host_figures() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 1, t0);
    assert!(swarm.load().host.is_none());
    assert!(swarm.tick(t0 + Duration::from_secs(1)).host.is_none());
}

#[test]
fn saturated_time_is_the_saturated_samples_intervals_and_peaks_are_kept() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 1, t0);
    swarm.record_host(sample(1.0, 2_000_000_000));
    let s = swarm.tick(t0 + Duration::from_secs(1));
    let host = s.host.unwrap();
    assert!(!host.saturated);
    assert_eq!(host.saturated_s, 0.0);
    // 1.9 of 2 cores is 95 %: saturated, for this sample's 0.5 s.
    swarm.record_host(sample(1.9, 3_000_000_000));
    swarm.record_host(sample(1.95, 1_000_000_000));
    swarm.record_host(sample(0.4, 1_000_000_000));
    let host = swarm.tick(t0 + Duration::from_secs(2)).host.unwrap();
    assert!(!host.saturated, "the latest sample is not saturated");
    assert_eq!(host.saturated_s, 1.0);
    assert_eq!(host.peak_cpu_busy_cores, Some(1.95));
    assert_eq!(host.peak_cpu_busy_share, Some(0.975));
    assert_eq!(host.peak_memory_used_bytes, Some(3_000_000_000));
    assert_eq!(host.peak_memory_used_share, Some(0.375));
    assert_eq!(host.sample.cpu_busy_cores, Some(0.4));
    swarm.set_ramp_held(Duration::from_millis(1500));
    assert_eq!(
        swarm
            .tick(t0 + Duration::from_secs(3))
            .host
            .unwrap()
            .ramp_held_s,
        1.5
    );
}

#[test]
fn an_unknown_figure_is_no_peak_and_no_saturation() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 1, t0);
    let first = HostSample {
        cpu_busy_cores: None,
        interval: None,
        ..sample(0.0, 1)
    };
    swarm.record_host(first);
    let host = swarm.tick(t0 + Duration::from_secs(1)).host.unwrap();
    assert_eq!(host.peak_cpu_busy_cores, None);
    assert_eq!(host.peak_memory_used_bytes, Some(1));
    assert!(!host.saturated);
}

#[test]
fn stall_onsets_are_counted_only_on_saturated_ticks_and_once_a_viewer() {
    let t0 = Instant::now();
    let swarm = Aggregator::new("u", 2, t0);
    let _a = slow_viewer(&swarm, 0, t0);
    swarm.record_host(sample(1.99, 1));
    let s = swarm.tick(t0 + Duration::from_secs(10));
    assert_eq!(s.playback.ever_stalled, 1);
    assert_eq!(s.host.unwrap().stall_onsets_while_saturated, 1);
    // Viewer 0 still stalled, viewer 1 begins stalling: on a tick that is not saturated.
    let _b = slow_viewer(&swarm, 1, t0 + Duration::from_secs(5));
    swarm.record_host(sample(0.5, 1));
    let s = swarm.tick(t0 + Duration::from_secs(20));
    assert_eq!(s.playback.ever_stalled, 2);
    assert_eq!(s.host.unwrap().stall_onsets_while_saturated, 1);
    // Both still stalled on a saturated tick: neither begins again.
    swarm.record_host(sample(1.99, 1));
    let s = swarm.tick(t0 + Duration::from_secs(21));
    assert_eq!(s.host.unwrap().stall_onsets_while_saturated, 1);
}
