//! The tap against Debian's nginx: download times against nginx's own `$request_time` on a
//! rate-limited location, and ffmpeg pulling HLS over https through a `CONNECT` tunnel, with
//! its certificate verified against a CA made in the test.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{DEADLINE, connect, exchange, proxy_get, shutdown, start_tap};
use hls_swarm_tap::Failure;
use hls_swarm_testkit::{Guarded, Scratch, net, poll, tools};

/// nginx's rate limit on `/slow/`, bytes a second.
const RATE: u64 = 400 * 1024;

/// A private nginx serving `dir/www`: plain http on one port (with `/slow/` rate-limited),
/// https on another when `dir/cert.pem` exists. Its access log `dir/access.log` holds
/// `status body_bytes_sent request_time "uri" connection`.
struct Nginx {
    port: u16,
    tls_port: u16,
    _process: Guarded,
}

impl Nginx {
    fn start(dir: &Path) -> Nginx {
        let bin = tools::require_tool("/usr/sbin/nginx", "nginx-light");
        let (port, tls_port) = (net::free_port(), net::free_port());
        let d = dir.display();
        let tls = if dir.join("cert.pem").exists() {
            format!(
                "server {{ listen 127.0.0.1:{tls_port} ssl; ssl_certificate {d}/cert.pem; \
                 ssl_certificate_key {d}/key.pem; location / {{ root {d}/www; }} }}"
            )
        } else {
            String::new()
        };
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log;\nevents {{ worker_connections 256; }}\nhttp {{\n\
             log_format timing '$status $body_bytes_sent $request_time \"$request_uri\" $connection';\n\
             access_log {d}/access.log timing;\nclient_body_temp_path {d}/body;\n\
             proxy_temp_path {d}/proxy;\nfastcgi_temp_path {d}/fastcgi;\n\
             uwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n\
             types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; }}\n\
             server {{ listen 127.0.0.1:{port};\n\
               location /slow/ {{ root {d}/www; limit_rate {RATE}; }}\n\
               location / {{ root {d}/www; }} }}\n{tls}\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let mut cmd = Command::new(bin);
        cmd.arg("-c").arg(dir.join("nginx.conf")).arg("-p").arg(dir);
        cmd.arg("-e").arg(dir.join("error.log"));
        let mut process = Guarded::spawn_logged(&mut cmd, &dir.join("nginx.out"));
        let up = poll::until(DEADLINE, || {
            process.assert_running();
            net::listening(port)
        });
        assert!(up, "nginx did not listen (logs in {d})");
        Nginx {
            port,
            tls_port,
            _process: process,
        }
    }
}

/// One line of the access log.
#[derive(Debug)]
struct Logged {
    status: u16,
    bytes: u64,
    request_time: Duration,
    uri: String,
    connection: u64,
}

