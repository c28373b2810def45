//! Against the real ffmpeg (`$HLS_SWARM_FFMPEG`, else `ffmpeg` on `PATH`): the capability probe
//! agrees with what that ffmpeg says of itself, and the built command is accepted end to end;
//! the probe and the command also against the static ffmpeg 9 `cargo xtask deps` installs.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Observer, Recorder, Stream};
use hls_swarm_supervise::{
    ExitStatusKind, FfmpegConfig, Header, ProbeError, Swarm, SwarmOptions, Variant,
    VariantProbeError, ffprobe_for, probe, probe_variants,
};
use hls_swarm_testkit::{Scratch, poll, tools};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Option errors an ffmpeg prints when a command line does not fit it.
const OPTION_ERRORS: [&str; 4] = [
    "Unrecognized option",
    "Invalid loglevel",
    "Option not found",
    "Error splitting the argument list",
];

/// The ffmpeg under test; its `-version` must run (`cargo xtask deps` installs ffmpeg).
fn ffmpeg() -> PathBuf {
    runs(tools::ffmpeg())
}

/// `ffmpeg`, once its `-version` has run.
fn runs(ffmpeg: PathBuf) -> PathBuf {
    let out = Command::new(&ffmpeg)
        .arg("-version")
        .output()
        .unwrap_or_else(|e| panic!("{} does not run: {e}", ffmpeg.display()));
    assert!(out.status.success(), "{}: {out:?}", ffmpeg.display());
    ffmpeg
}

/// What `ffmpeg args…` prints on stdout and stderr together.
fn ask(ffmpeg: &Path, args: &[&str]) -> String {
    let out = Command::new(ffmpeg).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// The options listed in the `SECTION AVOptions:` part of `ffmpeg -h full`.
fn options_in(full_help: &str, section: &str) -> Vec<String> {
    let heading = format!("{section} AVOptions:");
    full_help
        .lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with('-'))
        .map(str::to_owned)
        .collect()
}

/// Whether a log line starts with a `YYYY-MM-DD ` date.
fn dated(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 11
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
}

/// The probe against the installed ffmpeg, each capability checked the way a person would:
/// the version from `-version`, the reconnect and retry options from the `http` and
/// `hls demuxer` sections of `-h full`, the `datetime` log flag by logging with it.
#[tokio::test]
async fn probe_finds_what_the_installed_ffmpeg_supports() {
    probe_finds_what_it_supports(ffmpeg()).await;
}

/// The static ffmpeg 9 has every option hls-swarm uses.
#[tokio::test]
async fn probe_finds_what_ffmpeg_9_supports() {
    let caps = probe_finds_what_it_supports(runs(tools::ffmpeg_9())).await;
    assert_eq!(caps.version.as_ref().map(|v| v.major), Some(9), "{caps:?}");
    assert!(caps.loglevel_datetime);
    assert!(caps.missing_options().is_empty(), "{caps:?}");
}

async fn probe_finds_what_it_supports(ffmpeg: PathBuf) -> hls_swarm_supervise::Capabilities {
    let caps = probe(&ffmpeg).await.unwrap();

    let banner = ask(&ffmpeg, &["-version"]);
    let raw = banner.split_whitespace().nth(2).unwrap();
    let version = caps.version.clone().unwrap();
    assert_eq!(version.raw, raw, "{banner}");
    let numbers: Vec<u32> = raw
        .trim_start_matches('n')
        .split(|c: char| !c.is_ascii_digit())
        .take(2)
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    assert_eq!([version.major, version.minor], numbers[..], "{raw}");

    let full = ask(&ffmpeg, &["-hide_banner", "-h", "full"]);
    let http = options_in(&full, "http");
    let hls = options_in(&full, "hls demuxer");
    assert!(
        !http.is_empty() && !hls.is_empty(),
        "no http or hls demuxer section in -h full"
    );
    let has = |options: &[String], name: &str| options.iter().any(|o| o == name);
    assert_eq!(caps.http_reconnect, has(&http, "-reconnect"));
    assert_eq!(
        caps.http_reconnect_streamed,
        has(&http, "-reconnect_streamed")
    );
    assert_eq!(
        caps.http_reconnect_on_network_error,
        has(&http, "-reconnect_on_network_error")
    );
    assert_eq!(
        caps.http_reconnect_delay_max,
        has(&http, "-reconnect_delay_max")
    );
    assert_eq!(caps.hls_seg_max_retry, has(&hls, "-seg_max_retry"));

    // An ffmpeg that knows `datetime` dates its error about the missing input; one that does
    // not rejects the log level instead.
    let logged = ask(
        &ffmpeg,
        &[
            "-hide_banner",
            "-loglevel",
            "level+datetime",
            "-i",
            "/nonexistent/input",
        ],
    );
    let datetime = logged.lines().any(dated);
    assert!(datetime || logged.contains("Invalid loglevel"), "{logged}");
    assert_eq!(caps.loglevel_datetime, datetime, "{logged}");

    // Debian bookworm's 5.1, which the fixtures come from, is known exactly.
    if (version.major, version.minor) == (5, 1) {
        assert!(!caps.loglevel_datetime);
        assert!(!caps.hls_seg_max_retry);
        assert!(caps.http_reconnect);
        assert!(caps.http_reconnect_streamed);
        assert!(caps.http_reconnect_on_network_error);
        assert!(caps.http_reconnect_delay_max);
    }
    eprintln!("{} {raw}: {caps:?}", ffmpeg.display());
    caps
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
    built_command_is_accepted_by(ffmpeg()).await;
}

