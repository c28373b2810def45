//! The fault matrix (issue 13), end to end: real ffmpeg viewers against the built-in origin
//! misbehaving on purpose (killed and restarted, slow, cutting bodies, truncated or empty
//! segments) or one viewer's ffmpeg killed from outside (a stale or ended stream is in
//! `tests/stream_faults.rs`); each run's
//! summary checked against the origin's access log, and the figure that shows the fault to the
//! user asserted. docs/RELIABILITY.md lists what each test shows.

mod common;
mod fault_kit;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;
use fault_kit::*;
use hls_swarm_origin::AccessLogEntry;

per_ffmpeg!(the_origin_killed_and_restarted_mid_run_every_viewer_recovers);
fn the_origin_killed_and_restarted_mid_run_every_viewer_recovers(ffmpeg: ViewerFfmpeg) {
    // `hls-swarm origin` as a child, so that it can be SIGKILLed as a crash would kill it, and
    // started again on the same port and access log. With the request tap on, as users get it;
    // once with each ffmpeg under test.
    let ua = &ffmpeg.user_agent("f-restart");
    let dir = Scratch::new(ua);
    let port = net::free_port();
    let listen = format!("127.0.0.1:{port}");
    let log = dir.join("origin.access.log");
    let start_origin = |n: u32| child_origin(&dir, port, &log, n);
    let entries = || -> Vec<AccessLogEntry> {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let prefix = format!("{ua}/client-");
        (text.lines())
            .filter_map(AccessLogEntry::parse)
            .filter(|e| e.user_agent.starts_with(&prefix))
            .collect()
    };
    let first = start_origin(1);
    let url = format!("http://{listen}/master.m3u8");
    let metrics = metrics_addr();
    let [flag, path] = ffmpeg.flag();
    let child = three_viewers(
        &dir,
        &url,
        ua,
        &metrics,
        &["--duration", "2m", "--tap", "auto", &flag, &path],
    );
    assert!(
        poll::until(Duration::from_secs(30), || all_fetched_since(
            &entries(),
            ua,
            0
        )),
        "three viewers never all fetched segments"
    );
    first.kill();
    let killed_at = unix_ms();
    // Down until hls-swarm has restarted viewers twice each on average: the ffmpegs that gave
    // up on the dead origin, then restarted ones that found it still dead.
    let restarted = poll::until(Duration::from_secs(45), || {
        metric(&metrics, "hls_swarm_client_restarts_total").is_some_and(|n| n >= 6.0)
    });
    assert!(
        restarted,
        "viewers were not restarted while the origin was down"
    );
    // Taken before the new origin starts: it may answer before `start_origin` sees it listen.
    let back_at = unix_ms();
    let down_for = back_at - killed_at;
    let _second = start_origin(2);
    let (_, summary) = stop_when(
        child,
        &dir,
        "every viewer fetched again",
        Duration::from_secs(45),
        || all_fetched_since(&entries(), ua, back_at),
    );
    eprintln!("the origin was down {down_for} ms");
    ffmpeg.assert_ran(&summary);
    // Nothing was answered while it was down.
    let entries = entries();
    assert!(
        !entries
            .iter()
            .any(|e| e.unix_ms > killed_at + 50 && e.unix_ms + 50 < back_at)
    );
    // Counted exactly: the tap counts what the origin answered; requests sent to a dead origin
    // are the tap's failed upstream connects, and ffmpeg's own log counts them as requests.
    // A request in flight when the origin died got no answer (`no_response`, in no count; at
    // most one a viewer). The origin may have logged it already: it logs an answer it is about
    // to send, and SIGKILL can land between the two. So the log may hold, beyond the tap's
    // counts, up to `no_response` requests, never fewer than the tap's.
    let log = count(&entries);
    let no_response = number(&summary["tap"]["no_response"]);
    assert!(no_response <= 3, "{}", summary["tap"]);
    let (manifest, segment) = (
        number(&summary["requests"]["manifest"]),
        number(&summary["requests"]["segment"]),
    );
    assert!(
        manifest <= log.manifest && segment <= log.segment,
        "the tap counted more than the origin logged: {manifest}/{segment} vs {log:?}"
    );
    assert!(
        (log.manifest - manifest) + (log.segment - segment) <= no_response,
        "beyond the {no_response} unanswered: {manifest}/{segment} vs {log:?}"
    );
    assert!(
        number(&summary["tap"]["upstream_connect_failures"]) >= 1,
        "{}",
        summary["tap"]
    );
    let from_log = number(&summary["requests_from_log"]["total"]);
    assert!(
        from_log > entries.len() as u64,
        "ffmpeg's log counts the refused requests too"
    );
    // What the user sees: every recovery counted with its reason.
    let reasons = assert_exits_explain_restarts(&summary);
    assert!(number(&summary["viewers"]["restarts"]) >= 6);
    eprintln!("exit reasons: {reasons:?}; events {}", summary["events"]);
    assert!(
        number(&summary["events"]["playlist_reload_failures"]) >= 1,
        "{}",
        summary["events"]
    );
}

