//! Against the real /usr/bin/ffmpeg: capability probe, and the built command accepted end to end.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Observer, Recorder, Stream, wait_until};
use hls_swarm_supervise::{
    ExitStatusKind, FfmpegConfig, Header, ProbeError, Swarm, SwarmOptions, Variant,
    VariantProbeError, ffprobe_for, probe, probe_variants,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FFMPEG: &str = "/usr/bin/ffmpeg";

/// Option errors an ffmpeg prints when a command line does not fit it.
const OPTION_ERRORS: [&str; 4] = [
    "Unrecognized option",
    "Invalid loglevel",
    "Option not found",
    "Error splitting the argument list",
];

/// The installed ffmpeg's `-version` banner; a missing ffmpeg fails the test (`cargo xtask ci` installs it).
fn ffmpeg_banner() -> String {
    let out = Command::new(FFMPEG)
        .arg("-version")
        .output()
        .unwrap_or_else(|e| panic!("{FFMPEG} is required (cargo xtask deps installs it): {e}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ffmpeg_5_1_installed() -> bool {
    ffmpeg_banner().starts_with("ffmpeg version 5.1")
}

#[tokio::test]
async fn probe_finds_what_ffmpeg_5_1_supports() {
    if !ffmpeg_5_1_installed() {
        eprintln!("skipped: {FFMPEG} is not ffmpeg 5.1, whose capabilities this test pins");
        return;
    }
    let caps = probe(Path::new(FFMPEG)).await.unwrap();
    let version = caps.version.clone().unwrap();
    assert_eq!((version.major, version.minor), (5, 1));
    assert!(!caps.loglevel_datetime);
    assert!(!caps.hls_seg_max_retry);
    assert!(caps.http_reconnect);
    assert!(caps.http_reconnect_streamed);
    assert!(caps.http_reconnect_on_network_error);
    assert!(caps.http_reconnect_delay_max);
}

#[tokio::test]
async fn probe_of_a_missing_ffmpeg_says_what_to_do() {
    let err = probe(Path::new("/nonexistent/ffmpeg")).await.unwrap_err();
    assert!(matches!(err, ProbeError::NotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "ffmpeg not found at /nonexistent/ffmpeg: install it (apt-get install ffmpeg) or pass --ffmpeg PATH"
    );
}

#[tokio::test]
async fn probe_of_something_else_is_not_ffmpeg() {
    let err = probe(Path::new("/bin/true")).await.unwrap_err();
    assert!(matches!(err, ProbeError::NotFfmpeg { .. }), "{err:?}");
}

/// Runs the real ffmpeg with the built arguments against a closed port: every option must be
/// accepted, and the failure must be the connection.
#[tokio::test]
async fn built_command_is_accepted_and_fails_only_on_the_connection() {
    ffmpeg_banner();
    let caps = probe(Path::new(FFMPEG)).await.unwrap();
    let mut config = FfmpegConfig::new("http://127.0.0.1:9/x.m3u8");
    config.ffmpeg = PathBuf::from(FFMPEG);
    config.reconnect_delay_max = 1;
    config.no_cache = true;
    config.headers.push(Header::parse("X-Test: 1").unwrap());
    config.variant = Variant::First;
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(FFMPEG)
            .args(config.build_args(&caps, 0))
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    for bad in OPTION_ERRORS {
        assert!(!stderr.contains(bad), "{bad}: {stderr}");
    }
    assert!(!output.status.success());
    assert!(stderr.contains("Connection refused"), "{stderr}");
}

/// Requests the test server saw: `(path, headers)`.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// A tiny HTTP/1.1 file server (one request per connection) over `dir`.
async fn serve(dir: PathBuf) -> (SocketAddr, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let dir = dir.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&request).into_owned();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                log.lock().unwrap().push((path.clone(), request));
                let file = dir.join(path.trim_start_matches('/'));
                let response = match std::fs::read(&file) {
                    Ok(body) => {
                        let mut head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        head.extend_from_slice(&body);
                        head
                    }
                    Err(_) => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (addr, seen)
}

/// The whole path with the real ffmpeg: probe, build, spawn under the swarm with fd 3,
/// pull a short VOD HLS stream from a local server through `resolve`, exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_ffmpeg_pulls_a_stream_under_the_swarm() {
    ffmpeg_banner();
    let dir = common::temp_dir("hls");
    let made = Command::new(FFMPEG)
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc=d=2:s=160x120:r=10")
        .args([
            "-c:v",
            "mpeg2video",
            "-f",
            "hls",
            "-hls_time",
            "1",
            "-hls_list_size",
            "0",
        ])
        .arg(dir.join("index.m3u8"))
        .status()
        .unwrap();
    assert!(made.success());
    let (addr, seen) = serve(dir).await;

    let caps = probe(Path::new(FFMPEG)).await.unwrap();
    let mut config = FfmpegConfig::new(format!("http://origin.test:{}/index.m3u8", addr.port()));
    config.ffmpeg = PathBuf::from(FFMPEG);
    config.user_agent = "it".to_owned();
    config.resolve = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    config.no_cache = true;
    config.headers.push(Header::parse("X-Test: 1").unwrap());
    let recorder = Recorder::new();
    let mut swarm = Swarm::start(
        config,
        caps,
        Arc::new(Observer(recorder.clone())),
        SwarmOptions {
            viewers: 1,
            seed: Some(1),
            ..SwarmOptions::default()
        },
    )
    .unwrap();
    let done = wait_until(Duration::from_secs(30), || !recorder.exits(0).is_empty()).await;
    swarm.stop();
    tokio::time::timeout(Duration::from_secs(10), swarm.wait())
        .await
        .unwrap();
    assert!(done, "ffmpeg did not finish");

    let report = &recorder.exits(0)[0];
    let stderr = recorder.lines(0, 0, Stream::Stderr).join("\n");
    assert_eq!(report.status, ExitStatusKind::Code(0), "{stderr}");
    for bad in OPTION_ERRORS.iter().chain(&["not found"]) {
        assert!(!stderr.contains(bad), "{bad}: {stderr}");
    }
    // 5.1's level prefix, no datetime.
    assert!(stderr.contains("[debug]"), "{stderr}");
    let progress = recorder.lines(0, 0, Stream::Progress);
    assert!(
        progress.iter().any(|l| l.starts_with("out_time_us=")),
        "{progress:?}"
    );
    assert_eq!(progress.last().map(String::as_str), Some("progress=end"));

    let seen = seen.lock().unwrap().clone();
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert!(
        paths.contains(&"/index.m3u8") && paths.contains(&"/index0.ts"),
        "{paths:?}"
    );
    for (_, request) in &seen {
        assert!(request.contains("User-Agent: it/client-0\r\n"), "{request}");
        assert!(request.contains("X-Test: 1\r\n"), "{request}");
        assert!(request.contains("Pragma: no-cache\r\n"), "{request}");
        assert!(
            request.contains(&format!("Host: origin.test:{}\r\n", addr.port())),
            "{request}"
        );
    }
}

/// ffprobe on a two-variant playlist through the same headers, and the chosen program
/// accepted by ffmpeg as `-map 0:p:<id>`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variant_probe_picks_programs_that_ffmpeg_accepts() {
    ffmpeg_banner();
    let dir = common::temp_dir("variants");
    let made = Command::new(FFMPEG)
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc=d=6:s=160x120:r=10")
        .args(["-map", "0:v", "-map", "0:v", "-c:v", "mpeg2video"])
        .args(["-b:v:0", "500k", "-b:v:1", "100k", "-f", "hls"])
        .args([
            "-var_stream_map",
            "v:0 v:1",
            "-master_pl_name",
            "master.m3u8",
        ])
        .args(["-hls_time", "1", "-hls_list_size", "0"])
        .arg(dir.join("v%v/index.m3u8"))
        .status()
        .unwrap();
    assert!(made.success());
    let (addr, seen) = serve(dir).await;
    let mut config = FfmpegConfig::new(format!("http://127.0.0.1:{}/master.m3u8", addr.port()));
    config.ffmpeg = PathBuf::from(FFMPEG);
    config.user_agent = "vp".to_owned();
    config.headers.push(Header::parse("X-Probe: yes").unwrap());
    let ffprobe = ffprobe_for(&config.ffmpeg);
    let programs = probe_variants(&ffprobe, &config, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(programs.len(), 2, "{programs:?}");
    assert!(programs[0].variant_bitrate < programs[1].variant_bitrate);
    let requests = seen.lock().unwrap().clone();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|(_, r)| r.contains("User-Agent: vp/client-0\r\n")
                && r.contains("X-Probe: yes\r\n"))
    );

    config.variant = Variant::Lowest;
    config.program_id = Variant::Lowest.select(&programs);
    let caps = probe(Path::new(FFMPEG)).await.unwrap();
    let args = config.build_args(&caps, 0);
    let lowest = format!("0:p:{}", programs[0].program_id);
    assert!(args.iter().any(|a| *a == *lowest));
    let output = tokio::process::Command::new(FFMPEG)
        .args(&args)
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // ffmpeg's stream-info probe reads the first segment(s) of every variant; after that
    // only the selected (lowest, v1) variant is fetched.
    let after: Vec<String> = seen.lock().unwrap()[requests.len()..]
        .iter()
        .map(|(p, _)| p.clone())
        .collect();
    let count = |prefix: &str| {
        after
            .iter()
            .filter(|p| p.starts_with(prefix) && p.ends_with(".ts"))
            .count()
    };
    assert!(count("/v1/") >= 4, "{after:?}");
    assert!(count("/v0/") < count("/v1/"), "{after:?}");
}

#[tokio::test]
async fn variant_probe_times_out_instead_of_hanging() {
    // A server that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut config = FfmpegConfig::new(format!("http://127.0.0.1:{port}/master.m3u8"));
    config.timeout = Duration::from_secs(60);
    let begin = std::time::Instant::now();
    let err = probe_variants(
        Path::new("/usr/bin/ffprobe"),
        &config,
        Duration::from_millis(500),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, VariantProbeError::Timeout(_)), "{err:?}");
    // The probe was given 500 ms against a server that never answers: it must not wait 60 s.
    assert!(begin.elapsed() < Duration::from_secs(30));
}
