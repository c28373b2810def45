//! The origin's body faults and stream ends over real HTTP: what a client reads on the wire and
//! what the access log says was sent.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hls_swarm_origin::{
    AccessLog, AccessLogEntry, FaultRule, ManualClock, OriginConfig, OriginHandle, Rendition,
    render, serve_with_clock,
};
use hls_swarm_testkit::tools;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::OnceCell;

fn cfg(name: &str, faults: &[&str]) -> OriginConfig {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let log = dir.join(format!("body-faults-{name}-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    OriginConfig {
        loop_secs: 8,
        cache_dir: Some(dir.join("origin-cache")),
        ffmpeg: tools::ffmpeg(),
        access_log: AccessLog::File(log),
        faults: faults
            .iter()
            .map(|f| f.parse::<FaultRule>().unwrap())
            .collect(),
        ..OriginConfig::default()
    }
}

async fn rendition(cfg: &OriginConfig) -> Rendition {
    static SHARED: OnceCell<Rendition> = OnceCell::const_new();
    SHARED
        .get_or_init(|| async { render(cfg).await.expect("render the test loop") })
        .await
        .clone()
}

/// A clock at a whole second well after the epoch, so segment numbers are plain.
fn clock() -> ManualClock {
    ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_000_000))
}

async fn start(cfg: &OriginConfig, clock: &ManualClock) -> OriginHandle {
    let rendition = rendition(cfg).await;
    serve_with_clock(cfg, rendition, Arc::new(clock.clone()))
        .await
        .expect("serve")
}

fn log(cfg: &OriginConfig) -> Vec<AccessLogEntry> {
    let AccessLog::File(path) = &cfg.access_log else {
        unreachable!()
    };
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| AccessLogEntry::parse(l).expect("a log line"))
        .collect()
}

/// What a client read: the head, and the body up to the end of the connection.
struct Read {
    head: String,
    body: Vec<u8>,
}

impl Read {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn status(&self) -> u16 {
        self.head
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap()
    }
}

/// A `GET path` with `Range: bytes=0-` (as ffmpeg sends) and `Connection: close`, read to the
/// end of the connection however the body ends.
async fn get(origin: &OriginHandle, path: &str) -> Read {
    let mut stream = tokio::net::TcpStream::connect(origin.local_addr())
        .await
        .unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\nUser-Agent: t/client-0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    Read {
        head: String::from_utf8_lossy(&raw[..at]).into_owned(),
        body: raw[at..].to_vec(),
    }
}