#[test]
fn one_viewers_ffmpeg_killed_from_outside_is_a_signal_exit_restarted_with_backoff() {
    // As the OOM killer would: SIGKILL to one ffmpeg, not through hls-swarm. Without the tap,
    // every figure comes from ffmpeg's log.
    let dir = Scratch::new("fault-sigkill");
    let origin = Origin::start(&dir, &[]);
    let ua = "f-sigkill";
    let metrics = metrics_addr();
    let events = dir.join("hls-swarm.err");
    let (url, json) = (origin.url(), dir.join("summary.json"));
    let args = run_args(
        &url,
        ua,
        &[
            "--clients",
            "3",
            "--duration",
            "2m",
            "--summary-json",
            json.to_str().unwrap(),
            "--metrics",
            &metrics,
            "--verbose",
            "--log-format",
            "json",
        ],
    );
    let child = Guarded::spawn_logged(Command::new(BIN).args(&args), &events);
    assert!(
        poll::until(Duration::from_secs(30), || all_fetched_since(
            &origin.entries_for(ua),
            ua,
            0
        )),
        "three viewers never all fetched segments"
    );
    let victim = format!("{ua}/client-1");
    let ffmpeg_of_viewer_1 = || {
        proc::with_cmdline(&victim)
            .into_iter()
            .find(|&pid| proc::stat(pid).is_some_and(|s| s.ppid == child.id()))
    };
    let pid = ffmpeg_of_viewer_1().expect("viewer 1's ffmpeg, a child of hls-swarm");
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let killed_at = unix_ms();
    // Restarted (a new ffmpeg) and fetching again.
    let again = poll::until(Duration::from_secs(30), || {
        ffmpeg_of_viewer_1().is_some_and(|new| new != pid)
            && origin
                .entries_for(ua)
                .iter()
                .any(|e| e.user_agent == victim && e.unix_ms > killed_at && e.path.ends_with(".ts"))
    });
    child.interrupt();
    let out = child.wait_output(Duration::from_secs(30));
    assert!(
        again,
        "viewer 1 was not restarted, or fetched nothing after\n{}",
        contents(&events)
    );
    assert_eq!(out.status.code(), Some(0), "{}", contents(&events));
    let summary = read_summary(&json);
    let reasons = assert_exits_explain_restarts(&summary);
    assert_eq!(reasons.get("signal 9"), Some(&1), "{reasons:?}");
    assert_eq!(number(&summary["viewers"]["restarts"]), 1);
    // The restart waited its backoff: the first delay is 250 ms ± 20 %.
    let log = contents(&events);
    let scheduled: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["msg"] == "viewer_restart_scheduled")
        .collect();
    assert_eq!(scheduled.len(), 1, "{log}");
    assert_eq!(scheduled[0]["viewer"], "1", "{log}");
    let delay: u64 = scheduled[0]["delay_ms"].as_str().unwrap().parse().unwrap();
    assert!((200..=300).contains(&delay), "restart delay {delay} ms");
    // The kill adds at most the request it cut to what was in flight at the stop.
    assert_counts_match_log(&counted(&summary), &origin.counts_for(ua), 3 + 1);
}

/// A latency figure's median, in ms.
fn p50(summary: &serde_json::Value, figure: &str) -> f64 {
    summary["latency_ms"][figure]["p50"]
        .as_f64()
        .unwrap_or_else(|| panic!("no {figure}: {}", summary["latency_ms"]))
}

