//! End to end: real ffmpeg viewers against the built-in origin on 127.0.0.1, and the summary
//! checked against the origin's own access log. The counting and graceful-stop tests run once
//! with each ffmpeg under test (`per_ffmpeg!`: the system's and the static ffmpeg 9).

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;

/// `hls-swarm run` of `viewers` viewers of `ffmpeg` for `duration` with the origin's exact
/// segment sizes, to the end: its output, its summary, and what the origin logged for them.
fn counted_run(
    dir: &Path,
    origin: &Origin,
    user_agent: &str,
    viewers: u64,
    duration: &str,
    ffmpeg: ViewerFfmpeg,
) -> (Output, serde_json::Value, LogCounts) {
    let (url, sizes, json) = (origin.url(), origin.sizes_url(), dir.join("summary.json"));
    let viewers = viewers.to_string();
    let [flag, path] = ffmpeg.flag();
    let extra = [
        "--clients",
        &viewers,
        "--duration",
        duration,
        "--segment-sizes-url",
        &sizes,
        "--summary-json",
        json.to_str().unwrap(),
        &flag,
        &path,
    ];
    let out = run_to_end(&run_args(&url, user_agent, &extra), Duration::from_secs(90));
    let summary = read_summary(&json);
    ffmpeg.assert_ran(&summary);
    (out, summary, origin.counts_for(user_agent))
}

/// The summary's log-derived latencies say they were timed to 1 ms exactly when its ffmpeg
/// stamped its lines (ffmpeg 9 does, 5.1 does not), and there are samples of each.
fn assert_latency_clock_is_stated(summary: &serde_json::Value) {
    let stamped = summary["ffmpeg"]["log_stamps_ms"]
        .as_bool()
        .expect("ffmpeg.log_stamps_ms");
    for name in ["tcp_connect", "playlist_fetch"] {
        let figure = &summary["latency_ms"][name];
        let step = &figure["clock_step_ms"];
        assert_eq!(step.as_u64(), stamped.then_some(1), "{name}: {figure}");
        assert!(figure["count"].as_u64().unwrap() > 0, "{name}: {figure}");
        let measures = figure["measures"].as_str().unwrap();
        assert_eq!(
            measures.contains("millisecond log stamps"),
            stamped,
            "{measures}"
        );
    }
}

per_ffmpeg!(five_viewers_for_20s_are_counted_to_the_request);
fn five_viewers_for_20s_are_counted_to_the_request(ffmpeg: ViewerFfmpeg) {
    let user_agent = ffmpeg.user_agent("e2e-five");
    let dir = Scratch::new(&user_agent);
    let origin = Origin::start(&dir, &[]);
    let (out, summary, log) = counted_run(&dir, &origin, &user_agent, 5, "20s", ffmpeg);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("hls-swarm summary"));
    assert!(log.segment >= 5 * 10, "viewers fetched too little: {log:?}");
    let ours = counted(&summary);
    assert_counts_match_log(&ours, &log, 5);
    assert_eq!(summary["schema"], "hls-swarm.summary.v2");
    assert_eq!(summary["clients"], 5);
    assert_eq!(summary["viewers"]["started"], 5);
    // Bytes: exact segment sizes from the listing, against the body bytes the origin sent.
    assert_eq!(summary["bytes"]["source"], "segment-sizes");
    assert_segment_bytes_match_log(&ours, &log, 5, origin.largest_segment());
    assert_eq!(summary["pipeline"]["lines_dropped"], 0);
    let read = summary["pipeline"]["lines_read"].as_u64().unwrap();
    assert!(read > 1000, "lines read: {read}");
    assert_latency_clock_is_stated(&summary);
    assert_eq!(summary["viewers"]["restarts"], 0, "{}", summary["viewers"]);
}

