//! The ramp gate with fake "ffmpeg" shell scripts: no viewer starts while it is held, the rest
//! of the grid shifts by the time held, and the held time is counted.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Event, Observer, Recorder, assert_no_leftovers, fake_ffmpeg};
use hls_swarm_supervise::{Capabilities, FfmpegConfig, RampGate, Swarm, SwarmOptions};
use hls_swarm_testkit::poll;

/// When each viewer's first process started.
fn first_starts(recorder: &Recorder) -> Vec<(u32, Instant)> {
    recorder.collect(|e| match e {
        Event::Started {
            viewer, run: 0, at, ..
        } => Some((viewer, at)),
        _ => None,
    })
}

fn start(name: &str, viewers: u32, rate: f64, gate: &RampGate) -> (Arc<Recorder>, Swarm) {
    let mut config = FfmpegConfig::new("http://127.0.0.1:9/live.m3u8");
    config.ffmpeg = fake_ffmpeg(name, "while :; do sleep 0.05; done");
    let recorder = Recorder::new();
    let options = SwarmOptions {
        viewers,
        ramp_rate: rate,
        ramp_jitter: Duration::ZERO,
        seed: Some(1),
        ramp_gate: gate.clone(),
        ..SwarmOptions::default()
    };
    let swarm = Swarm::start(
        config,
        Capabilities::ffmpeg_5_1(),
        Arc::new(Observer(recorder.clone())),
        options,
    )
    .unwrap();
    (recorder, swarm)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_gate_starts_nobody_and_shifts_the_rest_of_the_grid() {
    let gate = RampGate::new();
    // 4 viewers at 5/s: on the grid at 0, 200, 400 and 600 ms.
    let (recorder, mut swarm) = start("gate-hold", 4, 5.0, &gate);
    let began = Instant::now();
    let two = poll::until(Duration::from_secs(5), || {
        first_starts(&recorder).len() >= 2
    });
    assert!(two, "the first two viewers never started");
    gate.hold();
    assert!(gate.is_held());
    let held_at = Instant::now();
    // Held for 800 ms, checked the whole time: nobody else starts.
    let started_while_held = poll::until(Duration::from_millis(800), || {
        first_starts(&recorder).len() > 2
    });
    let held_for = held_at.elapsed();
    assert!(
        !started_while_held,
        "a viewer started while the gate was held"
    );
    gate.release();
    let all = poll::until(Duration::from_secs(5), || {
        first_starts(&recorder).len() == 4
    });
    assert!(all, "the ramp did not resume after the release");
    let starts = first_starts(&recorder);
    assert_eq!(starts.iter().map(|s| s.0).collect::<Vec<_>>(), [0, 1, 2, 3]);
    let counted = swarm.counters().snapshot().ramp_held;
    assert!(counted > Duration::ZERO && counted <= held_for + Duration::from_millis(50));
    // Viewer 3 stays on the shifted grid: its place (600 ms) plus the time held, no earlier.
    let last = starts[3].1.duration_since(began);
    assert!(
        last >= Duration::from_millis(600) + counted,
        "viewer 3 started {last:?} after the swarm, held {counted:?}"
    );
    // And the rate after the hold is the configured one: 200 ms between viewers 2 and 3.
    let gap = starts[3].1.duration_since(starts[2].1);
    assert!(
        gap >= Duration::from_millis(150) && gap <= Duration::from_millis(350),
        "{gap:?}"
    );
    swarm.stop();
    swarm.wait().await;
    assert_no_leftovers(&recorder.pids());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_gate_counts_no_held_time() {
    let gate = RampGate::new();
    let (recorder, mut swarm) = start("gate-open", 3, 20.0, &gate);
    let all = poll::until(Duration::from_secs(5), || {
        first_starts(&recorder).len() == 3
    });
    assert!(all);
    assert_eq!(swarm.counters().snapshot().ramp_held, Duration::ZERO);
    // A hold after the ramp ended holds nothing and is not counted.
    gate.hold();
    swarm.stop();
    swarm.wait().await;
    assert_eq!(swarm.counters().snapshot().ramp_held, Duration::ZERO);
    assert_no_leftovers(&recorder.pids());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_while_held_ends_the_ramp_and_counts_the_hold() {
    let gate = RampGate::new();
    gate.hold();
    let (recorder, mut swarm) = start("gate-stop", 3, 20.0, &gate);
    // Checked the whole 300 ms: nobody starts through a held gate.
    let started = poll::until_async(Duration::from_millis(300), || {
        let started = !first_starts(&recorder).is_empty();
        async move { started }
    })
    .await;
    assert!(!started, "a viewer started through a held gate");
    swarm.stop();
    tokio::time::timeout(Duration::from_secs(5), swarm.wait())
        .await
        .expect("a held ramp did not stop");
    assert!(first_starts(&recorder).is_empty());
    assert!(swarm.counters().snapshot().ramp_held >= Duration::from_millis(250));
    assert_eq!(swarm.counters().snapshot().waiting_ramp, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_until_a_deadline_ends_by_itself() {
    let gate = RampGate::new();
    gate.hold_until(Instant::now() + Duration::from_millis(600));
    let began = Instant::now();
    let (recorder, mut swarm) = start("gate-deadline", 2, 20.0, &gate);
    assert!(gate.is_held());
    // Never released: the ramp goes on once the deadline has passed, and both viewers start.
    let all = poll::until(Duration::from_secs(5), || {
        first_starts(&recorder).len() == 2
    });
    assert!(all, "the ramp did not go on after the hold's deadline");
    let first = first_starts(&recorder)[0].1.duration_since(began);
    assert!(
        first >= Duration::from_millis(590),
        "viewer 0 started {first:?} in, through the hold"
    );
    assert!(!gate.is_held(), "a hold past its deadline is not held");
    let held = swarm.counters().snapshot().ramp_held;
    assert!(
        held >= Duration::from_millis(550) && held <= Duration::from_millis(700),
        "{held:?}"
    );
    swarm.stop();
    swarm.wait().await;
    assert_no_leftovers(&recorder.pids());
}
