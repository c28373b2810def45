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
    let bin = tools::require_tool("/usr/sbin/nginx", "nginx-light");
    let port = net::free_port();
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/nginx.error.log;\nevents {{ worker_connections 256; }}\n\
         http {{\n  access_log {d}/nginx.access.log;\n  client_body_temp_path {d}/body;\n  \
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
