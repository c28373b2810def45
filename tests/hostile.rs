//! End to end with a hostile ffmpeg: one viewer's "ffmpeg" answers the capability probe as the
//! real one (it is the real one for that), then prints garbage as fast as it can: invalid UTF-8,
//! a 40 MB line without a newline, 60 MB of random bytes, a `-progress` block cut in half.
//! hls-swarm must not panic, must not grow with what it reads, must cut and count what it cannot
//! keep, and the other viewers' figures must still equal the origin's access log.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::*;

/// A wrapper that runs the real ffmpeg for everything (the capability probe, viewers 1..),
/// except viewer 0, which gets the garbage.
fn hostile_ffmpeg(dir: &Scratch) -> std::path::PathBuf {
    let real = tools::ffmpeg();
    let script = format!(
        r#"#!/bin/sh
case "$*" in
  *client-0\ *|*client-0)
    printf 'frame=1\nout_time_us=1000000\nspeed=1.0' >&3
    printf '\377\376 not utf-8 \300\301\n' >&2
    head -c 41943040 /dev/zero | tr '\000' 'x' >&2
    printf '\n[http @ 0x1] [debug] request: GET /not-a-real-request.ts HTTP/1.1' >&2
    head -c 62914560 /dev/urandom >&2
    exec sleep 60
    ;;
  *) exec '{}' "$@" ;;
esac
"#,
        real.display()
    );
    let path = dir.join("hostile-ffmpeg");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn garbage_from_one_ffmpeg_is_cut_and_counted_and_the_others_are_exact() {
    let dir = Scratch::new("hostile");
    let origin = Origin::start(&dir, &[]);
    let ffmpeg = hostile_ffmpeg(&dir);
    let (url, json) = (origin.url(), dir.join("summary.json"));
    let flags = [
        "--clients",
        "3",
        "--duration",
        "20s",
        "--ffmpeg",
        ffmpeg.to_str().unwrap(),
        "--summary-json",
        json.to_str().unwrap(),
    ];
    let out = run_to_end(
        &run_args(&url, "e2e-hostile", &flags),
        Duration::from_secs(90),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let summary = read_summary(&json);
    // The two real viewers are counted exactly as the origin logged them: the garbage changed
    // nothing of theirs (viewer 0 sent no request; its cut line names none).
    let log = origin.counts_for("e2e-hostile");
    assert!(
        log.segment >= 20,
        "the real viewers fetched too little: {log:?}"
    );
    assert_counts_match_log(&counted(&summary), &log, 2);
    // The 40 MB line and the random bytes' long lines were cut at the line limit and counted.
    let cut = summary["events"]["lines_cut"]
        .as_u64()
        .expect("events.lines_cut");
    assert!(cut >= 1, "no line counted as cut: {}", summary["events"]);
    assert_eq!(summary["pipeline"]["lines_dropped"], 0);
    // Over 100 MB went through the reader (had the long line been kept whole, 40 MB more);
    // what hls-swarm holds does not grow with it: its
    // fixed buffers (the reader's 2 MiB) and one line limit (64 KiB) per stream.
    let peak = summary["self"]["peak_rss_bytes"].as_u64().unwrap();
    eprintln!(
        "lines cut {cut}, lines read {}, hls-swarm peak RSS {:.1} MB",
        summary["pipeline"]["lines_read"],
        peak as f64 / 1e6
    );
    assert!(
        peak < 48 * 1024 * 1024,
        "hls-swarm's peak RSS {peak} grew with the garbage"
    );
}
