//! End to end: a real run's time series against its totals and the origin's access log, its
//! HTML report rendered by headless Chromium (charts that carry data, a page that is not blank),
//! and thresholds deciding the exit code both ways, on a run, a saved summary and a merge.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

/// `hls-swarm run` of `viewers` viewers for `duration` against `origin`, with its exact segment
/// sizes, a summary and a report in `dir`, and `extra` flags: its output and summary.
fn reported_run(
    dir: &Path,
    origin: &Origin,
    user_agent: &str,
    viewers: &str,
    duration: &str,
    extra: &[&str],
) -> (std::process::Output, Value) {
    let (url, sizes) = (origin.url(), origin.sizes_url());
    let (json, html) = (dir.join("summary.json"), dir.join("report.html"));
    let mut flags = vec![
        "--clients",
        viewers,
        "--duration",
        duration,
        "--segment-sizes-url",
        &sizes,
        "--summary-json",
        json.to_str().unwrap(),
        "--report",
        html.to_str().unwrap(),
    ];
    flags.extend_from_slice(extra);
    let out = run_to_end(
        &run_args(&url, user_agent, &flags),
        Duration::from_secs(150),
    );
    (out, read_summary(&json))
}

/// The sum over the series' points of the count at `key` (`requests.segment`).
fn series_sum(summary: &Value, f: impl Fn(&Value) -> u64) -> u64 {
    summary["timeseries"]["points"]
        .as_array()
        .expect("a series")
        .iter()
        .map(f)
        .sum()
}

/// Chromium on PATH (Debian's `chromium`, which `cargo xtask deps` installs).
fn chromium(dir: &Path, args: &[&str]) -> std::process::Output {
    let chromium = tools::require_on_path("chromium", "chromium");
    let profile = dir.join("chromium-profile");
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let out = Guarded::spawn(&mut cmd).wait_output(Duration::from_secs(90));
    assert!(
        out.status.success(),
        "chromium {args:?} failed: {}",
        stderr(&out)
    );
    out
}

/// Each chart in the DOM Chromium built: its id and how many points each of its lines drew.
fn charts_in_dom(dom: &str) -> Vec<(String, Vec<u64>)> {
    dom.split("<figure class=\"chart\" id=\"chart-")
        .skip(1)
        .map(|figure| {
            let figure = figure.split("</figure>").next().unwrap();
            let id = figure.split('"').next().unwrap().to_owned();
            let points = (figure.split("data-points=\"").skip(1))
                .map(|rest| rest.split('"').next().unwrap().parse().expect("a count"))
                .collect();
            (id, points)
        })
        .collect()
}

/// Pixels of a PNG screenshot (RGB or RGBA) within 6 of `rgb` on every channel, and the share
/// of pixels that are not white.
fn pixels(png_path: &Path, rgb: [u8; 3]) -> (usize, f64) {
    let decoder = png::Decoder::new(std::fs::File::open(png_path).expect("screenshot written"));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let step = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(step).collect();
    let near = |p: &[u8], c: [u8; 3]| (0..3).all(|i| p[i].abs_diff(c[i]) <= 6);
    let coloured = pixels.iter().filter(|p| near(p, rgb)).count();
    let not_white = pixels.iter().filter(|p| !near(p, [255, 255, 255])).count();
    (coloured, not_white as f64 / pixels.len() as f64)
}

