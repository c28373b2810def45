//! The `host` section: read off the snapshot, absent when never sampled, rendered with what a
//! merged figure is, and merged as the largest shard's (times, peaks) or summed (stalls,
//! capacity).

use super::assert_shows;
use super::feed::{self};
use crate::{Report, ShardId, merge};
use hls_swarm_aggregate::Aggregator;
use hls_swarm_host::{HostLimits, HostSample, LimitSource};
use hls_swarm_parse::ProgressBlock;
use hls_swarm_stats::Recorder;
use std::sync::Arc;
use std::time::{Duration, Instant};

const GB: u64 = 1_000_000_000;

fn sample(busy: f64, used: u64) -> HostSample {
    HostSample {
        limits: HostLimits {
            cpu_cores: 2.0,
            cpu_source: LimitSource::Machine,
            online_cpus: 2,
            affinity_cpus: 2,
            memory_bytes: 10 * GB,
            memory_source: LimitSource::Cgroup,
        },
        cpu_busy_cores: Some(busy),
        memory_used_bytes: Some(used),
        interval: Some(Duration::from_millis(500)),
    }
}

/// A run of two viewers that both stall, one while the host is saturated (4 saturated
/// samples: 2 s), with the ramp held `held`.
fn sampled_run(held: Duration, shard: Option<ShardId>) -> Report {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://origin/master.m3u8", 2, t0);
    let slow = ProgressBlock {
        speed: Some(0.5),
        out_time_us: Some(1_000_000),
        ..Default::default()
    };
    let mut a = Recorder::new(Arc::clone(&swarm.register(0)), t0);
    a.on_progress(&slow, t0 + Duration::from_secs(1));
    for _ in 0..4 {
        swarm.record_host(sample(1.9, 4 * GB));
    }
    swarm.tick(t0 + Duration::from_secs(10));
    let mut b = Recorder::new(Arc::clone(&swarm.register(1)), t0);
    b.on_progress(&slow, t0 + Duration::from_secs(11));
    swarm.record_host(sample(0.5, 5 * GB));
    swarm.set_ramp_held(held);
    let s = swarm.tick(t0 + Duration::from_secs(20));
    let mut report = Report::from_aggregator(&swarm, &s);
    report.shard = shard;
    report.run_id = Some("run-42".to_owned());
    report
}

#[test]
fn a_sampled_run_has_the_host_section() {
    let report = sampled_run(Duration::from_millis(1500), None);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let host = &json["host"];
    assert_eq!(host["saturated_s"], 2.0);
    assert_eq!(host["ramp_held_s"], 1.5);
    assert_eq!(host["peak_cpu_cores"], 1.9);
    assert_eq!(host["peak_cpu_percent"], 95.0);
    assert_eq!(host["peak_memory_bytes"], 5 * GB);
    assert_eq!(host["peak_memory_percent"], 50.0);
    assert_eq!(host["stall_onsets_while_saturated"], 1);
    assert_eq!(json["viewers"]["stalled"], 2);
    let capacity = &host["capacity"];
    assert_eq!(capacity["cpu_cores"], 2.0);
    assert_eq!(capacity["cpu_source"], "machine");
    assert_eq!(capacity["memory_bytes"], 10 * GB);
    assert_eq!(capacity["memory_source"], "cgroup");
    // 2 cores x 0.8 / 0.0019 = 842 by CPU; 10 GB x 0.8 / 18 MB = 444 by memory.
    assert_eq!(capacity["estimate_viewers"], 444);
    assert_eq!(capacity["estimate_limited_by"], "memory");
    assert_shows(
        &report.render_text(),
        &[
            "Host (the machine hls-swarm ran on)",
            "2.00 cores (machine), 10.00 GB memory (cgroup)",
            "about 444 viewers (bound by memory)",
            "1.90 cores, 95 % of capacity",
            "5.00 GB, 50 % of the limit",
            "saturated              2.0 s",
            "ramp held              1.5 s",
            "1 of the 2 viewers that stalled began stalling while this host was saturated",
        ],
    );
    assert!(!report.render_text().contains("largest shard"));
}

#[test]
fn a_run_never_sampled_has_no_host_section() {
    let report = feed::run(&[0, 1], None);
    assert!(report.host.is_none());
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert!(json.get("host").is_none(), "absent, not zeros");
    assert!(!report.render_text().contains("Host ("));
}

#[test]
fn a_merge_keeps_the_largest_times_and_peaks_and_sums_stalls_and_capacity() {
    let shard = |index| Some(ShardId { index, count: 2 });
    let a = sampled_run(Duration::from_secs(3), shard(0));
    let mut b = sampled_run(Duration::from_secs(1), shard(1));
    let host = b.host.as_mut().unwrap();
    host.saturated_s = 7.5;
    host.peak_cpu_cores = Some(1.2);
    host.peak_memory_percent = Some(80.0);
    host.capacity.cpu_source = "cgroup".to_owned();
    // Through JSON, as `hls-swarm merge` reads them.
    let parts: Vec<Report> = [a, b]
        .iter()
        .map(|r| Report::from_json(&r.to_json_line()).unwrap())
        .collect();
    let merged = merge(&parts, false).unwrap();
    let host = merged.host.as_ref().unwrap();
    assert_eq!((host.saturated_s, host.ramp_held_s), (7.5, 3.0));
    assert_eq!(host.peak_cpu_cores, Some(1.9));
    assert_eq!(host.peak_memory_percent, Some(80.0));
    assert_eq!(host.stall_onsets_while_saturated, 2);
    assert_eq!(host.capacity.cpu_cores, 4.0);
    assert_eq!(host.capacity.memory_bytes, 20 * GB);
    assert_eq!(host.capacity.estimate_viewers, 888);
    assert_eq!(host.capacity.cpu_source, "mixed");
    assert_eq!(host.capacity.memory_source, "cgroup");
    assert_shows(
        &merged.render_text(),
        &[
            "7.5 s (largest shard's)",
            "4.00 cores (mixed), 20.00 GB memory (cgroup) (sum of the shards' hosts)",
            "2 of the 4 viewers that stalled began stalling while its shard's host was saturated",
        ],
    );
}

#[test]
fn summaries_without_host_merge_without_it() {
    let shard = |index| Some(ShardId { index, count: 2 });
    let old = feed::run(&[0], shard(0));
    let mut json: serde_json::Value = serde_json::from_str(&old.to_json()).unwrap();
    assert!(json.as_object_mut().unwrap().remove("host").is_none());
    let old = Report::from_json(&json.to_string()).unwrap();
    let also_old = feed::run(&[1], shard(1));
    let merged = merge(&[old.clone(), also_old], false).unwrap();
    assert!(merged.host.is_none());
    assert!(!merged.render_text().contains("Host ("));
    // With one shard sampled, the merge has that shard's figures, not zeros for the other.
    let sampled = sampled_run(Duration::ZERO, shard(1));
    let merged = merge(&[old, sampled], false).unwrap();
    let host = merged.host.unwrap();
    assert_eq!(
        (host.saturated_s, host.stall_onsets_while_saturated),
        (2.0, 1)
    );
    assert_eq!(host.capacity.cpu_cores, 2.0);
}