const SEGMENT: &str = "/v0/seg00999996.ts";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_body_ends_at_half_its_length_and_the_log_says_so() {
    let cfg = cfg("cut", &["cut:/v0/seg*.ts"]);
    let origin = start(&cfg, &clock()).await;
    let full = origin.rendition().segment_bytes(0, 999_996).unwrap().len();
    let read = get(&origin, SEGMENT).await;
    assert_eq!(read.status(), 206);
    assert_eq!(
        read.header("content-length"),
        Some(full.to_string().as_str())
    );
    assert_eq!(read.body.len(), full / 2, "the body is cut at its half");
    assert_eq!(origin.stats().body_fault_count("cut"), 1);
    origin.shutdown().await;
    let entries = log(&cfg);
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].status, entries[0].body_bytes),
        (206, (full / 2) as u64)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_body_is_a_whole_response_of_half_the_file() {
    let cfg = cfg("short", &["short:*.ts"]);
    let origin = start(&cfg, &clock()).await;
    let full = origin.rendition().segment_bytes(0, 999_996).unwrap().len();
    let half = full / 2;
    let read = get(&origin, SEGMENT).await;
    assert_eq!(read.status(), 206);
    assert_eq!(
        read.header("content-length"),
        Some(half.to_string().as_str())
    );
    let range = format!("bytes 0-{}/{half}", half - 1);
    assert_eq!(read.header("content-range"), Some(range.as_str()));
    assert_eq!(read.body.len(), half);
    // Playlists are not touched by a rule for segments.
    let playlist = get(&origin, "/v0/index.m3u8").await;
    assert!(String::from_utf8_lossy(&playlist.body).contains("#EXTINF"));
    origin.shutdown().await;
    let bytes: Vec<u64> = log(&cfg).iter().map(|e| e.body_bytes).collect();
    assert_eq!(bytes[0], half as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_segment_is_200_with_no_body_even_to_a_range() {
    let cfg = cfg("empty", &["empty:*.ts"]);
    let origin = start(&cfg, &clock()).await;
    let read = get(&origin, SEGMENT).await;
    assert_eq!(read.status(), 200);
    assert_eq!(read.header("content-length"), Some("0"));
    assert!(read.body.is_empty());
    // An error answer stays an error: only successful bodies are emptied.
    assert_eq!(get(&origin, "/v0/seg00000001.ts").await.status(), 404);
    origin.shutdown().await;
    let statuses: Vec<(u16, u64)> = log(&cfg).iter().map(|e| (e.status, e.body_bytes)).collect();
    assert_eq!(statuses, [(200, 0), (404, 10)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_body_takes_its_time_and_is_logged_when_it_ends() {
    // 64 KiB/s: a segment of the 800 kbit/s variant (about 100 kB) takes more than a second.
    let cfg = cfg("rate", &["rate:/v0/*.ts:64k"]);
    let origin = start(&cfg, &clock()).await;
    let full = origin.rendition().segment_bytes(0, 999_996).unwrap().len();
    let started = Instant::now();
    let read = get(&origin, SEGMENT).await;
    let took = started.elapsed();
    assert_eq!(read.body.len(), full);
    let least = Duration::from_secs_f64((full - 64 * 1024 / 20) as f64 / (64.0 * 1024.0));
    assert!(
        took >= least,
        "{full} bytes in {took:?}, faster than 64 KiB/s"
    );
    origin.shutdown().await;
    let entries = log(&cfg);
    assert_eq!(
        (entries[0].status, entries[0].body_bytes),
        (206, full as u64)
    );
    let logged = UNIX_EPOCH + Duration::from_millis(entries[0].unix_ms);
    let age = SystemTime::now().duration_since(logged).unwrap();
    assert!(
        age < took / 2,
        "logged when the body ended, not when it began"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_stream_stops_moving_and_an_ended_one_says_endlist() {
    let clock = clock();
    let stale = OriginConfig {
        stale_after: Some(Duration::from_secs(3)),
        ..cfg("stale", &[])
    };
    let ending = OriginConfig {
        end_after: Some(Duration::from_secs(3)),
        ..cfg("ending", &[])
    };
    let (stale_origin, ending_origin) = (start(&stale, &clock).await, start(&ending, &clock).await);
    let playlist = |o: &OriginHandle| {
        let o = o.local_addr();
        async move {
            let mut s = tokio::net::TcpStream::connect(o).await.unwrap();
            s.write_all(b"GET /v0/index.m3u8 HTTP/1.0\r\n\r\n")
                .await
                .unwrap();
            let mut raw = String::new();
            s.read_to_string(&mut raw).await.unwrap();
            raw.split_once("\r\n\r\n").unwrap().1.to_owned()
        }
    };
    let before = playlist(&stale_origin).await;
    clock.advance(Duration::from_secs(2));
    let moving = playlist(&stale_origin).await;
    assert_ne!(before, moving, "the window moves before it goes stale");
    assert!(!playlist(&ending_origin).await.contains("#EXT-X-ENDLIST"));
    clock.advance(Duration::from_secs(1));
    let frozen = playlist(&stale_origin).await;
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        playlist(&stale_origin).await,
        frozen,
        "a stale window stays"
    );
    assert!(!frozen.contains("#EXT-X-ENDLIST"));
    let ended = playlist(&ending_origin).await;
    assert!(ended.ends_with("#EXT-X-ENDLIST\n"), "{ended}");
    assert_eq!(ended.trim_end_matches("#EXT-X-ENDLIST\n"), frozen);
    // The last window's segments are still served a minute later.
    let last = frozen.lines().rev().find(|l| l.starts_with("seg")).unwrap();
    for origin in [&stale_origin, &ending_origin] {
        let read = get(origin, &format!("/v0/{last}")).await;
        assert_eq!(read.status(), 206, "{last}");
    }
}
