//! An origin's real exporters, for the tests of `--origin-metrics` and `--nginx-metrics`: a
//! private nginx with `stub_status`, and Debian's node_exporter and nginx-prometheus-exporter in
//! front of it, all on 127.0.0.1, each started ready and killed when dropped.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::{Guarded, net, poll, tools};

/// How long nginx or an exporter may take to answer after it starts.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// A guarded process that answers HTTP on 127.0.0.1.
#[derive(Debug)]
pub struct Listening {
    /// The port it listens on.
    pub port: u16,
    process: Guarded,
}

impl Listening {
    /// Starts `cmd` with its output in `dir/<name>.out` and waits until `ready_path` answers
    /// 200 on `port`; fails at once if it exits, and at the deadline naming its log directory.
    fn start(dir: &Path, name: &str, port: u16, cmd: &mut Command, ready_path: &str) -> Listening {
        let mut process = Guarded::spawn_logged(cmd, &dir.join(format!("{name}.out")));
        let addr = format!("127.0.0.1:{port}");
        let answered = poll::until(START_DEADLINE, || {
            process.assert_running();
            matches!(net::http_get(&addr, ready_path), Some((200, _)))
        });
        assert!(
            answered,
            "{name} did not answer {ready_path} within {START_DEADLINE:?} (logs in {})",
            dir.display()
        );
        Listening { port, process }
    }

    /// `http://127.0.0.1:PORT` and `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Panics if the process has exited.
    pub fn assert_running(&mut self) {
        self.process.assert_running();
    }
}

/// Starts a private nginx (one worker, no daemon) with its configuration, logs and temporary
/// files in `dir`, `/stub_status`, and `location` as the body of `location / { … }` (`root DIR;`
/// or `proxy_pass http://ADDR;`); ready once `stub_status` answers. Its access log is
/// `dir/nginx.access.log`.
pub fn nginx(dir: &Path, location: &str) -> Listening {
    nginx_with(dir, "", location)
}

/// [`nginx`] that also writes `dir/nginx.timed.log`, one line per request:
/// `$status $body_bytes_sent $request_time "$request_uri" "$http_user_agent"` (the request
/// time in seconds with millisecond resolution, from the request's first byte read to the
/// response's last byte sent), read back with [`TimedLogLine::parse`].
pub fn nginx_timed(dir: &Path, location: &str) -> Listening {
    let d = dir.display();
    let http = format!(
        "log_format timed '$status $body_bytes_sent $request_time \"$request_uri\" \"$http_user_agent\"';\n  \
         access_log {d}/nginx.timed.log timed;\n  "
    );
    nginx_with(dir, &http, location)
}

/// One line of [`nginx_timed`]'s log.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedLogLine {
    /// The status answered.
    pub status: u16,
    /// `$body_bytes_sent`.
    pub body_bytes: u64,
    /// `$request_time`, seconds.
    pub request_time_s: f64,
    /// `$request_uri`.
    pub uri: String,
    /// `$http_user_agent`.
    pub user_agent: String,
}

impl TimedLogLine {
    /// Reads one line; `None` for anything else.
    ///
    /// ```
    /// use hls_swarm_testkit::exporters::TimedLogLine;
    /// let line = r#"206 110352 0.552 "/v0/seg1.ts" "e2e/client-0""#;
    /// let l = TimedLogLine::parse(line).unwrap();
    /// assert_eq!((l.status, l.body_bytes, l.uri.as_str()), (206, 110_352, "/v0/seg1.ts"));
    /// assert_eq!((l.request_time_s, l.user_agent.as_str()), (0.552, "e2e/client-0"));
    /// assert_eq!(TimedLogLine::parse("garbage"), None);
    /// ```
    pub fn parse(line: &str) -> Option<TimedLogLine> {
        let mut words = line.splitn(4, ' ');
        let status = words.next()?.parse().ok()?;
        let body_bytes = words.next()?.parse().ok()?;
        let request_time_s = words.next()?.parse().ok()?;
        let rest = words.next()?;
        let (uri, user_agent) = rest.strip_prefix('"')?.split_once("\" \"")?;
        Some(TimedLogLine {
            status,
            body_bytes,
            request_time_s,
            uri: uri.to_owned(),
            user_agent: user_agent.strip_suffix('"')?.to_owned(),
        })
    }
}

fn nginx_with(dir: &Path, http: &str, location: &str) -> Listening {
    let bin = tools::require_tool("/usr/sbin/nginx", "nginx-light");
    let port = net::free_port();
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/nginx.error.log;\nevents {{ worker_connections 256; }}\n\
         http {{\n  {http}access_log {d}/nginx.access.log;\n  client_body_temp_path {d}/body;\n  \
         proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
         uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
         server {{\n    listen 127.0.0.1:{port};\n    \
         location = /stub_status {{ stub_status; }}\n    location / {{ {location} }}\n  }}\n}}\n"
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).expect("write nginx.conf");
    let mut cmd = Command::new(bin);
    cmd.arg("-c").arg(&conf_path).arg("-p").arg(dir);
    // Until it has read its configuration, nginx logs to the error log given here.
    cmd.arg("-e").arg(dir.join("nginx.error.log"));
    Listening::start(dir, "nginx", port, &mut cmd, "/stub_status")
}

/// Starts node_exporter with only the cpu, meminfo and netdev collectors, loopback included.
pub fn node_exporter(dir: &Path) -> Listening {
    let bin = tools::require_tool(
        "/usr/bin/prometheus-node-exporter",
        "prometheus-node-exporter",
    );
    let port = net::free_port();
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .args([
            "--collector.disable-defaults",
            "--collector.cpu",
            "--collector.meminfo",
            "--collector.netdev",
            // Debian's build leaves out `lo` (`device-exclude=^lo$`); a test runs on loopback.
            "--collector.netdev.device-exclude=^$",
        ]);
    Listening::start(dir, "node_exporter", port, &mut cmd, "/metrics")
}

/// Starts nginx-prometheus-exporter scraping `nginx`'s `/stub_status`. It exits at once (0.11)
/// if `stub_status` does not answer, so it starts after nginx, which [`nginx`] returns once
/// `stub_status` answers.
pub fn nginx_exporter(dir: &Path, nginx: &Listening) -> Listening {
    let bin = tools::require_tool(
        "/usr/bin/prometheus-nginx-exporter",
        "prometheus-nginx-exporter",
    );
    let port = net::free_port();
    let mut cmd = Command::new(bin);
    cmd.args(["-nginx.scrape-uri", &nginx.url("/stub_status")])
        .args(["-web.listen-address", &format!("127.0.0.1:{port}")]);
    Listening::start(dir, "nginx_exporter", port, &mut cmd, "/metrics")
}
