//! Supervision with fake "ffmpeg" shell scripts: restarts, drops, graceful and forced stop, no orphans.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Event, Observer, Recorder, Stream, assert_no_leftovers, fake_ffmpeg};
use hls_swarm_supervise::{
    BackoffPolicy, Capabilities, ExitStatusKind, FfmpegConfig, StopLevel, Swarm, SwarmOptions,
};
use hls_swarm_testkit::{poll, proc};

const LOOP_FOREVER: &str = "while :; do sleep 0.05; done";

fn config(ffmpeg: PathBuf) -> FfmpegConfig {
    let mut config = FfmpegConfig::new("http://127.0.0.1:9/live.m3u8");
    config.ffmpeg = ffmpeg;
    config.user_agent = "test".to_owned();
    config
}

fn options(viewers: u32) -> SwarmOptions {
    SwarmOptions {
        viewers,
        ramp_rate: 100.0,
        ramp_jitter: Duration::ZERO,
        stop_grace: Duration::from_secs(5),
        seed: Some(1),
        ..SwarmOptions::default()
    }
}

/// `options(viewers)` with a restart 20 ms after every exit.
fn restarting(viewers: u32) -> SwarmOptions {
    let backoff = BackoffPolicy {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(20),
        multiplier: 1.0,
        jitter: 0.0,
        ..BackoffPolicy::default()
    };
    SwarmOptions {
        backoff,
        ..options(viewers)
    }
}

fn start(ffmpeg: PathBuf, recorder: &Arc<Recorder>, options: SwarmOptions) -> Swarm {
    Swarm::start(
        config(ffmpeg),
        Capabilities::ffmpeg_5_1(),
        Arc::new(Observer(recorder.clone())),
        options,
    )
    .unwrap()
}

/// Starts fake ffmpegs that run `prelude` (their SIGINT trap), print `ready` and loop until
/// stopped; returns once every viewer has printed `ready`, so that its trap is set.
fn start_ready(name: &str, prelude: &str, options: SwarmOptions) -> (Arc<Recorder>, Swarm) {
    let viewers = options.viewers;
    let ffmpeg = fake_ffmpeg(name, &format!("{prelude}\necho ready >&2\n{LOOP_FOREVER}"));
    let recorder = Recorder::new();
    let swarm = start(ffmpeg, &recorder, options);
    let ready = poll::until(Duration::from_secs(10), || {
        (0..viewers).all(|v| recorder.lines(v, 0, Stream::Stderr) == ["ready"])
    });
    assert!(ready, "not every viewer is ready: {:?}", recorder.events());
    (recorder, swarm)
}