#[test]
fn a_real_runs_report_renders_in_chromium_with_charts_that_carry_data() {
    let dir = Scratch::new("report-html");
    let origin = Origin::start(&dir, &[]);
    let (out, summary) = reported_run(
        &dir,
        &origin,
        "e2e-report",
        "3",
        "20s",
        // Through the request tap, the default for an http:// stream: the series' requests,
        // bytes and timings are the tap's.
        &["--tap", "on", "--threshold", "http_error_rate<0.01"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a clean origin passes: {}",
        stderr(&out)
    );
    assert_eq!(
        summary["thresholds"][0]["passed"], true,
        "{}",
        summary["thresholds"]
    );
    assert_eq!(summary["thresholds"][0]["value"], 0.0);

    // The series: one point a second, contiguous, adding up to the totals and the access log.
    let series = &summary["timeseries"];
    assert_eq!(series["resolution_s"], 1);
    let points = series["points"].as_array().unwrap();
    let duration = summary["duration_s"].as_f64().unwrap();
    assert_eq!(
        points.len(),
        duration.round() as usize,
        "{duration} s, a short tail joined"
    );
    for (i, p) in points.iter().enumerate() {
        assert_eq!(p["t_s"].as_f64(), Some(i as f64), "{p}");
    }
    let totals = &summary["requests"];
    for kind in ["manifest", "segment", "init", "other"] {
        let sum = series_sum(&summary, |p| p["requests"][kind].as_u64().unwrap());
        assert_eq!(Some(sum), totals[kind].as_u64(), "{kind}");
    }
    let bytes = series_sum(&summary, |p| p["bytes"].as_u64().expect("the tap's bytes"));
    assert_eq!(Some(bytes), summary["bytes"]["total"].as_u64());
    let mut ours = counted(&summary);
    ours.manifest = series_sum(&summary, |p| p["requests"]["manifest"].as_u64().unwrap());
    ours.segment = series_sum(&summary, |p| p["requests"]["segment"].as_u64().unwrap());
    assert_counts_match_log(&ours, &origin.counts_for("e2e-report"), 3);
    let latency = series_sum(&summary, |p| {
        p["latency_ms"]["playlist_download"]["count"]
            .as_u64()
            .unwrap_or(0)
    });
    assert_eq!(
        Some(latency),
        summary["latency_ms"]["playlist_download"]["count"].as_u64()
    );
    // Through the tap, ffmpeg's own timings would time its loopback to the tap: left out.
    for log_figure in ["tcp_connect", "playlist_fetch"] {
        assert!(
            summary["latency_ms"].get(log_figure).is_none(),
            "{log_figure}"
        );
        assert!(
            series_sum(&summary, |p| u64::from(
                p["latency_ms"].get(log_figure).is_some()
            )) == 0,
            "{log_figure} in a point"
        );
    }
    assert!(summary["events"].get("tcp_connects").is_none());
    let downloads = series_sum(&summary, |p| {
        p["latency_ms"]["segment_download"]["count"]
            .as_u64()
            .unwrap_or(0)
    });
    assert_eq!(
        Some(downloads),
        summary["latency_ms"]["segment_download"]["count"].as_u64()
    );
    assert!(downloads > 0, "no segment timed by the tap");
    let held = points
        .iter()
        .filter(|p| p["viewers"]["running"] == 3)
        .count();
    assert!(
        held as f64 >= duration - 6.0,
        "3 viewers ran most seconds: {held}"
    );

    // The report as Chromium builds it: every chart of this run, each line with its points.
    let html = dir.join("report.html");
    let page = std::fs::read_to_string(&html).expect("the report is written");
    assert!(
        !page.contains("<script") && !page.contains("src="),
        "nothing to run or fetch"
    );
    let url = format!("file://{}", html.display());
    let dumped = chromium(&dir, &["--dump-dom", &url]);
    let dom = stdout(&dumped);
    assert!(
        dom.len() > 1000,
        "chromium dumped no DOM: {}",
        stderr(&dumped)
    );
    let charts = charts_in_dom(&dom);
    let ids: Vec<&str> = charts.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "viewers",
            "requests",
            "errors",
            "throughput",
            "latency",
            "playback",
            "host"
        ],
        "the origin is not scraped in this run; the DOM Chromium dumped starts: {}",
        &dom[..dom.len().min(2000)]
    );
    for (id, lines) in &charts {
        let most = lines.iter().copied().max().unwrap_or(0);
        assert!(
            most as usize >= points.len() - 2,
            "chart {id} is blank: {lines:?}"
        );
    }
    assert!(
        dom.contains("PASSED all 1 thresholds"),
        "the outcome heads the page"
    );
    assert!(dom.contains("run time (mm:ss)") && dom.contains(">0:10</text>"));
    assert!(dom.contains("Not charted: The origin: not scraped"));
    // The ffmpeg the viewers ran, as the summary names it.
    let version = summary["ffmpeg"]["versions"][0]
        .as_str()
        .expect("ffmpeg's version");
    assert!(
        dom.contains(&format!("<td>ffmpeg</td><td>{version}")),
        "the report names the viewers' ffmpeg {version}"
    );

    // Rendered: not blank, and the lines are drawn in their colours.
    let shot = dir.join("report.png");
    chromium(
        &dir,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1100,4000",
            &url,
        ],
    );
    let (blue, ink) = pixels(&shot, [0x1f, 0x77, 0xb4]);
    // The first two colours: the first line of each chart (drawn on top) and the second.
    let (red, _) = pixels(&shot, [0xd6, 0x27, 0x28]);
    assert!(
        ink > 0.03,
        "the screenshot is almost blank: {ink:.3} of it is not white"
    );
    assert!(
        blue > 2_000 && red > 1_000,
        "lines not drawn: {blue} blue, {red} red pixels"
    );

    // The same summary, saved, gives the same report.
    let again = dir.join("again.html");
    let json = dir.join("summary.json");
    let args = [
        "report",
        json.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
        "--threshold",
        "http_error_rate<0.01",
    ];
    let out = run_to_end(&args, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&again).unwrap(), page);
}

