//! Real ffmpeg viewers pulling the built-in live origin through the tap (`-http_proxy`): the
//! tap's records equal the origin's access log, viewer by viewer.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::{Collect, shutdown};
use hls_swarm_origin::{AccessLog, AccessLogEntry, OriginConfig, render, serve};
use hls_swarm_tap::{RequestKind, Tap, TapConfig};
use hls_swarm_testkit::{Guarded, Scratch, tools};

const VIEWERS: u32 = 3;
/// Seconds of media each viewer plays (`-t`).
const PLAY_SECS: u32 = 12;

/// What hls-swarm passes each viewer (crates/supervise/src/command.rs), and the proxy.
fn viewer_command(url: &str, proxy: &str, viewer: u32) -> Command {
    let mut cmd = Command::new(tools::ffmpeg());
    cmd.args([
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "repeat+level+debug",
    ])
    .args(["-reconnect", "1", "-reconnect_streamed", "1"])
    .args([
        "-reconnect_on_network_error",
        "1",
        "-reconnect_delay_max",
        "5",
    ])
    .args(["-rw_timeout", "15000000"])
    .args(["-user_agent", &format!("hls-swarm/client-{viewer}")])
    // ffmpeg 5.1 has no -seg_max_retry (hls-swarm passes it only when the probe finds it).
    .args(["-http_proxy", proxy, "-i", url])
    .args([
        "-map",
        "0",
        "-c",
        "copy",
        "-t",
        &PLAY_SECS.to_string(),
        "-f",
        "null",
        "-",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    cmd
}

/// The kind the tap gives a path of the built-in origin.
fn kind_of(path: &str) -> RequestKind {
    if path.ends_with(".m3u8") {
        RequestKind::Manifest
    } else if path.ends_with(".ts") {
        RequestKind::Segment
    } else {
        RequestKind::Other
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_viewers_through_the_tap_match_the_origins_access_log() {
    let dir = Scratch::new("tap-ffmpeg");
    let log = dir.join("origin.log");
    let cfg = OriginConfig {
        loop_secs: 8,
        cache_dir: Some(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("origin-cache")),
        ffmpeg: tools::ffmpeg(),
        access_log: AccessLog::File(log.clone()),
        ..OriginConfig::default()
    };
    let rendition = render(&cfg).await.expect("render the test loop");
    let origin = serve(&cfg, rendition).await.expect("serve the origin");
    let records = Arc::new(Collect::default());
    let tap = Tap::start(TapConfig::new(origin.url()), records.clone()).unwrap();

    let viewers: Vec<Guarded> = (0..VIEWERS)
        .map(|n| Guarded::spawn(&mut viewer_command(&origin.url(), &tap.proxy_url(), n)))
        .collect();
    let mut stderrs = Vec::new();
    for viewer in viewers {
        let output = viewer.wait_output(Duration::from_secs(PLAY_SECS as u64 + 60));
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "ffmpeg failed:\n{stderr}");
        stderrs.push(stderr);
    }
    let totals = tokio::task::spawn_blocking(move || shutdown(tap, Duration::from_secs(5)))
        .await
        .unwrap();
    origin.shutdown().await;

    let records = records.requests.lock().unwrap().clone();
    let entries: Vec<AccessLogEntry> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| AccessLogEntry::parse(l).unwrap())
        .collect();
    eprintln!(
        "{} records, {} log lines, totals {totals:?}",
        records.len(),
        entries.len()
    );
    assert!(
        records.iter().all(|r| r.status.is_some()),
        "a request got no response"
    );
    assert_eq!(totals.refused, 0);
    for n in 0..VIEWERS {
        let ua = format!("hls-swarm/client-{n}");
        let logged: Vec<&AccessLogEntry> = entries.iter().filter(|e| e.user_agent == ua).collect();
        let ours: Vec<_> = records.iter().filter(|r| r.viewer == Some(n)).collect();
        // Requests by kind and status.
        let mut want: BTreeMap<(String, u16), u64> = BTreeMap::new();
        for e in &logged {
            *want
                .entry((format!("{:?}", kind_of(&e.path)), e.status))
                .or_default() += 1;
        }
        let mut got: BTreeMap<(String, u16), u64> = BTreeMap::new();
        for r in &ours {
            *got.entry((format!("{:?}", r.kind), r.status.unwrap()))
                .or_default() += 1;
        }
        assert_eq!(
            got, want,
            "viewer {n}: the tap's requests by kind and status, then the log's"
        );
        // Body bytes: equal for every response relayed whole; a response cut when ffmpeg
        // stopped (at most one per viewer) got at most what the origin logged for it.
        let cut: Vec<_> = ours.iter().filter(|r| r.truncated).collect();
        assert!(cut.len() <= 1, "viewer {n}: {cut:#?}");
        let mut logged_bytes: u64 = logged.iter().map(|e| e.body_bytes).sum();
        for r in &cut {
            let e = logged
                .iter()
                .rev()
                .find(|e| e.path == r.path.as_str())
                .unwrap();
            assert!(r.body_bytes <= e.body_bytes);
            logged_bytes -= e.body_bytes;
        }
        let whole_bytes: u64 = ours
            .iter()
            .filter(|r| !r.truncated)
            .map(|r| r.body_bytes)
            .sum();
        assert_eq!(whole_bytes, logged_bytes, "viewer {n}: body bytes");
        // ffmpeg logs one `request: GET` line per request it sends: all reached the origin.
        let sent = stderrs[n as usize].matches("request: GET ").count();
        assert_eq!(
            sent,
            logged.len(),
            "viewer {n}: ffmpeg's requests, the origin's log"
        );
        assert!(
            logged.iter().any(|e| e.status == 206),
            "ffmpeg's ranged requests"
        );
        assert!(
            logged.len() >= 10,
            "viewer {n} made only {} requests",
            logged.len()
        );
    }
    assert_eq!(records.len(), entries.len(), "records for other viewers?");
    // One upstream connection per viewer connection, at most.
    assert!(totals.upstream_connects >= 1);
    assert!(
        totals.upstream_connects <= totals.client_connections,
        "{totals:?}"
    );
    assert_eq!((totals.upstream_connect_failures, totals.failed), (0, 0));
    // Every segment relayed whole was listed by a media playlist the tap relayed.
    for r in records
        .iter()
        .filter(|r| r.kind == RequestKind::Segment && !r.truncated)
    {
        assert_eq!(r.segment_duration, Some(Duration::from_secs(1)), "{r:?}");
        assert!(r.download.unwrap() >= r.ttfb.unwrap());
    }
    let late = records.iter().filter(|r| r.is_late() == Some(true)).count();
    eprintln!("late segments: {late}");
}