per_ffmpeg!(injected_404_and_503_are_counted_by_code);
fn injected_404_and_503_are_counted_by_code(ffmpeg: ViewerFfmpeg) {
    let user_agent = ffmpeg.user_agent("e2e-faults");
    let dir = Scratch::new(&user_agent);
    let origin = Origin::start(&dir, &["404:/v0/seg*.ts:0.3", "503:/v1/index.m3u8:0.4"]);
    let (out, summary, log) = counted_run(&dir, &origin, &user_agent, 3, "20s", ffmpeg);
    let ours = counted(&summary);
    // Enough of each that a summary missing a code, or counting it wrongly, cannot pass.
    for code in ["404", "503"] {
        assert!(
            log.errors(code) >= 10,
            "the origin injected too few HTTP {code}: {log:?}"
        );
        assert!(
            ours.errors(code) >= 10,
            "too few HTTP {code} counted to check: {ours:?}, origin log {log:?}"
        );
    }
    assert_counts_match_log(&ours, &log, 3);
    // A segment answered 404 is not counted as that segment's bytes: the failed segments are
    // worth more than what may be in flight, so counting them would break the bound.
    let largest = origin.largest_segment();
    let failed: u64 = log
        .failed_segments
        .iter()
        .map(|path| origin.segment_size(path).expect("a segment the origin has"))
        .sum();
    assert!(
        failed > 3 * largest,
        "the failed segments ({failed} bytes) are too few to tell from 3 in flight"
    );
    assert_segment_bytes_match_log(&ours, &log, 3, largest);
    // Each segment answered 404 is a demuxer event (a keep-alive retry, or a failed open): the
    // demuxer's lines are read whatever ffmpeg calls it (`hls`, or `in#0/hls` from ffmpeg 7).
    let event = |name: &str| summary["events"][name].as_u64().unwrap_or(0);
    let demuxer_events = event("keepalive_retries") + event("segment_open_failures");
    assert!(
        demuxer_events > 0 && demuxer_events <= log.errors("404") + log.errors("503"),
        "{} demuxer events for {log:?}: {}",
        demuxer_events,
        summary["events"]
    );
    // Something was still fetched, so the run measured something.
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
}

/// `hls-swarm run` with 3 viewers for up to 2 minutes, in the background, guarded.
fn three_viewers_for_2m(origin: &Origin, user_agent: &str, extra: &[&str]) -> Guarded {
    let url = origin.url();
    let mut args = run_args(&url, user_agent, &["--clients", "3", "--duration", "2m"]);
    args.extend_from_slice(extra);
    spawn_run(&args)
}

/// Waits until `viewers` viewers have each fetched a segment (seen in the origin's log by
/// their own user agents `BASE/client-N`); fails the test after 30 s.
fn wait_until_all_play(origin: &Origin, user_agent: &str, viewers: usize) {
    let all_playing = || {
        let entries = origin.entries_for(user_agent);
        let agents: std::collections::BTreeSet<&str> = (entries.iter())
            .filter(|e| e.path.ends_with(".ts"))
            .map(|e| e.user_agent.as_str())
            .collect();
        agents.len() == viewers
    };
    assert!(
        poll::until(Duration::from_secs(30), all_playing),
        "{viewers} viewers never all fetched segments"
    );
}

