//! Guarded children: output collected, deadlines enforced, nothing left running.

use super::*;
use std::time::Instant;

use crate::proc;

#[test]
fn wait_output_collects_more_than_a_pipe_holds() {
    let out = Guarded::spawn(
        Command::new("sh")
            .args(["-c", "head -c 300000 /dev/zero; echo done >&2; exit 3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .wait_output(Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out.stdout.len(), 300_000);
    assert_eq!(out.stderr, b"done\n");
}

#[test]
fn a_child_past_its_deadline_is_killed_and_the_test_fails() {
    let begin = Instant::now();
    let panic = std::panic::catch_unwind(|| {
        Guarded::spawn(Command::new("sleep").arg("30")).wait_output(Duration::from_millis(100))
    })
    .unwrap_err();
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(
        text.starts_with("sleep did not finish within 100ms"),
        "{text}"
    );
    assert!(begin.elapsed() < Duration::from_secs(20));
}

#[test]
fn dropping_kills_and_reaps_and_interrupt_sends_sigint() {
    let guarded = Guarded::spawn(Command::new("sleep").arg("30"));
    let pid = guarded.id();
    assert!(proc::is_running(pid));
    drop(guarded);
    assert!(proc::stat(pid).is_none(), "killed and reaped");

    let dir = crate::Scratch::new("child-trap");
    let ready = dir.join("ready");
    let script = format!(
        "trap 'exit 7' INT; : > '{}'; while :; do sleep 0.05; done",
        ready.display()
    );
    let mut trap = Guarded::spawn(Command::new("sh").args(["-c", &script]));
    // The file is written once the trap is set: a SIGINT before that would end the shell.
    assert!(poll::until(Duration::from_secs(10), || ready.exists()));
    trap.assert_running();
    trap.interrupt();
    let status = trap.wait_output(Duration::from_secs(10)).status;
    assert_eq!(status.code(), Some(7), "{status}");
}

#[test]
fn spawn_logged_writes_both_streams_to_the_log() {
    let dir = crate::Scratch::new("child-log");
    let log = dir.join("out.log");
    let out = Guarded::spawn_logged(
        Command::new("sh").args(["-c", "echo out; echo err >&2"]),
        &log,
    )
    .wait_output(Duration::from_secs(10));
    assert!(out.status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("out\n") && text.contains("err\n"), "{text}");
}
