//! End-to-end tests of the origin: a real render, real HTTP, and real ffmpeg viewers.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hls_swarm_origin::{
    AccessLog, AccessLogEntry, Clock, FaultRule, ManualClock, OriginConfig, OriginError, Rendition,
    VariantSpec, decide, render, serve, serve_with_clock,
};
use hls_swarm_testkit::tools;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::OnceCell;

/// 1 s segments, an 8 s loop (so a few seconds of viewing crosses a loop wrap), two variants.
fn test_cfg() -> OriginConfig {
    OriginConfig {
        loop_secs: 8,
        cache_dir: Some(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("origin-cache")),
        ffmpeg: tools::ffmpeg(),
        ..OriginConfig::default()
    }
}

/// One render shared by every test in this binary (each test has its own runtime).
async fn rendition() -> Rendition {
    static SHARED: OnceCell<Rendition> = OnceCell::const_new();
    SHARED
        .get_or_init(|| async { render(&test_cfg()).await.expect("render the test loop") })
        .await
        .clone()
}

fn log_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("origin-logs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn read_log(path: &PathBuf) -> Vec<AccessLogEntry> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| AccessLogEntry::parse(l).unwrap_or_else(|| panic!("bad log line {l:?}")))
        .collect()
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
}

/// A minimal HTTP/1.1 GET over a fresh connection (`Connection: close`), with ffmpeg's
/// `Range: bytes=0-` when `ranged`.
async fn get(base: &str, path: &str, ranged: bool) -> Reply {
    let host = base.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let range = if ranged { "Range: bytes=0-\r\n" } else { "" };
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: test/raw\r\n{range}Connection: close\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn tag_value<'a>(playlist: &'a str, tag: &str) -> Option<&'a str> {
    playlist.lines().find_map(|l| l.strip_prefix(tag))
}

fn segment_uris(playlist: &str) -> Vec<&str> {
    playlist
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playlists_follow_an_injected_clock() {
    let rendition = rendition().await;
    let log = log_path("clock");
    let cfg = OriginConfig {
        access_log: AccessLog::File(log.clone()),
        ..test_cfg()
    };
    // Newest published segment at t = 8003 s is 8002; the window 7997..=8002 contains the
    // loop wrap before 8000 (loop of 8 segments).
    let clock = ManualClock::new(UNIX_EPOCH + Duration::from_millis(8_003_500));
    let origin = serve_with_clock(&cfg, rendition.clone(), Arc::new(clock.clone()))
        .await
        .unwrap();
    let base = origin.base_url();
    let mut n_requests = 0;

    let master = get(&base, "/master.m3u8", true).await;
    n_requests += 1;
    assert_eq!(master.status, 206);
    assert_eq!(
        master.header("content-type"),
        Some("application/vnd.apple.mpegurl")
    );
    let text = master.text();
    assert!(text.starts_with("#EXTM3U\n"), "{text}");
    let infs: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with("#EXT-X-STREAM-INF:"))
        .collect();
    assert_eq!(infs.len(), 2, "{text}");
    assert!(infs[0].contains("RESOLUTION=640x360") && infs[1].contains("RESOLUTION=320x180"));
    for inf in &infs {
        assert!(inf.contains("BANDWIDTH=") && inf.contains("CODECS=\"avc1.4d401f,mp4a.40.2\""));
    }
    assert_eq!(segment_uris(text), ["v0/index.m3u8", "v1/index.m3u8"]);

    let media = get(&base, "/v0/index.m3u8", false).await;
    n_requests += 1;
    assert_eq!(media.status, 200);
    let text = media.text().to_owned();
    assert_eq!(tag_value(&text, "#EXT-X-TARGETDURATION:"), Some("1"));
    assert_eq!(tag_value(&text, "#EXT-X-MEDIA-SEQUENCE:"), Some("7997"));
    assert_eq!(
        tag_value(&text, "#EXT-X-DISCONTINUITY-SEQUENCE:"),
        Some("999")
    );
    assert!(!text.contains("#EXT-X-ENDLIST"));
    let uris = segment_uris(&text);
    let want: Vec<String> = (7997..=8002).map(|n| format!("seg{n:05}.ts")).collect();
    assert_eq!(uris, want);
    // Exactly one discontinuity, right before the wrap.
    assert_eq!(text.matches("#EXT-X-DISCONTINUITY\n").count(), 1);
    assert!(
        text.contains("#EXT-X-DISCONTINUITY\n#EXTINF:1.000000,\nseg08000.ts\n"),
        "{text}"
    );

    // Every referenced segment exists, with the loop's bytes, and segments.json agrees.
    let listing = get(&base, "/v0/segments.json", false).await;
    n_requests += 1;
    assert_eq!(listing.header("content-type"), Some("application/json"));
    let listing: serde_json::Value = serde_json::from_slice(&listing.body).unwrap();
    for uri in &uris {
        let seg = get(&base, &format!("/v0/{uri}"), true).await;
        n_requests += 1;
        assert_eq!(seg.status, 206, "{uri}");
        assert_eq!(seg.header("content-type"), Some("video/mp2t"));
        let seq: u64 = uri[3..uri.len() - 3].parse().unwrap();
        assert_eq!(seg.body, &rendition.segment_bytes(0, seq).unwrap()[..]);
        let entry = listing
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == *uri)
            .unwrap_or_else(|| panic!("{uri} missing from segments.json"));
        assert_eq!(entry["size"].as_u64(), Some(seg.body.len() as u64), "{uri}");
        assert_eq!(entry["type"], "file");
    }
    // Not yet published, and too old, are 404; grace (3) behind the window is served.
    for (path, status) in [
        ("/v0/seg08003.ts", 404),
        ("/v0/seg07994.ts", 200),
        ("/v0/seg07993.ts", 404),
        ("/v9/index.m3u8", 404),
        ("/nothing", 404),
    ] {
        assert_eq!(get(&base, path, false).await.status, status, "{path}");
        n_requests += 1;
    }

    // One second later the window slides by one; the wrap is still inside it.
    clock.advance(Duration::from_secs(1));
    let text = get(&base, "/v1/index.m3u8", false).await.text().to_owned();
    n_requests += 1;
    assert_eq!(tag_value(&text, "#EXT-X-MEDIA-SEQUENCE:"), Some("7998"));
    assert_eq!(segment_uris(&text).last(), Some(&"seg08003.ts"));
    // Once the wrap segment is first in the window its tag goes, the sequence counts it.
    clock.advance(Duration::from_secs(2));
    let text = get(&base, "/v1/index.m3u8", false).await.text().to_owned();
    n_requests += 1;
    assert_eq!(tag_value(&text, "#EXT-X-MEDIA-SEQUENCE:"), Some("8000"));
    assert_eq!(
        tag_value(&text, "#EXT-X-DISCONTINUITY-SEQUENCE:"),
        Some("1000")
    );
    assert!(!text.contains("#EXT-X-DISCONTINUITY\n"), "{text}");

    let stats = origin.stats();
    origin.shutdown().await;
    let entries = read_log(&log);
    assert_eq!(entries.len(), n_requests);
    assert_eq!(stats.requests, n_requests as u64);
    assert_eq!(stats.status_count(404), 4);
    assert!(entries.iter().all(|e| e.user_agent == "test/raw"));
    let logged_bytes: u64 = entries.iter().map(|e| e.body_bytes).sum();
    assert_eq!(logged_bytes, stats.body_bytes);
}