/// What a slow origin shows: most segments late, and counted exactly with the request tap.
fn assert_slow(origin: &Origin, ua: &str, summary: &serde_json::Value) {
    assert_tap_counts_exactly(origin, ua, summary);
    assert_tap_bytes_match(origin, ua, summary);
    let late = summary["late_segments"]["share"].as_f64().unwrap();
    assert!(
        late >= 0.4,
        "late share {late}: {}",
        summary["late_segments"]
    );
    assert_eq!(number(&summary["viewers"]["restarts"]), 0);
}

#[test]
fn a_rate_limited_origin_makes_viewers_fall_behind_and_skip_and_counts_stay_exact() {
    // nginx's limit_rate: 48 KiB/s a response, a third of what the two variants need. ffmpeg
    // falls behind until the segments it wants have left the playlist, then skips ahead to
    // the window: it loses data rather than stalling, and its speed (output time over wall
    // time) stays near 1x, since the skip moves its output time on. What shows it: segments
    // expired, late segments, the download times.
    let dir = Scratch::new("fault-rate");
    let origin = Origin::start(&dir, &["rate:*.ts:48k"]);
    let ua = "f-rate";
    let (_, summary) = faulty_run(
        &dir,
        &origin,
        ua,
        &["--duration", "60s", "--tap", "on"],
        Duration::from_secs(50),
        |metrics| metric(metrics, "hls_swarm_segments_expired_total").is_some_and(|n| n >= 3.0),
    );
    assert_slow(&origin, ua, &summary);
    assert!(number(&summary["events"]["segments_expired"]) >= 3);
    // A segment of the larger variant takes longer to arrive than it plays.
    let download = &summary["latency_ms"]["segment_download"];
    assert!(download["p95"].as_f64().unwrap() > 1000.0, "{download}");
    assert!(origin.handle.stats().body_fault_count("rate") >= 3);
}

#[test]
fn a_delay_before_every_segment_stalls_every_viewer_and_counts_stay_exact() {
    let dir = Scratch::new("fault-delay");
    let origin = Origin::start(&dir, &["delay:*.ts:1200ms"]);
    let ua = "f-delay";
    let (_, summary) = faulty_run(
        &dir,
        &origin,
        ua,
        &["--duration", "60s", "--tap", "on"],
        Duration::from_secs(50),
        all_stalled,
    );
    assert_slow(&origin, ua, &summary);
    // What the user sees: a second of waiting for every segment leaves ffmpeg with nothing to
    // report, so every viewer is counted stalled, and plays below real time.
    assert_eq!(
        number(&summary["viewers"]["stalled"]),
        3,
        "{}",
        summary["viewers"]
    );
    assert!(summary["playback"]["below_realtime"].as_u64().unwrap() >= 1);
    // The wait is before the first byte.
    assert!(
        // 1.2 s or more, but for the histogram's rounding (three significant digits).
        p50(&summary, "segment_ttfb") >= 1190.0,
        "{}",
        summary["latency_ms"]
    );
}

/// Three viewers with the tap on until the origin has applied `fault` `n` times (and every
/// viewer has fetched since): the summary.
fn until_faulted(dir: &Path, origin: &Origin, ua: &str, fault: &str, n: u64) -> serde_json::Value {
    let (_, summary) = faulty_run(
        dir,
        origin,
        ua,
        &["--duration", "60s", "--tap", "on"],
        Duration::from_secs(50),
        |_| {
            origin.handle.stats().body_fault_count(fault) >= n
                && all_fetched_since(&origin.entries_for(ua), ua, 0)
        },
    );
    summary
}

