//! The origin's own figures beside ours: nginx serves the test stream (proxying the built-in
//! origin), Debian's node_exporter and nginx exporter watch it, and the dashboard's origin panel
//! of a real run shows non-zero CPU and network figures; the summary repeats them.

mod common;

use std::time::Duration;

use common::*;
use hls_swarm_testkit::exporters;

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
    let dir = Scratch::new("origin-metrics");
    let origin = Origin::start(&dir, &[]);
    let upstream = origin.handle.local_addr();
    let nginx = exporters::nginx(
        &dir,
        &format!(
            "proxy_pass http://{upstream}; proxy_http_version 1.1; proxy_set_header Connection \"\";"
        ),
    );
    let node = exporters::node_exporter(&dir);
    let exporter = exporters::nginx_exporter(&dir, &nginx);

    let json = dir.join("summary.json");
    let command = format!(
        "{BIN} run http://127.0.0.1:{}/master.m3u8 --clients 3 --ramp-rate 10 --duration 2m \
         --metrics 127.0.0.1:0 --user-agent e2e-origin \
         --origin-metrics {} --nginx-metrics {} \
         --origin-net-devices all --origin-metrics-interval 1s --summary-json {}",
        nginx.port,
        node.url("/metrics"),
        exporter.url("/metrics"),
        json.display(),
    );
    let tmux = Tmux::start("origin-metrics", 140, 45, &command);

    tmux.wait_for(
        "origin panel with non-zero CPU, network and nginx figures",
        Duration::from_secs(40),
        |pane| {
            origin_line(pane).is_some_and(|l| {
                nonzero_after(l, "cpu ")
                    && nonzero_after(l, "net in ")
                    && nonzero_after(l, "out ")
                    && nonzero_after(l, "requests/s ")
            })
        },
    );

    tmux.send_keys("q");
    assert_eq!(tmux.wait_exit(Duration::from_secs(30)), 0);
    let summary = read_summary(&json);
    let o = &summary["origin"];
    assert!(o["cpu_percent"].as_f64().is_some_and(|v| v > 0.0), "{o}");
    assert!(o["net_rx_bytes_per_s"].as_f64().is_some(), "{o}");
    assert!(o["nginx_connections_active"].as_u64().is_some(), "{o}");
    assert!(tmux.capture().contains("Origin (from its exporters"));
}