/// The system clock moved by a fixed offset.
#[derive(Debug)]
struct OffsetClock(Duration);

impl Clock for OffsetClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + self.0
    }
}

struct Viewer {
    success: bool,
    stderr: String,
}

/// Runs one real ffmpeg viewer against `url`, killing it after `limit`.
async fn run_viewer(url: &str, ua: &str, secs: u32, limit: Duration) -> Viewer {
    let mut child = tokio::process::Command::new(tools::ffmpeg())
        .args([
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "repeat+level+debug",
        ])
        .args(["-user_agent", ua, "-i", url, "-map", "0", "-c", "copy"])
        .args(["-t", &secs.to_string(), "-f", "null", "-"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start ffmpeg");
    let mut stderr = child.stderr.take().unwrap();
    let reader = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf).await;
        String::from_utf8_lossy(&buf).into_owned()
    });
    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => status.unwrap(),
        Err(_) => {
            child.kill().await.unwrap();
            child.wait().await.unwrap()
        }
    };
    Viewer {
        success: status.success(),
        stderr: reader.await.unwrap(),
    }
}

fn count_requests(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.contains("request: GET "))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_ffmpeg_viewer_plays_and_every_request_is_logged() {
    let log = log_path("viewer");
    let cfg = OriginConfig {
        access_log: AccessLog::File(log.clone()),
        ..test_cfg()
    };
    // The first render can take seconds: have it before reading the clock.
    let rendition = rendition().await;
    // Start near the end of the loop so that the viewer plays across a loop wrap.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let offset = Duration::from_secs((6 + 8 - now % 8) % 8);
    let origin = serve_with_clock(&cfg, rendition, Arc::new(OffsetClock(offset)))
        .await
        .unwrap();
    let viewer = run_viewer(&origin.url(), "test/client-0", 6, Duration::from_secs(25)).await;
    origin.shutdown().await;
    assert!(viewer.success, "ffmpeg failed:\n{}", viewer.stderr);
    // The loop wrap is invisible to ffmpeg: one continuous MPEG-TS stream.
    for bad in [
        "corrupt",
        "Non-monotonous",
        "timestamp discontinuity",
        "non monotonically",
    ] {
        assert!(
            !viewer.stderr.contains(bad),
            "ffmpeg says {bad:?}:\n{}",
            viewer.stderr
        );
    }

    let entries = read_log(&log);
    let ours: Vec<_> = entries
        .iter()
        .filter(|e| e.user_agent == "test/client-0")
        .collect();
    assert_eq!(ours.len(), entries.len());
    assert_eq!(ours.len(), count_requests(&viewer.stderr), "{entries:#?}");
    assert!(ours.iter().all(|e| e.status == 206), "{entries:#?}");
    let seqs: Vec<u64> = ours
        .iter()
        .filter_map(|e| {
            e.path
                .strip_prefix("/v0/seg")?
                .strip_suffix(".ts")?
                .parse()
                .ok()
        })
        .collect();
    assert!(
        seqs.iter().any(|&n| n % 8 == 0 && seqs.contains(&(n - 1))),
        "the viewer did not cross a loop wrap: {seqs:?}"
    );
    let segments = ours.iter().filter(|e| e.path.ends_with(".ts")).count();
    assert!(segments >= 12, "two variants for 6 s: {segments} segments");
    assert!(ours.iter().any(|e| e.path == "/v1/index.m3u8"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_404s_reach_ffmpeg_and_the_log() {
    let log = log_path("fault404");
    let cfg = OriginConfig {
        access_log: AccessLog::File(log.clone()),
        faults: vec!["404:/v0/seg*.ts:1".parse().unwrap()],
        ..test_cfg()
    };
    let origin = serve(&cfg, rendition().await).await.unwrap();
    let viewer = run_viewer(&origin.url(), "test/client-404", 3, Duration::from_secs(5)).await;
    let stats = origin.stats();
    origin.shutdown().await;

    assert!(
        viewer.stderr.contains("HTTP error 404"),
        "{}",
        viewer.stderr
    );
    let entries = read_log(&log);
    let v0_segments: Vec<_> = entries
        .iter()
        .filter(|e| e.path.starts_with("/v0/seg"))
        .collect();
    assert!(!v0_segments.is_empty(), "{entries:#?}");
    assert!(
        v0_segments
            .iter()
            .all(|e| e.status == 404 && e.body_bytes > 0)
    );
    // ffmpeg 5.1 keeps retrying the first variant while probing, so it never gets to play:
    // it is stopped by the time limit, and every request it made is in the log.
    assert_eq!(stats.status_count(404), v0_segments.len() as u64);
    assert_eq!(entries.len(), count_requests(&viewer.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_decisions_are_reproducible_for_a_seed() {
    let rendition = rendition().await;
    let rules: Vec<FaultRule> = vec![
        "503:/v0/index.m3u8:0.5".parse().unwrap(),
        "delay:/v1/*:20ms".parse().unwrap(),
    ];
    let statuses = |seed: u64| {
        let rendition = rendition.clone();
        let rules = rules.clone();
        async move {
            let cfg = OriginConfig {
                faults: rules,
                seed,
                ..test_cfg()
            };
            let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(10_000));
            let origin = serve_with_clock(&cfg, rendition, Arc::new(clock))
                .await
                .unwrap();
            let mut out = Vec::new();
            for _ in 0..32 {
                out.push(
                    get(&origin.base_url(), "/v0/index.m3u8", false)
                        .await
                        .status,
                );
            }
            let started = std::time::Instant::now();
            assert_eq!(
                get(&origin.base_url(), "/v1/index.m3u8", false)
                    .await
                    .status,
                200
            );
            assert!(started.elapsed() >= Duration::from_millis(20));
            origin.shutdown().await;
            out
        }
    };
    let a = statuses(7).await;
    assert_eq!(a, statuses(7).await);
    assert_ne!(a, statuses(8).await);
    let predicted: Vec<u16> = (0..32)
        .map(|k| decide(&rules, 7, "/v0/index.m3u8", k).status.unwrap_or(200))
        .collect();
    assert_eq!(a, predicted);
    assert!(a.contains(&503) && a.contains(&200));
}

#[tokio::test]
async fn a_busy_port_and_a_missing_ffmpeg_say_what_to_do() {
    let rendition = rendition().await;
    let first = serve(&test_cfg(), rendition.clone()).await.unwrap();
    let cfg = OriginConfig {
        addr: first.local_addr(),
        ..test_cfg()
    };
    let err = serve(&cfg, rendition).await.unwrap_err();
    assert!(matches!(err, OriginError::AddrInUse { .. }), "{err:?}");
    assert!(err.to_string().contains("already in use"));
    first.shutdown().await;

    let cfg = OriginConfig {
        ffmpeg: "/nonexistent/ffmpeg".into(),
        cache_dir: Some(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("origin-no-ffmpeg")),
        ..test_cfg()
    };
    let err = render(&cfg).await.unwrap_err();
    assert!(matches!(err, OriginError::FfmpegNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("--ffmpeg"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_renders_share_one_cache_entry() {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("origin-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let cfg = OriginConfig {
        variants: vec![VariantSpec::new(160, 90, 100)],
        loop_secs: 8,
        segment_secs: 2,
        cache_dir: Some(cache.clone()),
        ..test_cfg()
    };
    let (a, b) = tokio::join!(render(&cfg), render(&cfg));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.dir(), b.dir());
    assert_eq!(a.n_loop_segments(), 4);
    assert_eq!(a.segment_bytes(0, 1), b.segment_bytes(0, 1));
    // Only the finished directory is left: no temporary render directories.
    let names: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let _ = std::fs::remove_dir_all(&cache);
}