#[test]
fn bodies_cut_mid_way_are_counted_as_far_as_they_got() {
    let dir = Scratch::new("fault-cut");
    let origin = Origin::start(&dir, &["cut:*.ts:0.3"]);
    let ua = "f-cut";
    let summary = until_faulted(&dir, &origin, ua, "cut", 10);
    assert_tap_counts_exactly(&origin, ua, &summary);
    // The origin logs a cut body's first half, as it handed it over before closing the
    // connection; the tap counts what reached it: the same, but for bodies cut at the stop.
    assert_tap_bytes_match(&origin, ua, &summary);
    // What the user sees: every cut body as a truncated request (and at most one a viewer
    // more, cut by the stop), and ffmpeg's complaint ("Stream ends prematurely") as an error
    // line for each.
    let cut = origin.handle.stats().body_fault_count("cut");
    let truncated = number(&summary["tap"]["truncated"]);
    assert!(
        (cut..=cut + 3).contains(&truncated),
        "{truncated} truncated, {cut} cut"
    );
    let error_lines = number(&summary["events"]["error_lines"]);
    assert!(
        error_lines + 3 >= cut,
        "{error_lines} error lines, {cut} cut"
    );
    // From ffmpeg's log (what `--tap off` counts): after a cut, ffmpeg sends its next request
    // on the closed keep-alive connection, fails with end of file and sends it again on a new
    // one without a warning; hls-swarm counts the two request lines once, as the origin saw
    // them, and the retry as a keep-alive retry. Exact, but for what was in flight at the stop.
    let from_log = number(&summary["requests_from_log"]["total"]);
    let answered = number(&summary["requests"]["total"]);
    assert!(
        (answered..=answered + 3).contains(&from_log),
        "ffmpeg's log {from_log}, the origin answered {answered}, {cut} cut"
    );
    let retries = number(&summary["events"]["keepalive_retries"]);
    assert!((1..=cut).contains(&retries), "{retries} retries, {cut} cut");
}

#[test]
fn truncated_segments_are_whole_answers_counted_as_sent() {
    let dir = Scratch::new("fault-short");
    let origin = Origin::start(&dir, &["short:*.ts:0.3"]);
    let ua = "f-short";
    let summary = until_faulted(&dir, &origin, ua, "short", 10);
    assert_tap_counts_exactly(&origin, ua, &summary);
    assert_tap_bytes_match(&origin, ua, &summary);
    // A truncated file is a valid answer: nothing is cut, ffmpeg plays the half it got and
    // goes on, and no viewer is restarted. The bytes are what was sent, not the files' sizes.
    assert!(
        number(&summary["tap"]["truncated"]) <= 3,
        "{}",
        summary["tap"]
    );
    assert_eq!(number(&summary["viewers"]["restarts"]), 0);
}

#[test]
fn empty_segments_are_answered_200_and_counted_with_no_bytes() {
    let dir = Scratch::new("fault-empty");
    let origin = Origin::start(&dir, &["empty:*.ts:0.3"]);
    let ua = "f-empty";
    let summary = until_faulted(&dir, &origin, ua, "empty", 10);
    assert_tap_counts_exactly(&origin, ua, &summary);
    assert_tap_bytes_match(&origin, ua, &summary);
    // ffmpeg takes a 0-byte segment as an empty one and moves on: no retry (no viewer asks
    // for a segment twice), no restart. The user sees them as the `200` answers among the
    // ranged `206` ones.
    let empty = origin.handle.stats().body_fault_count("empty");
    assert_eq!(number(&summary["tap"]["statuses"]["200"]), empty);
    assert_eq!(number(&summary["viewers"]["restarts"]), 0);
    let entries = origin.entries_for(ua);
    let mut asked = std::collections::BTreeSet::new();
    for e in entries.iter().filter(|e| e.path.ends_with(".ts")) {
        assert!(
            asked.insert((&e.user_agent, &e.path)),
            "{} asked twice",
            e.path
        );
    }
    let zero = entries
        .iter()
        .filter(|e| e.status == 200 && e.body_bytes == 0)
        .count();
    assert_eq!(zero as u64, empty);
}