async fn stop_and_wait(swarm: &mut Swarm, limit: Duration) -> Duration {
    let begin = Instant::now();
    swarm.stop();
    tokio::time::timeout(limit, swarm.wait())
        .await
        .expect("swarm did not stop in time");
    begin.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exit_is_restarted_with_backoff_and_both_streams_arrive_before_the_report() {
    let ffmpeg = fake_ffmpeg(
        "restart",
        "echo \"stderr $ua\" >&2\necho progress=continue >&3\necho progress=end >&3\nexit 3",
    );
    let recorder = Recorder::new();
    let mut swarm = start(ffmpeg, &recorder, restarting(2));
    let enough = poll::until(Duration::from_secs(10), || {
        recorder.exits(0).len() >= 3 && recorder.exits(1).len() >= 3
    });
    assert!(enough, "too few restarts: {:?}", recorder.events().len());
    stop_and_wait(&mut swarm, Duration::from_secs(10)).await;

    let events = recorder.events();
    for viewer in 0..2 {
        let exits = recorder.exits(viewer);
        for report in exits.iter().filter(|r| !r.stop_requested) {
            assert_eq!(report.status, ExitStatusKind::Code(3));
            assert_eq!(report.status.code(), 3);
            assert!(report.drained);
            assert_eq!(
                recorder.lines(viewer, report.run, Stream::Stderr),
                [format!("stderr test/client-{viewer}")]
            );
            assert_eq!(
                recorder.lines(viewer, report.run, Stream::Progress),
                ["progress=continue", "progress=end"]
            );
            assert_eq!(report.progress.lines, 2);
            assert_eq!(report.stderr.lines, 1);
            // Every line of the run comes before its exit report.
            let exit_at = events
                .iter()
                .position(|e| matches!(e, Event::Exited { viewer: v, report: r } if *v == viewer && r.run == report.run))
                .unwrap();
            let last_line = events
                .iter()
                .rposition(|e| matches!(e, Event::Line { viewer: v, run, .. } if *v == viewer && *run == report.run))
                .unwrap();
            assert!(last_line < exit_at);
        }
        let attempts: Vec<u32> = events
            .iter()
            .filter_map(|e| match e {
                Event::Restart {
                    viewer: v,
                    attempt,
                    delay,
                } if *v == viewer => {
                    assert_eq!(*delay, Duration::from_millis(20));
                    Some(*attempt)
                }
                _ => None,
            })
            .collect();
        // Exit code 3 after a short run: attempts grow without reset.
        assert!(attempts.len() >= 2);
        assert_eq!(attempts, (0..attempts.len() as u32).collect::<Vec<_>>());
    }
    let counters = swarm.counters().snapshot();
    assert_eq!(
        (counters.active, counters.starting, counters.backoff),
        (0, 0, 0)
    );
    assert_no_leftovers(&recorder.pids());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_exits_reset_the_attempt_counter() {
    let recorder = Recorder::new();
    let mut swarm = start(fake_ffmpeg("clean", "exit 0"), &recorder, restarting(1));
    let restarted = poll::until(Duration::from_secs(10), || recorder.exits(0).len() >= 4);
    assert!(restarted);
    stop_and_wait(&mut swarm, Duration::from_secs(10)).await;
    let attempts = recorder.collect(|e| match e {
        Event::Restart { attempt, .. } => Some(attempt),
        _ => None,
    });
    assert!(attempts.len() >= 3);
    assert!(attempts.iter().all(|&a| a == 0), "{attempts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_loses_no_line() {
    let ffmpeg = fake_ffmpeg(
        "slow-consumer",
        "i=0\nwhile [ $i -lt 3000 ]; do echo \"line $i\"; i=$((i+1)); done >&2\nexit 0",
    );
    let recorder = Recorder::slow(Duration::from_micros(100));
    let mut swarm = start(ffmpeg, &recorder, options(1));
    assert!(poll::until(Duration::from_secs(20), || !recorder
        .exits(0)
        .is_empty()));
    stop_and_wait(&mut swarm, Duration::from_secs(10)).await;
    let report = &recorder.exits(0)[0];
    assert_eq!(report.status, ExitStatusKind::Code(0));
    assert_eq!(report.stderr.lines, 3000);
    let delivered = recorder.lines(0, 0, Stream::Stderr);
    let want: Vec<String> = (0..3000).map(|i| format!("line {i}")).collect();
    assert_eq!(delivered, want, "every line, in order");
}

/// A line's `arrived` is when ffmpeg wrote it, not when the reader got to it: a consumer
/// that holds the reader for 0.6 s does not move the second line's arrival.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrival_times_are_write_times_however_late_the_line_is_read() {
    let ffmpeg = fake_ffmpeg(
        "write-times",
        "echo first >&2\nsleep 0.3\necho second >&2\nexit 0",
    );
    let recorder = Recorder::slow(Duration::from_millis(600));
    let mut swarm = start(ffmpeg, &recorder, options(1));
    assert!(poll::until(Duration::from_secs(20), || !recorder
        .exits(0)
        .is_empty()));
    stop_and_wait(&mut swarm, Duration::from_secs(10)).await;
    let lines = recorder.timed_lines(0, 0, Stream::Stderr);
    let [(first, arrived_1, _), (second, arrived_2, delivered_2)] = &lines[..] else {
        panic!("two lines: {lines:?}");
    };
    assert_eq!((first.as_str(), second.as_str()), ("first", "second"));
    let apart = arrived_2.duration_since(*arrived_1);
    assert!(
        apart >= Duration::from_millis(280) && apart < Duration::from_millis(500),
        "written 0.3 s apart, arrived {apart:?} apart"
    );
    let late = delivered_2.duration_since(*arrived_2);
    assert!(
        late >= Duration::from_millis(200),
        "the second line was read while the first was consumed: {late:?} after it arrived"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_sends_sigint_and_delivers_the_closing_lines() {
    let (recorder, mut swarm) = start_ready(
        "graceful",
        "trap 'echo \"[info] Statistics: 42 bytes read\" >&2; echo progress=end >&3; exit 0' INT",
        options(2),
    );
    let took = stop_and_wait(&mut swarm, Duration::from_secs(10)).await;
    // Stopped by SIGINT, well before a kill would have been needed (generous bound for loaded CI).
    assert!(took < Duration::from_secs(8), "graceful stop took {took:?}");
    for viewer in 0..2 {
        let exits = recorder.exits(viewer);
        assert_eq!(exits.len(), 1);
        let report = &exits[0];
        assert_eq!(report.status, ExitStatusKind::Code(0));
        assert!(report.stop_requested && !report.killed);
        assert_eq!(
            recorder.lines(viewer, 0, Stream::Stderr),
            ["ready", "[info] Statistics: 42 bytes read"]
        );
        assert_eq!(
            recorder.lines(viewer, 0, Stream::Progress),
            ["progress=end"]
        );
    }
    assert!(
        !recorder
            .events()
            .iter()
            .any(|e| matches!(e, Event::Restart { .. })),
        "no restart after a stop"
    );
    assert_no_leftovers(&recorder.pids());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_ignoring_sigint_is_killed_after_the_grace_period_with_its_group() {
    // The background sleep is a grandchild in the same process group.
    let options = SwarmOptions {
        stop_grace: Duration::from_millis(300),
        drain_timeout: Duration::from_millis(500),
        ..options(1)
    };
    let (recorder, mut swarm) = start_ready("stubborn", "trap '' INT\nsleep 60 &", options);
    let took = stop_and_wait(&mut swarm, Duration::from_secs(10)).await;
    assert!(
        took >= Duration::from_millis(300),
        "killed before the grace: {took:?}"
    );
    assert!(took < Duration::from_secs(8), "{took:?}");
    let report = &recorder.exits(0)[0];
    assert_eq!(report.status, ExitStatusKind::Signal(9));
    assert_eq!(report.status.code(), 137);
    assert!(report.stop_requested && report.killed);
    assert_no_leftovers(&recorder.pids());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_stop_kills_at_once() {
    // A minute of grace: only the second stop can end the fakes in time.
    let grace = Duration::from_secs(60);
    let (recorder, mut swarm) = start_ready(
        "second",
        "trap '' INT",
        SwarmOptions {
            stop_grace: grace,
            ..options(3)
        },
    );
    assert_eq!(swarm.stop(), StopLevel::Graceful);
    // The graceful stop is under way (the fakes ignore its SIGINT) when the second one comes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(swarm.stop_handle().stop(), StopLevel::Kill);
    tokio::time::timeout(Duration::from_secs(8), swarm.wait())
        .await
        .expect("second stop must kill at once");
    let exits = recorder.all_exits();
    assert_eq!(exits.len(), 3);
    assert!(
        exits
            .iter()
            .all(|r| r.killed && r.status == ExitStatusKind::Signal(9))
    );
    assert_no_leftovers(&recorder.pids());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_swarm_kills_and_reaps_every_child() {
    let ffmpeg = fake_ffmpeg("drop", &format!("trap '' INT\n{LOOP_FOREVER}"));
    let recorder = Recorder::new();
    let swarm = start(ffmpeg, &recorder, options(3));
    assert!(poll::until(Duration::from_secs(10), || swarm
        .counters()
        .active()
        == 3));
    let pids = recorder.pids();
    drop(swarm);
    let reaped = poll::until(Duration::from_secs(5), || {
        pids.iter().all(|&pid| proc::stat(pid).is_none())
    });
    assert!(reaped, "children left after drop: {pids:?}");
    assert_no_leftovers(&pids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_cancels_viewers_waiting_in_ramp_or_backoff() {
    // Ten viewers 0.5 s apart; the first exits at once and waits 30 s for its restart.
    let backoff = BackoffPolicy {
        initial: Duration::from_secs(30),
        ..BackoffPolicy::default()
    };
    let options = SwarmOptions {
        ramp_rate: 2.0,
        backoff,
        ..options(10)
    };
    let recorder = Recorder::new();
    let mut swarm = start(fake_ffmpeg("cancel", "exit 1"), &recorder, options);
    assert!(poll::until(Duration::from_secs(10), || {
        swarm.counters().in_backoff() == 1
    }));
    let counters = swarm.counters().snapshot();
    assert_eq!(counters.waiting_ramp, 9);
    let took = stop_and_wait(&mut swarm, Duration::from_secs(5)).await;
    // Nine viewers were still waiting in the ramp (10 s apart): cancelled, not waited for.
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(recorder.pids().len(), 1);
    let counters = swarm.counters().snapshot();
    assert_eq!(
        (
            counters.waiting_ramp,
            counters.starting,
            counters.active,
            counters.backoff
        ),
        (0, 0, 0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_binary_is_reported_as_a_spawn_failure_and_retried() {
    let recorder = Recorder::new();
    let missing = PathBuf::from("/nonexistent/ffmpeg");
    let mut swarm = start(missing, &recorder, restarting(1));
    let retried = poll::until(Duration::from_secs(10), || recorder.exits(0).len() >= 2);
    assert!(retried);
    stop_and_wait(&mut swarm, Duration::from_secs(5)).await;
    let report = &recorder.exits(0)[0];
    assert_eq!(report.pid, None);
    assert_eq!(report.status.code(), 1);
    match &report.status {
        ExitStatusKind::SpawnFailed(text) => {
            assert!(text.contains("/nonexistent/ffmpeg"), "{text}")
        }
        other => panic!("expected a spawn failure, got {other:?}"),
    }
    assert!(swarm.counters().snapshot().spawn_failures_total >= 2);
    assert!(recorder.pids().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_and_ramp_timing() {
    let ffmpeg = fake_ffmpeg("ramp", &format!("trap 'exit 0' INT\n{LOOP_FOREVER}"));
    let recorder = Recorder::new();
    // The ramp starts inside `Swarm::start`: every start is at least its grid offset after this.
    let begin = Instant::now();
    let mut swarm = start(
        ffmpeg,
        &recorder,
        SwarmOptions {
            ramp_rate: 20.0,
            ramp_jitter: Duration::from_millis(20),
            ..options(6)
        },
    );
    assert!(poll::until(Duration::from_secs(10), || swarm
        .counters()
        .active()
        == 6));
    let counters = swarm.counters().snapshot();
    assert_eq!(counters.starts_total, 6);
    assert_eq!(
        (counters.waiting_ramp, counters.starting, counters.backoff),
        (0, 0, 0)
    );
    let starts = recorder.collect(|e| match e {
        Event::Started { at, .. } => Some(at),
        _ => None,
    });
    // Viewer i starts i intervals of 50 ms into the ramp, plus up to 20 ms of jitter and the
    // spawn latency. Measured from before the ramp began, a slow first spawn on a loaded
    // machine cannot shorten the span.
    for (i, at) in starts.iter().enumerate() {
        let offset = *at - begin;
        assert!(
            offset >= Duration::from_millis(50) * i as u32,
            "viewer {i} started {offset:?} into the ramp"
        );
    }
    let span = starts[5] - begin;
    assert!(
        span >= Duration::from_millis(250) && starts[5] - starts[0] < Duration::from_secs(3),
        "{span:?}"
    );
    stop_and_wait(&mut swarm, Duration::from_secs(10)).await;
    assert_no_leftovers(&recorder.pids());
}