#[tokio::test]
async fn built_command_is_accepted_by_ffmpeg_9() {
    built_command_is_accepted_by(runs(tools::ffmpeg_9())).await;
}

async fn built_command_is_accepted_by(ffmpeg: PathBuf) {
    let caps = probe(&ffmpeg).await.unwrap();
    let mut config = FfmpegConfig::new("http://127.0.0.1:9/x.m3u8");
    config.ffmpeg = ffmpeg.clone();
    config.reconnect_delay_max = 1;
    config.no_cache = true;
    config.headers.push(Header::parse("X-Test: 1").unwrap());
    config.variant = Variant::First;
    // `-progress pipe:3` needs an fd 3, as the swarm gives it (newer ffmpegs open it at once).
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new("sh")
            .args(["-c", "exec \"$0\" \"$@\" 3>/dev/null"])
            .arg(&ffmpeg)
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

/// Renders `secs` seconds of lavfi's test pattern (160x120, 10 fps) as a VOD HLS stream of 1 s
/// segments at `playlist`, with the encoding arguments `args`.
fn make_hls(ffmpeg: &Path, secs: u32, args: &[&str], playlist: &Path) {
    let made = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc=d={secs}:s=160x120:r=10"))
        .args(args)
        .args(["-f", "hls", "-hls_time", "1", "-hls_list_size", "0"])
        .arg(playlist)
        .status()
        .unwrap();
    assert!(
        made.success(),
        "ffmpeg could not render {}",
        playlist.display()
    );
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
    let ffmpeg = ffmpeg();
    let dir = Scratch::new("hls");
    make_hls(&ffmpeg, 2, &["-c:v", "mpeg2video"], &dir.join("index.m3u8"));
    let (addr, seen) = serve(dir.to_path_buf()).await;

    let caps = probe(&ffmpeg).await.unwrap();
    let mut config = FfmpegConfig::new(format!("http://origin.test:{}/index.m3u8", addr.port()));
    config.ffmpeg = ffmpeg;
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
    let done = poll::until(Duration::from_secs(30), || !recorder.exits(0).is_empty());
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
    // The level prefix the command asks for.
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
    let ffmpeg = ffmpeg();
    let dir = Scratch::new("variants");
    // Two video variants of the one source, at 500 and 100 kb/s, and their master playlist.
    let variants = [
        "-map", "0:v", "-map", "0:v", "-b:v:0", "500k", "-b:v:1", "100k",
    ];
    let master = [
        "-var_stream_map",
        "v:0 v:1",
        "-master_pl_name",
        "master.m3u8",
    ];
    let args = [&variants[..], &["-c:v", "mpeg2video"], &master].concat();
    make_hls(&ffmpeg, 6, &args, &dir.join("v%v/index.m3u8"));
    let (addr, seen) = serve(dir.to_path_buf()).await;
    let mut config = FfmpegConfig::new(format!("http://127.0.0.1:{}/master.m3u8", addr.port()));
    config.ffmpeg = ffmpeg.clone();
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
    let caps = probe(&ffmpeg).await.unwrap();
    let args = config.build_args(&caps, 0);
    let lowest = format!("0:p:{}", programs[0].program_id);
    assert!(args.iter().any(|a| *a == *lowest));
    let output = tokio::process::Command::new(&ffmpeg)
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
    let err = probe_variants(&ffprobe_for(&ffmpeg()), &config, Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(matches!(err, VariantProbeError::Timeout(_)), "{err:?}");
    // The probe was given 500 ms against a server that never answers: it must not wait 60 s.
    assert!(begin.elapsed() < Duration::from_secs(30));
}
