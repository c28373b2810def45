//! The origin's own figures beside ours: nginx serves the test stream (proxying the built-in
//! origin), Debian's node_exporter and nginx exporter watch it, and the dashboard's origin panel
//! of a real run shows non-zero CPU and network figures; the summary repeats them.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

fn nginx_conf(dir: &Path, port: u16, upstream: &str) -> std::path::PathBuf {
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/nginx.error.log;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n  access_log {d}/nginx.access.log;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
         server {{\n    listen 127.0.0.1:{port};\n    location = /stub_status {{ stub_status; }}\n    \
         location / {{ proxy_pass http://{upstream}; proxy_http_version 1.1; proxy_set_header Connection \"\"; }}\n  }}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).expect("nginx.conf");
    path
}

/// `cpu 38%   memory …   net in 120 kB/s   out 24.5 MB/s   nginx connections 27   requests/s 52.0`
fn origin_line(pane: &str) -> Option<&str> {
    pane.lines()
        .find(|l| l.contains("cpu ") && l.contains("net in"))
}

fn nonzero_after(line: &str, label: &str) -> bool {
    line.split(label)
        .nth(1)
        .and_then(|rest| {
            let num: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            num.parse::<f64>().ok()
        })
        .is_some_and(|v| v > 0.0)
}

#[test]
fn origin_panel_shows_the_real_exporters_figures() {
    let nginx_bin = require_tool("/usr/sbin/nginx", "nginx-light");
    let node_bin = require_tool(
        "/usr/bin/prometheus-node-exporter",
        "prometheus-node-exporter",
    );
    let exporter_bin = require_tool(
        "/usr/bin/prometheus-nginx-exporter",
        "prometheus-nginx-exporter",
    );
    let dir = scratch("origin-metrics");
    let origin = Origin::start(&dir, &[]);
    let nginx_port = free_port();
    let conf = nginx_conf(&dir, nginx_port, &origin.handle.local_addr().to_string());
    let _nginx = spawn_guarded(
        Command::new(nginx_bin).args(["-c", conf.to_str().unwrap(), "-p", dir.to_str().unwrap()]),
        &dir.join("nginx.out"),
    );
    let listening = |port: u16| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    // The nginx exporter (0.11) exits at once if stub_status does not answer at its start.
    assert!(
        wait_until(Duration::from_secs(20), || listening(nginx_port)),
        "nginx did not start (logs in {})",
        dir.display()
    );
    let node_port = free_port();
    let _node = spawn_guarded(
        Command::new(node_bin).args([
            &format!("--web.listen-address=127.0.0.1:{node_port}"),
            "--collector.disable-defaults",
            "--collector.cpu",
            "--collector.meminfo",
            "--collector.netdev",
            // Debian's build excludes lo by default; the whole test runs on loopback.
            "--collector.netdev.device-exclude=^$",
        ]),
        &dir.join("node.out"),
    );
    let exporter_port = free_port();
    let _exporter = spawn_guarded(
        Command::new(exporter_bin)
            .args([
                "-nginx.scrape-uri",
                &format!("http://127.0.0.1:{nginx_port}/stub_status"),
            ])
            .args(["-web.listen-address", &format!("127.0.0.1:{exporter_port}")]),
        &dir.join("exporter.out"),
    );
    assert!(
        wait_until(Duration::from_secs(20), || listening(node_port)
            && listening(exporter_port)),
        "an exporter did not start (logs in {})",
        dir.display()
    );

    let tmux = Tmux::start("origin-metrics");
    let status = dir.join("exit-status");
    let json = dir.join("summary.json");
    let command = format!(
        "{BIN} run http://127.0.0.1:{nginx_port}/master.m3u8 --clients 3 --ramp-rate 10 --duration 2m \
         --metrics 127.0.0.1:0 --user-agent e2e-origin \
         --origin-metrics http://127.0.0.1:{node_port}/metrics \
         --nginx-metrics http://127.0.0.1:{exporter_port}/metrics \
         --origin-net-devices all --origin-metrics-interval 1s \
         --summary-json {}; echo $? > {}; sleep 600",
        json.display(),
        status.display()
    );
    tmux.session(140, 45, &command);

    let mut pane = String::new();
    let shown = wait_until(Duration::from_secs(40), || {
        pane = tmux.capture();
        origin_line(&pane).is_some_and(|l| {
            nonzero_after(l, "cpu ")
                && nonzero_after(l, "net in ")
                && nonzero_after(l, "out ")
                && nonzero_after(l, "requests/s ")
        })
    });
    assert!(
        shown,
        "the origin panel never showed non-zero CPU, network and nginx figures:\n{pane}"
    );

    tmux.run(&["send-keys", "-t", "run", "q"]);
    assert!(
        wait_until(Duration::from_secs(30), || status.exists()),
        "hls-swarm did not exit after q:\n{}",
        tmux.capture()
    );
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "0");
    let summary = read_summary(&json);
    let o = &summary["origin"];
    assert!(o["cpu_percent"].as_f64().is_some_and(|v| v > 0.0), "{o}");
    assert!(o["net_rx_bytes_per_s"].as_f64().is_some(), "{o}");
    assert!(o["nginx_connections_active"].as_u64().is_some(), "{o}");
    assert!(tmux.capture().contains("Origin (from its exporters"));
}
