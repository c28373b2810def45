//! The origin scraper against the real Debian exporters: node_exporter, and
//! nginx-prometheus-exporter in front of a real nginx, all on 127.0.0.1, started and killed here.

use hls_swarm_metrics::{
    Exporter, ExporterOptions, Format, NetDevices, OriginScraper, OriginScraperConfig,
};
use hls_swarm_testkit::{Scratch, exporters, poll};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn answers(client: &reqwest::Client, url: &str) -> Option<()> {
    let resp = client.get(url).send().await.ok()?;
    resp.status().is_success().then_some(())
}

#[tokio::test]
async fn real_exporters_give_every_origin_figure() {
    let dir = Scratch::new("origin-exporters");
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::write(dir.join("www/seg1.ts"), vec![0x47u8; 64 * 1024]).unwrap();
    let nginx = exporters::nginx(&dir, &format!("root {}/www;", dir.display()));
    let node = exporters::node_exporter(&dir);
    let nginx_exporter = exporters::nginx_exporter(&dir, &nginx);
    let (node_url, nginx_url) = (node.url("/metrics"), nginx_exporter.url("/metrics"));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let deadline = Duration::from_secs(30);

    let config = OriginScraperConfig {
        interval: Duration::from_millis(200),
        // Everything here runs over loopback: count `lo`, which the default leaves out.
        net_devices: NetDevices::All,
        ..OriginScraperConfig::new(Some(node_url), Some(nginx_url))
    };
    let task = OriginScraper::new(config).unwrap().spawn();
    let handle = task.handle();
    let segment = nginx.url("/seg1.ts");
    let snap = poll::expect_async("every origin figure", deadline, || {
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
    let broken = poll::expect_async("the nginx failure to show", deadline, || {
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