#[test]
fn a_fault_origin_fails_its_threshold_with_exit_7_after_writing_everything() {
    let dir = Scratch::new("report-fault");
    let origin = Origin::start(&dir, &["503:/v0/seg*.ts:0.3"]);
    let (out, summary) = reported_run(
        &dir,
        &origin,
        "e2e-threshold",
        "2",
        "15s",
        &[
            "--threshold",
            "http_error_rate<0.01",
            "--threshold",
            "restarts<=1000",
        ],
    );
    assert_eq!(out.status.code(), Some(7), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("hls-swarm: 1 of 2 thresholds failed: http_error_rate<0.01 (measured"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("FAIL  measured"), "{}", stdout(&out));
    let log = origin.counts_for("e2e-threshold");
    assert!(
        log.errors("503") >= 5,
        "the origin injected too few 503: {log:?}"
    );
    // The measured rate is the summary's errors over its requests.
    let errors = summary["http_errors"]["503"].as_f64().unwrap();
    let requests = summary["requests"]["total"].as_f64().unwrap();
    let t = &summary["thresholds"][0];
    assert_eq!(t["passed"], false);
    assert!(
        (t["value"].as_f64().unwrap() - errors / requests).abs() < 1e-12,
        "{t}"
    );
    assert_eq!(summary["thresholds"][1]["passed"], true);
    let series_errors = series_sum(&summary, |p| p["http_errors"]["503"].as_u64().unwrap_or(0));
    assert_eq!(series_errors as f64, errors);
    let page = std::fs::read_to_string(dir.join("report.html")).expect("the report is written");
    assert!(page.contains("FAILED 1 of 2 thresholds"));
    assert!(page.contains("data-series=\"HTTP 503\""));

    // On the saved summary: a looser threshold passes, the same one fails, with or without -o.
    let json = dir.join("summary.json");
    let json = json.to_str().unwrap();
    let code = |args: &[&str]| run_to_end(args, Duration::from_secs(30)).status.code();
    assert_eq!(
        code(&["report", json, "--threshold", "http_error_rate<0.9"]),
        Some(0)
    );
    assert_eq!(
        code(&["report", json, "--threshold", "http_error_rate<0.01"]),
        Some(7)
    );
    let html = dir.join("saved.html");
    let html = html.to_str().unwrap();
    let args = [
        "report",
        json,
        "-o",
        html,
        "--threshold",
        "http_error_rate<0.01",
    ];
    assert_eq!(code(&args), Some(7));
    assert!(
        std::fs::read_to_string(html)
            .unwrap()
            .contains("FAILED 1 of 1 thresholds")
    );
    // And on a merge of it.
    assert_eq!(
        code(&["merge", json, "--threshold", "http_error_rate<0.01"]),
        Some(7)
    );
    assert_eq!(
        code(&["merge", json, "--threshold", "http_errors>=1"]),
        Some(0)
    );
}

#[test]
fn abort_on_fail_stops_the_run_30_s_after_the_ramp_and_exits_7() {
    let dir = Scratch::new("report-abort");
    let origin = Origin::start(&dir, &["503:/v0/seg*.ts:0.3"]);
    let (out, summary) = reported_run(
        &dir,
        &origin,
        "e2e-abort",
        "2",
        "3m",
        &["--threshold", "http_error_rate<0.01", "--abort-on-fail"],
    );
    assert_eq!(out.status.code(), Some(7), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("Stopped: a threshold crossed its limit over the last 30 s"));
    let t = &summary["thresholds"][0];
    let breach = &t["aborted_run"];
    let (from, to) = (
        breach["from_s"].as_f64().unwrap(),
        breach["to_s"].as_f64().unwrap(),
    );
    assert!((to - from - 30.0).abs() < 1e-9, "a 30 s window: {breach}");
    assert!(breach["value"].as_f64().unwrap() >= 0.01, "{breach}");
    let duration = summary["duration_s"].as_f64().unwrap();
    assert!(
        duration < 60.0,
        "stopped early, at {duration} s, not after 3 minutes"
    );
    assert!(dir.join("report.html").exists());
}

#[test]
fn thresholds_that_cannot_be_checked_are_refused_before_the_run() {
    // Nothing listens there: a refusal must come before the target is even tried. The run goes
    // without the request tap (--tap off), so its figures cannot be checked.
    let url = format!("http://127.0.0.1:{}/master.m3u8", net::free_port());
    for (threshold, says) in [
        (
            "segment_download_p95<2s",
            "needs the request tap, which this run goes without",
        ),
        (
            "http_errror_rate<0.01",
            "names no figure hls-swarm has: use one of http_error_rate, ",
        ),
        ("http_error_rate", "is not a threshold: write NAME OP VALUE"),
    ] {
        let out = run_to_end(
            &["run", &url, "--tap", "off", "--threshold", threshold],
            Duration::from_secs(20),
        );
        assert_eq!(out.status.code(), Some(2), "{threshold}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{threshold}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("cannot reach"),
            "refused before the run"
        );
    }
    // The environment variable takes several, comma-separated.
    let out = Guarded::spawn(
        Command::new(BIN)
            .args(["run", &url, "--tap", "off"])
            .env("HLS_SWARM_THRESHOLD", "restarts<=5,late_segment_rate<0.001")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .wait_output(Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("late_segment_rate needs the request tap"));
    // Through the tap (the default for http://), ffmpeg's own timings are refused in turn.
    let out = run_to_end(
        &["run", &url, "--threshold", "tcp_connect_p95<100ms"],
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("tcp_connect_p95 is timed from ffmpeg's log"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("cannot reach"),
        "refused before the run"
    );
}