#[test]
fn behind_nginx_an_origin_killed_and_restarted_is_counted_as_nginx_answered() {
    // nginx as a reverse proxy in front of `hls-swarm origin`, which is SIGKILLed and started
    // again: the viewers meet nginx's 502s rather than refused connections. Counted against
    // nginx's own access log, with the request tap on.
    use hls_swarm_testkit::exporters::{TimedLogLine, nginx_timed};
    let dir = Scratch::new("fault-nginx");
    let (ua, port) = ("f-nginx", net::free_port());
    let origin_log = dir.join("origin.access.log");
    let first = child_origin(&dir, port, &origin_log, 1);
    let nginx = nginx_timed(&dir, &format!("proxy_pass http://127.0.0.1:{port};"));
    let entries = || -> Vec<TimedLogLine> {
        let text = std::fs::read_to_string(dir.join("nginx.timed.log")).unwrap_or_default();
        let prefix = format!("{ua}/client-");
        (text.lines())
            .filter_map(TimedLogLine::parse)
            .filter(|l| l.user_agent.starts_with(&prefix))
            .collect()
    };
    // Every viewer fetched a segment answered 2xx in the last `n` lines of nginx's log.
    let all_fetched_in = |lines: &[TimedLogLine]| {
        let agents: BTreeSet<&str> = lines
            .iter()
            .filter(|l| l.uri.ends_with(".ts") && l.status < 300)
            .map(|l| l.user_agent.as_str())
            .collect();
        (0..3).all(|n| agents.contains(format!("{ua}/client-{n}").as_str()))
    };
    let metrics = metrics_addr();
    let url = nginx.url("/master.m3u8");
    let child = three_viewers(
        &dir,
        &url,
        ua,
        &metrics,
        &["--duration", "2m", "--tap", "on"],
    );
    assert!(
        poll::until(Duration::from_secs(30), || all_fetched_in(&entries())),
        "three viewers never all fetched segments through nginx"
    );
    first.kill();
    let restarted = poll::until(Duration::from_secs(45), || {
        metric(&metrics, "hls_swarm_client_restarts_total").is_some_and(|n| n >= 6.0)
    });
    assert!(
        restarted,
        "viewers were not restarted while the origin was down"
    );
    let before_restart = entries().len();
    let _second = child_origin(&dir, port, &origin_log, 2);
    let (_, summary) = stop_when(
        child,
        &dir,
        "every viewer fetched again",
        Duration::from_secs(45),
        || all_fetched_in(&entries()[before_restart..]),
    );
    // nginx answered 502 while the origin was down; each is counted by code.
    let lines = entries();
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for l in &lines {
        *statuses.entry(l.status.to_string()).or_default() += 1;
    }
    assert!(statuses.get("502").is_some_and(|&n| n >= 3), "{statuses:?}");
    // Exact but for requests in flight at the stop: nginx logs one whose answer it sent, which
    // the tap, cut by the stop before the answer came, counts as `no_response` (in no count;
    // at most one a viewer). So nginx's log may hold up to `no_response` requests more than
    // the tap's counts, status by status and kind by kind, never fewer.
    let no_response = number(&summary["tap"]["no_response"]);
    assert!(no_response <= 3, "{}", summary["tap"]);
    let short_of_log = |tap: u64, log: u64, what: &str| {
        assert!(
            tap <= log && log - tap <= no_response,
            "{what}: the tap counted {tap}, nginx logged {log}, {no_response} got no response"
        );
        log - tap
    };
    let tapped = tap_statuses(&summary);
    assert!(
        tapped.keys().all(|code| statuses.contains_key(code)),
        "the tap counted a status nginx never logged: {tapped:?} against {statuses:?}"
    );
    let missing: u64 = (statuses.iter())
        .map(|(code, &n)| short_of_log(tapped.get(code).copied().unwrap_or(0), n, code))
        .sum();
    assert!(missing <= no_response, "{tapped:?} against {statuses:?}");
    assert_eq!(number(&summary["http_errors"]["502"]), tapped["502"]);
    let kind = |ext: &str| lines.iter().filter(|l| l.uri.ends_with(ext)).count() as u64;
    let manifest = short_of_log(
        number(&summary["requests"]["manifest"]),
        kind(".m3u8"),
        "playlists",
    );
    let segment = short_of_log(
        number(&summary["requests"]["segment"]),
        kind(".ts"),
        "segments",
    );
    assert!(manifest + segment <= no_response);
    // Every recovery counted with its reason; ffmpeg's own words for the 502 (it names no
    // code) as the last error line of the viewers restarted into it.
    let reasons = assert_exits_explain_restarts(&summary);
    eprintln!(
        "exit reasons: {reasons:?}; exits {}",
        summary["viewers"]["exits"]
    );
    assert!(number(&summary["viewers"]["restarts"]) >= 6);
    assert!(
        summary["viewers"]["exits"]
            .to_string()
            .contains("Server returned 5XX Server Error reply"),
        "{}",
        summary["viewers"]["exits"]
    );
}
