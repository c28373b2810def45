//! The parent-death signal: when the supervisor process is SIGKILLed, its ffmpegs die too.
//!
//! The one test plays both parts: run by the harness it starts itself again (the same test, with
//! `HLS_SWARM_PDEATHSIG_DIR` set) as the supervisor, SIGKILLs that copy, and checks that the
//! copy's children died with it.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::{Observer, Recorder, fake_ffmpeg};
use hls_swarm_supervise::{Capabilities, FfmpegConfig, Swarm, SwarmOptions};
use hls_swarm_testkit::{Guarded, Scratch, poll, proc};

const SUPERVISOR_ENV: &str = "HLS_SWARM_PDEATHSIG_DIR";
const THIS_TEST: &str = "children_die_when_the_supervisor_is_killed";

#[test]
fn children_die_when_the_supervisor_is_killed() {
    match std::env::var_os(SUPERVISOR_ENV) {
        Some(dir) => be_the_supervisor(Path::new(&dir)),
        None => kill_the_supervisor_and_check_its_children(),
    }
}

/// The copy's part: start three stand-ins (each writes its pid to `dir/pids`) and wait to be
/// killed.
fn be_the_supervisor(dir: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // `exec sleep`: the stand-in is the direct child, with no shell left to forward signals.
        let ffmpeg = fake_ffmpeg(
            "pdeathsig",
            &format!(
                "echo $$ >> '{}'\nexec sleep 600",
                dir.join("pids").display()
            ),
        );
        let mut config = FfmpegConfig::new("http://127.0.0.1:9/x.m3u8");
        config.ffmpeg = ffmpeg;
        let _swarm = Swarm::start(
            config,
            Capabilities::ffmpeg_5_1(),
            Arc::new(Observer(Recorder::new())),
            SwarmOptions {
                viewers: 3,
                ramp_rate: 100.0,
                seed: Some(1),
                ..SwarmOptions::default()
            },
        )
        .unwrap();
        tokio::time::sleep(Duration::from_secs(120)).await;
    });
    panic!("the supervisor was not killed within 120 s");
}

/// The harness's part.
fn kill_the_supervisor_and_check_its_children() {
    let dir = Scratch::new("pdeathsig-parent");
    let mut supervisor = Guarded::spawn(
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", THIS_TEST, "--nocapture", "--test-threads=1"])
            .env(SUPERVISOR_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let pids_file = dir.join("pids");
    let read_pids = || -> Vec<u32> {
        std::fs::read_to_string(&pids_file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    };
    let started = poll::until(Duration::from_secs(20), || {
        supervisor.assert_running();
        read_pids().len() == 3
    });
    let pids = read_pids();
    assert!(started, "the supervisor did not start 3 children: {pids:?}");
    // The stand-ins exec'd into sleep 600: alive until something kills them.
    assert!(poll::until(Duration::from_secs(5), || {
        pids.iter().all(|&p| proc::is_running(p))
    }));

    eprintln!("stand-ins {pids:?}");
    supervisor.kill(); // SIGKILL: no destructor, no kill_on_drop, only the kernel.

    // Reparented to init (or a subreaper) once dead; a zombie left unreaped by a container's
    // init counts as dead.
    let gone = poll::until(Duration::from_secs(5), || {
        !pids.iter().any(|&p| proc::is_running(p))
    });
    let alive: Vec<u32> = pids
        .iter()
        .copied()
        .filter(|&p| proc::is_running(p))
        .collect();
    for &pid in &alive {
        // Clean up after a failed assertion.
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    assert!(gone, "children outlived the supervisor: {alive:?}");
}
