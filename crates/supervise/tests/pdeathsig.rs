//! The parent-death signal: when the supervisor process is SIGKILLed, its ffmpegs die too.

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::{Observer, Recorder, fake_ffmpeg, is_running, wait_until_blocking};
use hls_swarm_supervise::{Capabilities, FfmpegConfig, Swarm, SwarmOptions};

const HELPER_ENV: &str = "HLS_SWARM_PDEATHSIG_DIR";

/// Not a test on its own: the body of the supervisor process that
/// `children_die_when_the_supervisor_is_killed` starts and kills. Returns at once otherwise.
#[test]
fn pdeathsig_helper() {
    let Some(dir) = std::env::var_os(HELPER_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // `exec sleep`: the stand-in is the direct child, with no shell left to forward signals.
        let ffmpeg = fake_ffmpeg(
            "pdeathsig",
            "echo $$ >> \"$HLS_SWARM_PDEATHSIG_DIR/pids\"\nexec sleep 600",
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
        std::fs::write(std::path::Path::new(&dir).join("ready"), b"").unwrap();
        // Wait to be killed.
        tokio::time::sleep(Duration::from_secs(120)).await;
    });
}

#[test]
fn children_die_when_the_supervisor_is_killed() {
    let dir = common::temp_dir("pdeathsig-parent");
    let mut helper = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "pdeathsig_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER_ENV, &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pids_file = dir.join("pids");
    let read_pids = || -> Vec<u32> {
        std::fs::read_to_string(&pids_file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    };
    let started = wait_until_blocking(Duration::from_secs(20), || read_pids().len() == 3);
    let pids = read_pids();
    if !started {
        let _ = helper.kill();
        let _ = helper.wait();
        panic!("the helper did not start 3 children: {pids:?}");
    }
    // The stand-ins exec'd into sleep 600: alive until something kills them.
    assert!(wait_until_blocking(Duration::from_secs(5), || pids
        .iter()
        .all(|&p| is_running(p))));

    helper.kill().unwrap(); // SIGKILL: no destructor, no kill_on_drop, only the kernel.
    helper.wait().unwrap();

    // Reparented to init (or a subreaper) once dead; a zombie left unreaped by a container's
    // init counts as dead.
    let gone = wait_until_blocking(Duration::from_secs(5), || {
        !pids.iter().any(|&p| is_running(p))
    });
    let alive: Vec<u32> = pids.iter().copied().filter(|&p| is_running(p)).collect();
    for &pid in &alive {
        // Clean up after a failed assertion.
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
    }
    assert!(gone, "children outlived the supervisor: {alive:?}");
}