/// Three viewers of `ffmpeg` until every one fetches segments, then `signal` to hls-swarm: a
/// graceful stop with the summary printed and written, counted to the origin's log, no ffmpeg
/// left.
/// With `failing_threshold`, the run also has a threshold that cannot pass: the stop's exit code
/// is then 7, as a run that ended there would have, after everything was written.
fn a_signal_stops_gracefully_with_the_summary(
    signal: &str,
    base: &str,
    ffmpeg: ViewerFfmpeg,
    failing_threshold: bool,
) {
    let user_agent = &ffmpeg.user_agent(base);
    let dir = Scratch::new(user_agent);
    let origin = Origin::start(&dir, &[]);
    let json = dir.join("summary.json");
    let [flag, path] = ffmpeg.flag();
    let mut extra = vec!["--summary-json", json.to_str().unwrap(), &flag, &path];
    if failing_threshold {
        // Three viewers send several requests a second: this fails however short the run.
        extra.extend(["--threshold", "requests_per_s<0.5"]);
    }
    let child = three_viewers_for_2m(&origin, user_agent, &extra);
    wait_until_all_play(&origin, user_agent, 3);
    child.signal(signal);
    let out = child.wait_output(Duration::from_secs(30));
    // Stopped early by a signal, having measured something: exit 0, or 7 with the failed
    // threshold.
    let expected = if failing_threshold { 7 } else { 0 };
    assert_eq!(
        out.status.code(),
        Some(expected),
        "stderr: {}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("hls-swarm summary"));
    let summary = read_summary(&json);
    if failing_threshold {
        assert_eq!(summary["thresholds"][0]["passed"], false, "{summary}");
    }
    ffmpeg.assert_ran(&summary);
    assert_counts_match_log(&counted(&summary), &origin.counts_for(user_agent), 3);
    assert_eq!(
        summary["viewers"]["exit_reasons"]["stopped by hls-swarm"], 3,
        "{}",
        summary["viewers"]
    );
    assert!(proc::with_cmdline(&format!("{user_agent}/client-")).is_empty());
}

per_ffmpeg!(sigint_prints_the_summary_and_leaves_no_ffmpeg);
fn sigint_prints_the_summary_and_leaves_no_ffmpeg(ffmpeg: ViewerFfmpeg) {
    a_signal_stops_gracefully_with_the_summary("INT", "e2e-sigint", ffmpeg, false);
}

per_ffmpeg!(sigterm_as_kubernetes_sends_it_stops_gracefully_too);
fn sigterm_as_kubernetes_sends_it_stops_gracefully_too(ffmpeg: ViewerFfmpeg) {
    a_signal_stops_gracefully_with_the_summary("TERM", "e2e-sigterm", ffmpeg, true);
}

#[test]
fn sigkill_of_hls_swarm_leaves_no_orphan_ffmpeg() {
    let dir = Scratch::new("sigkill");
    let origin = Origin::start(&dir, &[]);
    let child = three_viewers_for_2m(&origin, "e2e-sigkill", &[]);
    let viewers = || proc::with_cmdline("e2e-sigkill/client-");
    assert!(
        poll::until(Duration::from_secs(30), || viewers().len() == 3),
        "three viewers never ran"
    );
    child.kill(); // SIGKILL: hls-swarm gets no chance to stop its viewers.
    assert!(
        poll::until(Duration::from_secs(10), || viewers().is_empty()),
        "orphan ffmpeg left: {:?}",
        viewers()
    );
    drop(origin);
}

per_ffmpeg!(print_cmd_output_is_accepted_by_the_installed_ffmpeg);
fn print_cmd_output_is_accepted_by_the_installed_ffmpeg(ffmpeg: ViewerFfmpeg) {
    let user_agent = &ffmpeg.user_agent("e2e-printcmd");
    let dir = Scratch::new(user_agent);
    let origin = Origin::start(&dir, &[]);
    let url = origin.url();
    let [flag, path] = ffmpeg.flag();
    let extra = [
        "--print-cmd",
        "--header",
        "X-Test: yes",
        "--no-cache",
        &flag,
        &path,
    ];
    let out = run_to_end(&run_args(&url, user_agent, &extra), Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let cmd = stdout(&out).trim().to_owned();
    assert!(cmd.starts_with(&format!("{path} ")), "{cmd}");
    assert!(cmd.contains("-progress pipe:3"));
    // Run exactly what was printed (fd 3 must exist for -progress pipe:3).
    let log = dir.join("ffmpeg.stderr");
    let ffmpeg = Guarded::spawn(
        Command::new("sh")
            .arg("-c")
            .arg(format!("exec {cmd} 3>/dev/null 2>{}", log.display()))
            .stdin(Stdio::null()),
    );
    let fetched = poll::until(Duration::from_secs(30), || {
        origin.counts_for(user_agent).segment >= 3
    });
    ffmpeg.kill();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for bad in [
        "Unrecognized option",
        "Invalid loglevel",
        "Option not found",
        "Error splitting",
    ] {
        assert!(
            !text.contains(bad),
            "ffmpeg rejected the command: {bad}\n{text}"
        );
    }
    assert!(fetched, "the printed command fetched no segments:\n{text}");
}

#[test]
fn check_says_the_stream_plays() {
    let dir = Scratch::new("check");
    let origin = Origin::start(&dir, &[]);
    let out = run_to_end(
        &[
            "run",
            &origin.url(),
            "--check",
            "--user-agent",
            "e2e-check",
            "--metrics",
            "off",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("check: the stream plays"),
        "{}",
        stdout(&out)
    );
    assert!(origin.counts_for("e2e-check").segment >= 3);
}

#[test]
fn a_full_disk_at_the_end_keeps_the_summary_in_the_temp_directory() {
    let dir = Scratch::new("devfull");
    let origin = Origin::start(&dir, &[]);
    let url = origin.url();
    let extra = [
        "--clients",
        "1",
        "--duration",
        "6s",
        "--summary-json",
        "/dev/full",
    ];
    let out = run_to_end(
        &run_args(&url, "e2e-devfull", &extra),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    let kept = err
        .lines()
        .find_map(|l| l.strip_prefix("hls-swarm: cannot write the summary to /dev/full ("))
        .and_then(|rest| rest.split("): it is in ").nth(1))
        .map(|p| p.trim_end_matches(" instead").to_owned())
        .unwrap_or_else(|| panic!("no sentence saying where the summary went: {err}"));
    let summary = read_summary(std::path::Path::new(&kept));
    assert_counts_match_log(&counted(&summary), &origin.counts_for("e2e-devfull"), 1);
    let _ = std::fs::remove_file(kept);
}

#[test]
fn ffmpeg_gone_mid_run_is_counted_as_failed_starts_and_the_summary_kept() {
    let dir = Scratch::new("ffmpeg-gone");
    let origin = Origin::start(&dir, &[]);
    // The viewers' ffmpeg through a link that the test removes mid-run (as an upgrade or a
    // cleanup of the machine would): every later start fails.
    let link = dir.join("ffmpeg");
    std::os::unix::fs::symlink(tools::ffmpeg(), &link).expect("link ffmpeg");
    let json = dir.join("summary.json");
    let ua = "e2e-ffmpeg-gone";
    let metrics = format!("127.0.0.1:{}", net::free_port());
    let url = origin.url();
    let extra = [
        "--clients",
        "3",
        "--duration",
        "2m",
        "--ffmpeg",
        link.to_str().unwrap(),
        "--summary-json",
        json.to_str().unwrap(),
        "--metrics",
        &metrics,
    ];
    let child = spawn_run(&run_args(&url, ua, &extra));
    let viewers = || proc::with_cmdline(&format!("{ua}/client-"));
    // Every viewer plays before ffmpeg goes (a viewer not yet started would fail its first
    // start, not a restart).
    wait_until_all_play(&origin, ua, 3);
    std::fs::remove_file(&link).expect("remove the link");
    // One viewer dies (as the OOM killer would kill it); its restarts cannot find ffmpeg.
    let victim = *viewers().first().expect("a viewer");
    let killed = Command::new("kill")
        .args(["-KILL", &victim.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    // Its restarts fail (backoff 250 ms × 1.7ⁿ): seen in /metrics as they happen.
    let failed_starts = || {
        net::http_get(&metrics, "/metrics").is_some_and(|(_, body)| {
            body.lines().any(|l| {
                l.starts_with("hls_swarm_client_exits_total{")
                    && l.contains("spawn_failed")
                    && l.rsplit(' ').next().and_then(|n| n.parse::<f64>().ok()) >= Some(2.0)
            })
        })
    };
    assert!(
        poll::until(Duration::from_secs(30), failed_starts),
        "no failed start counted after ffmpeg was removed"
    );
    assert_eq!(
        viewers().len(),
        2,
        "the killed viewer came back without ffmpeg"
    );
    child.interrupt();
    let out = child.wait_output(Duration::from_secs(30));
    // The run measured something: exit 0, the summary printed and written.
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("hls-swarm summary"));
    let summary = read_summary(&json);
    let reasons = &summary["viewers"]["exit_reasons"];
    assert_eq!(reasons["signal 9"], 1, "{reasons}");
    assert!(reasons["spawn failed"].as_u64() >= Some(2), "{reasons}");
    assert_eq!(reasons["stopped by hls-swarm"], 2, "{reasons}");
    assert!(
        stdout(&out).contains("ffmpeg not found") || stdout(&out).contains("No such file"),
        "the summary says why the starts failed: {}",
        stdout(&out)
    );
    assert_counts_match_log(&counted(&summary), &origin.counts_for(ua), 3);
}

#[test]
fn a_second_signal_kills_at_once_when_viewers_ignore_the_first() {
    let dir = Scratch::new("second-signal");
    let origin = Origin::start(&dir, &[]);
    // Viewers that ignore SIGINT and SIGTERM (the real ffmpeg answers the capability probe):
    // the first signal's graceful stop would wait the whole --stop-grace for them.
    let real = tools::ffmpeg();
    let script = format!(
        "#!/bin/sh\ncase \"$*\" in\n  *client-*) trap '' INT TERM; while :; do sleep 1; done ;;\n  *) exec '{}' \"$@\" ;;\nesac\n",
        real.display()
    );
    let stubborn = dir.join("stubborn-ffmpeg");
    std::fs::write(&stubborn, script).unwrap();
    std::fs::set_permissions(
        &stubborn,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let (url, json, log) = (origin.url(), dir.join("summary.json"), dir.join("run.log"));
    let ua = "e2e-second-signal";
    let extra = [
        "--clients",
        "2",
        "--duration",
        "2m",
        "--stop-grace",
        "120s",
        "--skip-preflight",
        "--ffmpeg",
        stubborn.to_str().unwrap(),
        "--summary-json",
        json.to_str().unwrap(),
    ];
    let child = Guarded::spawn_logged(Command::new(BIN).args(run_args(&url, ua, &extra)), &log);
    let viewers = || proc::with_cmdline(&format!("{ua}/client-"));
    assert!(
        poll::until(Duration::from_secs(30), || viewers().len() == 2),
        "the two viewers never ran"
    );
    child.terminate();
    assert!(
        poll::until(Duration::from_secs(10), || contents(&log)
            .contains("stopping")),
        "the first signal was not taken: {}",
        contents(&log)
    );
    assert_eq!(viewers().len(), 2, "the viewers ignore SIGINT: still there");
    child.terminate();
    // Far inside the 120 s grace: the second signal killed every viewer at once.
    let out = child.wait_output(Duration::from_secs(20));
    // Nothing was measured (the stubborn viewers sent no request): exit 5, summary written.
    assert_eq!(out.status.code(), Some(5), "{}", contents(&log));
    assert!(contents(&log).contains("SIGKILL"), "{}", contents(&log));
    assert!(viewers().is_empty(), "a viewer outlived the second signal");
    let summary = read_summary(&json);
    assert_eq!(
        summary["viewers"]["exit_reasons"]["stopped by hls-swarm"], 2,
        "{}",
        summary["viewers"]
    );
}
