//! The origin scraper against the real Debian exporters: node_exporter, and
//! nginx-prometheus-exporter in front of a real nginx, all on 127.0.0.1, started and killed here.

mod common;

use common::{poll_until, require_tool};
use hls_swarm_metrics::{
    Exporter, ExporterOptions, Format, NetDevices, OriginScraper, OriginScraperConfig,
};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A child process killed and reaped on drop.
struct Killed {
    name: &'static str,
    child: Child,
}

impl Killed {
    fn spawn(name: &'static str, cmd: &mut Command) -> Killed {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Killed { name, child }
    }

    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early: {status}", self.name);
        }
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        // Already exited is fine; then `wait` just reaps it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("hls-swarm-metrics-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(dir.join("www")).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover scratch dir in /tmp is harmless.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn nginx_conf(dir: &Path, port: u16) -> PathBuf {
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
         server {{\n    listen 127.0.0.1:{port};\n    location = /stub_status {{ stub_status; }}\n    \
         location / {{ root {d}/www; }}\n  }}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    std::fs::write(dir.join("www/seg1.ts"), vec![0x47u8; 64 * 1024]).unwrap();
    path
}

async fn answers(client: &reqwest::Client, url: &str) -> Option<()> {
    let resp = client.get(url).send().await.ok()?;
    resp.status().is_success().then_some(())
}

#[tokio::test]
async fn real_exporters_give_every_origin_figure() {
    let nginx_bin = require_tool("/usr/sbin/nginx", "nginx-light");
    let node_bin = require_tool(
        "/usr/bin/prometheus-node-exporter",
        "prometheus-node-exporter",
    );
    let nginx_exporter_bin = require_tool(
        "/usr/bin/prometheus-nginx-exporter",
        "prometheus-nginx-exporter",
    );
    let dir = TempDir::new();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let deadline = Duration::from_secs(30);

    let nginx_port = free_port();
    let conf = nginx_conf(&dir.0, nginx_port);
    let mut nginx = Killed::spawn(
        "nginx",
        Command::new(nginx_bin)
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(&dir.0)
            .arg("-e")
            .arg(dir.0.join("error.log")),
    );
    let stub = format!("http://127.0.0.1:{nginx_port}/stub_status");
    poll_until("nginx", deadline, || {
        nginx.assert_running();
        answers(&client, &stub)
    })
    .await;

    let node_port = free_port();
    let mut node = Killed::spawn(
        "prometheus-node-exporter",
        Command::new(node_bin).args([
            format!("--web.listen-address=127.0.0.1:{node_port}").as_str(),
            "--collector.disable-defaults",
            "--collector.cpu",
            "--collector.meminfo",
            "--collector.netdev",
            // Debian's build defaults to `--collector.netdev.device-exclude=^lo$`; everything here
            // runs over loopback, so keep `lo`.
            "--collector.netdev.device-exclude=^$",
        ]),
    );
    let exporter_port = free_port();
    let mut nginx_exporter = Killed::spawn(
        "prometheus-nginx-exporter",
        Command::new(nginx_exporter_bin)
            .args(["-nginx.scrape-uri", &stub])
            .args(["-web.listen-address", &format!("127.0.0.1:{exporter_port}")]),
    );
    let node_url = format!("http://127.0.0.1:{node_port}/metrics");
    let nginx_url = format!("http://127.0.0.1:{exporter_port}/metrics");
    poll_until("node_exporter", deadline, || {
        node.assert_running();
        answers(&client, &node_url)
    })
    .await;
    poll_until("nginx exporter", deadline, || {
        nginx_exporter.assert_running();
        answers(&client, &nginx_url)
    })
    .await;

    let config = OriginScraperConfig {
        interval: Duration::from_millis(200),
        // Everything here runs over loopback: count `lo`, which the default leaves out.
        net_devices: NetDevices::All,
        ..OriginScraperConfig::new(Some(node_url), Some(nginx_url))
    };
    let task = OriginScraper::new(config).unwrap().spawn();
    let handle = task.handle();
    let segment = format!("http://127.0.0.1:{nginx_port}/seg1.ts");
    let snap = poll_until("every origin figure", deadline, || {
        let (client, segment, handle) = (client.clone(), segment.clone(), handle.clone());
        async move {
            // Load between scrapes, so nginx's request counter and the loopback bytes move.
            for _ in 0..5 {
                answers(&client, &segment).await?;
            }
            let s = handle.load();
            let complete = s.cpu_percent.is_some()
                && s.net_rx_bytes_per_s.is_some_and(|v| v > 0.0)
                && s.net_tx_bytes_per_s.is_some_and(|v| v > 0.0)
                && s.nginx_requests_per_s.is_some_and(|v| v > 0.0);
            complete.then_some(s)
        }
    })
    .await;
    assert!(snap.healthy(), "{:?}", snap.error_text());
    let cpu = snap.cpu_percent.unwrap();
    assert!((0.0..=100.0).contains(&cpu), "cpu {cpu}");
    let (used, total) = (
        snap.memory_used_bytes.unwrap(),
        snap.memory_total_bytes.unwrap(),
    );
    assert!(used > 0 && used <= total, "memory {used} of {total}");
    // The nginx exporter's own stub_status request is an active connection while it scrapes.
    assert!(snap.nginx_connections_active.unwrap() >= 1);

    // The exporter re-exports them.
    let swarm = Arc::new(hls_swarm_aggregate::Aggregator::new(
        "http://x/y.m3u8",
        1,
        Instant::now(),
    ));
    let options = ExporterOptions {
        origin: Some(handle.clone()),
        ..ExporterOptions::default()
    };
    let body = Exporter::new(swarm, options).encode(Format::Text004);
    for name in [
        "hls_swarm_origin_cpu_percent ",
        "hls_swarm_origin_memory_used_bytes ",
        "hls_swarm_origin_network_receive_bytes_per_second ",
        "hls_swarm_origin_network_transmit_bytes_per_second ",
        "hls_swarm_origin_nginx_connections_active ",
        "hls_swarm_origin_nginx_requests_per_second ",
        "hls_swarm_origin_scrape_up{source=\"node_exporter\"} 1",
    ] {
        assert!(body.contains(name), "{name} missing in\n{body}");
    }

    // nginx goes away: the exporter reports nginx_up 0, the scraper says so and keeps its values.
    drop(nginx);
    let broken = poll_until("the nginx failure to show", deadline, || {
        let s = handle.load();
        async move { s.nginx.last_error.is_some().then_some(s) }
    })
    .await;
    let error = broken.error_text().unwrap();
    assert!(error.starts_with("nginx_exporter: "), "{error}");
    assert!(broken.nginx_requests_per_s.is_some(), "previous value kept");
    assert!(!broken.healthy());
    task.shutdown().await;
}