fn read_log(dir: &Path) -> Vec<Logged> {
    let text = std::fs::read_to_string(dir.join("access.log")).unwrap_or_default();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            Logged {
                status: f[0].parse().unwrap(),
                bytes: f[1].parse().unwrap(),
                request_time: Duration::from_secs_f64(f[2].parse().unwrap()),
                uri: f[3].trim_matches('"').to_owned(),
                connection: f[4].parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn download_times_agree_with_nginxs_request_time() {
    let dir = Scratch::new("tap-nginx-timing");
    let www = dir.join("www/slow");
    std::fs::create_dir_all(&www).unwrap();
    let sizes = [150 * 1024, 300 * 1024, 600 * 1024, 1200 * 1024];
    for (i, size) in sizes.iter().enumerate() {
        std::fs::write(www.join(format!("f{i}.ts")), vec![b'a' + i as u8; *size]).unwrap();
    }
    std::fs::write(dir.join("www/fast.m3u8"), "#EXTM3U\n").unwrap();
    let nginx = Nginx::start(&dir);
    let base = format!("http://127.0.0.1:{}", nginx.port);
    let (tap, records) = start_tap(&format!("{base}/fast.m3u8"));
    let mut paths: Vec<String> = (0..sizes.len()).map(|i| format!("/slow/f{i}.ts")).collect();
    paths.extend(["/fast.m3u8".to_owned(), "/missing.ts".to_owned()]);
    let mut viewer = connect(&tap);
    for path in &paths {
        let reply = exchange(&mut viewer, &proxy_get(&format!("{base}{path}"), 0)).unwrap();
        assert!(
            reply.status == 206 || reply.status == 200 || reply.status == 404,
            "{path}"
        );
    }
    let ours = records.wait_requests(paths.len());
    let logged = poll::expect("nginx's log lines", DEADLINE, || {
        let lines = read_log(&dir);
        (lines.len() == paths.len()).then_some(lines)
    });
    let mut ratios = Vec::new();
    for (r, l) in ours.iter().zip(&logged) {
        assert_eq!(r.path.as_str(), l.uri);
        assert_eq!(
            (r.status, r.body_bytes),
            (Some(l.status), l.bytes),
            "{}",
            l.uri
        );
        let download = r.download.unwrap();
        eprintln!("{}: tap {download:?}, nginx {:?}", l.uri, l.request_time);
        if l.uri.starts_with("/slow/") {
            let ratio = download.as_secs_f64() / l.request_time.as_secs_f64();
            assert!(
                (0.9..=1.1).contains(&ratio),
                "{}: {download:?} against {:?}",
                l.uri,
                l.request_time
            );
            ratios.push(ratio);
        } else {
            // nginx's resolution is a millisecond.
            assert!(
                download < l.request_time + Duration::from_millis(20),
                "{}",
                l.uri
            );
        }
    }
    ratios.sort_by(f64::total_cmp);
    eprintln!(
        "median tap/nginx download time: {:.4}",
        ratios[ratios.len() / 2]
    );
    let statuses = |s: &mut dyn Iterator<Item = u16>| {
        let mut v: Vec<u16> = s.collect();
        v.sort();
        v
    };
    assert_eq!(
        statuses(&mut ours.iter().map(|r| r.status.unwrap())),
        statuses(&mut logged.iter().map(|l| l.status))
    );
    drop(viewer);
    shutdown(tap, DEADLINE);
}

/// A CA and a certificate for 127.0.0.1 it signed: writes `ca.pem`, `cert.pem`, `key.pem`.
fn make_certificates(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

/// Four one-second segments of a VOD HLS stream in `dir`, encoded by ffmpeg.
fn make_stream(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let status = Command::new(tools::ffmpeg())
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(["-f", "lavfi", "-i", "testsrc=size=320x180:rate=25"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args([
            "-t",
            "4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "25",
        ])
        .args([
            "-c:a",
            "aac",
            "-f",
            "hls",
            "-hls_time",
            "1",
            "-hls_playlist_type",
            "vod",
        ])
        .arg(dir.join("index.m3u8"))
        .status()
        .unwrap();
    assert!(status.success(), "ffmpeg could not make the test stream");
}

/// ffmpeg pulling `url` through `proxy`, with `tls` options; its exit status and stderr.
fn pull(url: &str, proxy: &str, tls: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(tools::ffmpeg());
    cmd.args([
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "repeat+level+debug",
    ])
    .args(["-user_agent", "hls-swarm/client-0", "-http_proxy", proxy])
    .args(tls)
    .args(["-i", url, "-map", "0", "-c", "copy", "-f", "null", "-"])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let output = Guarded::spawn(&mut cmd).wait_output(Duration::from_secs(60));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn ffmpeg_pulls_hls_over_https_through_a_verified_connect_tunnel() {
    let dir = Scratch::new("tap-nginx-tls");
    make_certificates(&dir);
    make_stream(&dir.join("www/tls"));
    let nginx = Nginx::start(&dir);
    let url = format!("https://127.0.0.1:{}/tls/index.m3u8", nginx.tls_port);
    let (tap, records) = start_tap(&url);
    let ca = dir.join("ca.pem").display().to_string();

    // Without the test CA, verification fails: so the run below really verified.
    let (ok, _) = pull(&url, &tap.proxy_url(), &["-tls_verify", "1"]);
    assert!(!ok, "ffmpeg accepted a certificate it cannot verify");
    let unverified_tunnels = records.wait_tunnels(1).len();
    let logged_before = read_log(&dir).len();
    assert_eq!(
        logged_before, 0,
        "nothing was requested over an unverified connection"
    );

    let (ok, stderr) = pull(
        &url,
        &tap.proxy_url(),
        &["-tls_verify", "1", "-ca_file", &ca],
    );
    assert!(ok, "ffmpeg failed:\n{stderr}");
    let logged = read_log(&dir);
    let sent = stderr.matches("request: GET ").count();
    assert_eq!(sent, logged.len(), "ffmpeg's requests, nginx's log");
    // ffmpeg asks `Range: bytes=0-`; nginx answers 206.
    assert!(logged.iter().all(|l| l.status == 206), "{logged:?}");
    assert_eq!(logged.iter().filter(|l| l.uri.ends_with(".ts")).count(), 4);
    // One tunnel per TLS connection nginx saw.
    let connections: std::collections::BTreeSet<u64> =
        logged.iter().map(|l| l.connection).collect();
    let totals = shutdown(tap, DEADLINE);
    let tunnels = records.tunnels.lock().unwrap().clone();
    let verified = &tunnels[unverified_tunnels..];
    eprintln!("{verified:#?}\n{totals:?}");
    assert_eq!(
        verified.len(),
        connections.len(),
        "tunnels, nginx's connections"
    );
    let host = format!("127.0.0.1:{}", nginx.tls_port);
    let body_bytes: u64 = logged.iter().map(|l| l.bytes).sum();
    let down: u64 = verified.iter().map(|t| t.bytes_down).sum();
    assert!(
        down > body_bytes,
        "TLS carries more than the bodies: {down} <= {body_bytes}"
    );
    for t in verified {
        assert_eq!(
            (t.host.as_str(), t.viewer),
            (host.as_str(), None),
            "ffmpeg sends no User-Agent on CONNECT"
        );
        assert!(t.bytes_up > 0 && t.connect.is_some());
        assert!(
            matches!(t.failure, None | Some(Failure::UpstreamCut)),
            "{t:?}"
        );
    }
    assert_eq!(
        (totals.requests, totals.refused),
        (0, 0),
        "https requests are not seen one by one"
    );
}
