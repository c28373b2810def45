//! Bad input gets one plain sentence and the documented exit code.

mod common;

use std::time::Duration;

use common::*;

/// Nothing listens on port 9 (discard) of the loopback.
const NOWHERE: &str = "http://127.0.0.1:9/master.m3u8";
/// A URL by host name.
const A_NAME: &str = "http://example.test/master.m3u8";

/// Runs `hls-swarm args…`, expects `code`, and returns stderr's `hls-swarm:` error sentence.
fn fails_with(args: &[&str], code: i32) -> String {
    let out = run_to_end(args, Duration::from_secs(60));
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "args {args:?}\nstdout: {}\nstderr: {err}",
        stdout(&out)
    );
    let line = err
        .lines()
        .find(|l| l.starts_with("hls-swarm: "))
        .unwrap_or_else(|| panic!("no error sentence on stderr: {err}"))
        .to_owned();
    assert!(!line.contains("panicked"), "{line}");
    line
}

#[test]
fn a_url_that_is_not_hls_is_exit_6() {
    let dir = Scratch::new("nothls");
    let origin = Origin::start(&dir, &[]);
    let line = fails_with(&["run", &origin.sizes_url(), "--clients", "1"], 6);
    assert!(line.contains("is not an HLS playlist"), "{line}");
}

#[test]
fn an_unreachable_port_is_exit_6() {
    let url = format!("http://127.0.0.1:{}/master.m3u8", net::free_port());
    let line = fails_with(&["run", &url, "--clients", "1"], 6);
    assert!(line.contains("cannot reach 127.0.0.1"), "{line}");
    assert!(line.contains("check that the origin is running"), "{line}");
}

#[test]
fn a_missing_ffmpeg_is_exit_4() {
    let line = fails_with(&["run", NOWHERE, "--ffmpeg", "/nonexistent/ffmpeg"], 4);
    assert!(line.contains("ffmpeg"), "{line}");
    assert!(line.contains("apt-get install ffmpeg"), "{line}");
}

#[test]
fn resolve_without_dangerous_is_exit_3() {
    let line = fails_with(&["run", A_NAME, "--resolve", "127.0.0.1"], 3);
    assert!(line.contains("--dangerous"), "{line}");
}

#[test]
fn a_header_with_cr_lf_is_exit_3() {
    let line = fails_with(&["run", NOWHERE, "--header", "X-Evil: a\r\nHost: other"], 3);
    assert!(line.contains("--header"), "{line}");
}

#[test]
fn a_malformed_url_is_exit_3_and_a_bad_flag_exit_2() {
    let line = fails_with(&["run", "not a url"], 3);
    assert!(line.contains("not a valid URL"), "{line}");
    let out = run_to_end(
        &["run", "http://h/x.m3u8", "--clients", "zero"],
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_output_path_that_cannot_be_written_is_refused_before_ffmpeg_is_probed() {
    // A missing ffmpeg would be exit 4: the output check comes first, with exit 3.
    let line = fails_with(
        &[
            "run",
            NOWHERE,
            "--ffmpeg",
            "/nonexistent/ffmpeg",
            "--summary-json",
            "/nonexistent-dir/summary.json",
        ],
        3,
    );
    assert!(
        line.contains("the directory /nonexistent-dir does not exist"),
        "{line}"
    );
    assert!(
        !std::path::Path::new("/nonexistent-dir").exists(),
        "a directory was created"
    );
    // A directory where the file should be: it cannot be opened for writing, even by root.
    let line = fails_with(
        &[
            "run",
            NOWHERE,
            "--ffmpeg",
            "/nonexistent/ffmpeg",
            "--report",
            "/tmp",
        ],
        3,
    );
    assert!(
        line.contains("cannot write the HTML report to /tmp"),
        "{line}"
    );
}

/// Each viewer starts as hls-swarm's own executable in trampoline mode (no fork of a large
/// process), which must hand ffmpeg its progress output on fd 3 and stdout on /dev/null, or
/// say in one sentence why the program could not start.
#[test]
fn a_viewers_trampoline_becomes_the_program_or_says_why_not() {
    use std::process::{Command, Stdio};
    let parent = std::process::id().to_string();
    let script = "echo progress=continue >&3; echo on-stdout; echo on-stderr >&2";
    let out = Command::new(BIN)
        .args(["--hls-swarm-trampoline", &parent, "sh", "-c", script])
        .stdin(Stdio::null())
        .output()
        .expect("run the trampoline");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // What came on the trampoline's stdout is what the program wrote on fd 3, nothing else.
    assert_eq!(stdout(&out), "progress=continue\n");
    assert_eq!(stderr(&out), "on-stderr\n");

    let out = Command::new(BIN)
        .args(["--hls-swarm-trampoline", &parent, "/nonexistent/ffmpeg"])
        .output()
        .expect("run the trampoline");
    assert_eq!(out.status.code(), Some(127));
    assert_eq!(
        stderr(&out).trim(),
        "hls-swarm: cannot start /nonexistent/ffmpeg: No such file or directory (os error 2)"
    );

    // A parent that is not its parent: it refuses rather than outlive hls-swarm unnoticed.
    let out = Command::new(BIN)
        .args(["--hls-swarm-trampoline", "1", "true"])
        .output()
        .expect("run the trampoline");
    assert_eq!(out.status.code(), Some(127));
    assert!(
        stderr(&out).contains("cannot tie the viewer to hls-swarm's life"),
        "{}",
        stderr(&out)
    );
}
