//! Unit tests of the origin derivations on canned node_exporter 1.5 and nginx-prometheus-exporter
//! 0.11 expositions, and of the scraper's keep-previous-values and error-text behaviour.

use super::derive::{self, CpuTimes};
use super::*;
use crate::error::ScrapeError;

/// A node_exporter 1.5 exposition (two CPUs, `lo` and `eth0`), trimmed to the families we read
/// plus a few neighbours, in its exact text format. `idle`/`busy` are per-CPU seconds.
fn node_text(idle: f64, user: f64, rx_eth0: f64, tx_eth0: f64, rx_lo: f64) -> String {
    let cpu_seconds: String = (0..2)
        .map(|cpu| {
            format!(
                r#"node_cpu_seconds_total{{cpu="{cpu}",mode="idle"}} {idle}
node_cpu_seconds_total{{cpu="{cpu}",mode="iowait"}} 12.5
node_cpu_seconds_total{{cpu="{cpu}",mode="irq"}} 0
node_cpu_seconds_total{{cpu="{cpu}",mode="nice"}} 0.3
node_cpu_seconds_total{{cpu="{cpu}",mode="softirq"}} 4.02
node_cpu_seconds_total{{cpu="{cpu}",mode="steal"}} 0
node_cpu_seconds_total{{cpu="{cpu}",mode="system"}} 60.11
node_cpu_seconds_total{{cpu="{cpu}",mode="user"}} {user}
"#
            )
        })
        .collect();
    format!(
        r#"# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 8
# HELP node_boot_time_seconds Node boot time, in unixtime.
# TYPE node_boot_time_seconds gauge
node_boot_time_seconds 1.700000123e+09
# HELP node_cpu_guest_seconds_total Seconds the CPUs spent in guests (VMs) for each mode.
# TYPE node_cpu_guest_seconds_total counter
node_cpu_guest_seconds_total{{cpu="0",mode="nice"}} 0
node_cpu_guest_seconds_total{{cpu="0",mode="user"}} 0
# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
{cpu_seconds}# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
# TYPE node_memory_MemAvailable_bytes gauge
node_memory_MemAvailable_bytes 6.262382592e+09
# HELP node_memory_MemFree_bytes Memory information field MemFree_bytes.
# TYPE node_memory_MemFree_bytes gauge
node_memory_MemFree_bytes 2.01326592e+09
# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.
# TYPE node_memory_MemTotal_bytes gauge
node_memory_MemTotal_bytes 8.201367552e+09
# HELP node_network_receive_bytes_total Network device statistic receive_bytes.
# TYPE node_network_receive_bytes_total counter
node_network_receive_bytes_total{{device="eth0"}} {rx_eth0}
node_network_receive_bytes_total{{device="lo"}} {rx_lo}
# HELP node_network_receive_packets_total Network device statistic receive_packets.
# TYPE node_network_receive_packets_total counter
node_network_receive_packets_total{{device="eth0"}} 1.234567e+06
node_network_receive_packets_total{{device="lo"}} 4242
# HELP node_network_transmit_bytes_total Network device statistic transmit_bytes.
# TYPE node_network_transmit_bytes_total counter
node_network_transmit_bytes_total{{device="eth0"}} {tx_eth0}
node_network_transmit_bytes_total{{device="lo"}} {rx_lo}
# HELP node_scrape_collector_success node_exporter: Whether a collector succeeded.
# TYPE node_scrape_collector_success gauge
node_scrape_collector_success{{collector="cpu"}} 1
node_scrape_collector_success{{collector="meminfo"}} 1
node_scrape_collector_success{{collector="netdev"}} 1
"#
    )
}

/// A nginx-prometheus-exporter 0.11 exposition for plain nginx (stub_status).
fn nginx_text(active: u64, requests: u64) -> String {
    format!(
        r#"# HELP nginx_connections_accepted Accepted client connections
# TYPE nginx_connections_accepted counter
nginx_connections_accepted 35
# HELP nginx_connections_active Active client connections
# TYPE nginx_connections_active gauge
nginx_connections_active {active}
# HELP nginx_connections_handled Handled client connections
# TYPE nginx_connections_handled counter
nginx_connections_handled 35
# HELP nginx_connections_reading Connections where NGINX is reading the request header
# TYPE nginx_connections_reading gauge
nginx_connections_reading 0
# HELP nginx_connections_waiting Idle client connections
# TYPE nginx_connections_waiting gauge
nginx_connections_waiting 2
# HELP nginx_connections_writing Connections where NGINX is writing the response back to the client
# TYPE nginx_connections_writing gauge
nginx_connections_writing 1
# HELP nginx_http_requests_total Total http requests
# TYPE nginx_http_requests_total counter
nginx_http_requests_total {requests}
# HELP nginx_up Status of the last metric scrape
# TYPE nginx_up gauge
nginx_up 1
# HELP nginxexporter_build_info Exporter build information
# TYPE nginxexporter_build_info gauge
nginxexporter_build_info{{arch="linux/amd64",commit="",date="",dirty="false",go="go1.19.8",version="0.11.0"}} 1
"#
    )
}

fn node(text: &str, devices: &NetDevices) -> derive::NodeReading {
    derive::node_reading(&derive::parse(text).unwrap(), |d| devices.includes(d))
}

#[test]
fn node_reading_sums_cpus_and_picks_devices() {
    let r = node(
        &node_text(1000.0, 200.0, 5e9, 1e9, 7e6),
        &NetDevices::default(),
    );
    // Per CPU: idle 1000; busy = 12.5 + 0.3 + 4.02 + 60.11 + 200 = 276.93 (iowait counts as busy).
    let cpu = r.cpu.unwrap();
    assert!((cpu.total - 2.0 * 1276.93).abs() < 1e-6, "{cpu:?}");
    assert!((cpu.busy - 2.0 * 276.93).abs() < 1e-6, "{cpu:?}");
    assert_eq!(r.rx_bytes, Some(5e9));
    assert_eq!(r.tx_bytes, Some(1e9));
    assert_eq!(derive::memory_used(&r), Some(8.201367552e9 - 6.262382592e9));
    let with_lo = node(&node_text(1000.0, 200.0, 5e9, 1e9, 7e6), &NetDevices::All);
    assert_eq!(with_lo.rx_bytes, Some(5e9 + 7e6));
    let only_lo = node(
        &node_text(1000.0, 200.0, 5e9, 1e9, 7e6),
        &NetDevices::Only(vec!["lo".into()]),
    );
    assert_eq!(only_lo.tx_bytes, Some(7e6));
}

#[test]
fn cpu_percent_is_a_rate_between_scrapes_not_since_boot() {
    // Since boot the host is ~22 % busy; between the two scrapes 2 CPUs × 10 s passed, 5 s busy.
    let a = node(
        &node_text(1000.0, 200.0, 0.0, 0.0, 0.0),
        &NetDevices::default(),
    )
    .cpu
    .unwrap();
    let b = node(
        &node_text(1007.5, 202.5, 0.0, 0.0, 0.0),
        &NetDevices::default(),
    )
    .cpu
    .unwrap();
    assert_eq!(derive::cpu_percent(a, b), Some(25.0));
    assert_eq!(derive::cpu_percent(b, a), None, "counters went backwards");
    assert_eq!(derive::cpu_percent(a, a), None, "no time passed");
    let all_busy = CpuTimes {
        busy: a.busy + 4.0,
        total: a.total + 4.0,
    };
    assert_eq!(derive::cpu_percent(a, all_busy), Some(100.0));
}

#[test]
fn rates_need_two_readings_and_reject_resets() {
    assert_eq!(
        derive::per_second(Some(100.0), Some(300.0), 2.0),
        Some(100.0)
    );
    assert_eq!(derive::per_second(None, Some(300.0), 2.0), None);
    assert_eq!(derive::per_second(Some(300.0), Some(100.0), 2.0), None);
    assert_eq!(derive::per_second(Some(1.0), Some(2.0), 0.0), None);
}

#[test]
fn nginx_reading_takes_connections_and_requests() {
    let r = derive::nginx_reading(&derive::parse(&nginx_text(3, 120)).unwrap());
    assert_eq!(r.up, Some(1.0));
    assert_eq!(r.connections_active, Some(3.0));
    assert_eq!(r.requests_total, Some(120.0));
}

fn scraper() -> OriginScraper {
    OriginScraper::new(OriginScraperConfig::from_host("127.0.0.1")).unwrap()
}

#[test]
fn two_scrapes_give_rates_and_a_failure_keeps_them() {
    let mut s = scraper();
    let t0 = Instant::now();
    let t1 = t0 + Duration::from_secs(2);
    let parse_node = |text: &str| node(text, &NetDevices::default());
    let parse_nginx = |text: &str| derive::nginx_reading(&derive::parse(text).unwrap());

    s.apply_node(Ok((
        t0,
        parse_node(&node_text(1000.0, 200.0, 5e9, 1e9, 0.0)),
    )));
    s.apply_nginx(Ok((t0, parse_nginx(&nginx_text(3, 120)))));
    assert_eq!(s.state.cpu_percent, None, "one scrape is not a rate");
    assert_eq!(s.state.net_rx_bytes_per_s, None);
    assert_eq!(s.state.nginx_requests_per_s, None);
    assert_eq!(s.state.nginx_connections_active, Some(3));
    assert_eq!(s.state.memory_total_bytes, Some(8_201_367_552));

    s.apply_node(Ok((
        t1,
        parse_node(&node_text(1001.0, 201.0, 5e9 + 2e6, 1e9 + 5e5, 0.0)),
    )));
    s.apply_nginx(Ok((t1, parse_nginx(&nginx_text(5, 140)))));
    assert_eq!(s.state.cpu_percent, Some(50.0));
    assert_eq!(s.state.net_rx_bytes_per_s, Some(1e6));
    assert_eq!(s.state.net_tx_bytes_per_s, Some(2.5e5));
    assert_eq!(s.state.nginx_requests_per_s, Some(10.0));
    assert_eq!(s.state.nginx_connections_active, Some(5));
    assert!(s.state.healthy());

    s.apply_nginx(Err(ScrapeError::Status { status: 503 }));
    assert_eq!(s.state.nginx_requests_per_s, Some(10.0), "kept");
    assert_eq!(s.state.nginx.failures, 1);
    assert!(!s.state.healthy());
    assert_eq!(
        s.state.error_text().as_deref(),
        Some("nginx_exporter: http status 503")
    );

    // The next success measures over the whole gap since the last good reading.
    let t3 = t1 + Duration::from_secs(4);
    s.apply_nginx(Ok((t3, parse_nginx(&nginx_text(1, 180)))));
    assert_eq!(s.state.nginx_requests_per_s, Some(10.0));
    assert!(s.state.healthy());
    assert_eq!(s.state.error_text(), None);
}

#[test]
fn host_shorthand_builds_both_urls() {
    let c = OriginScraperConfig::from_host("origin.lan");
    assert_eq!(
        c.node_url.as_deref(),
        Some("http://origin.lan:9100/metrics")
    );
    assert_eq!(
        c.nginx_url.as_deref(),
        Some("http://origin.lan:9113/metrics")
    );
    let c = OriginScraperConfig::from_host_ports("::1", 19100, 19113);
    assert_eq!(c.node_url.as_deref(), Some("http://[::1]:19100/metrics"));
    assert_eq!(c.interval, DEFAULT_SCRAPE_INTERVAL);
    assert_eq!(c.timeout, DEFAULT_SCRAPE_TIMEOUT);
}

#[test]
fn bad_configs_are_typed_errors() {
    let err = OriginScraper::new(OriginScraperConfig::new(None, None)).unwrap_err();
    assert!(matches!(err, OriginScraperError::NothingToScrape), "{err}");
    let err = OriginScraper::new(OriginScraperConfig::new(
        Some("https://h:9100/metrics".into()),
        None,
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad node_exporter URL \"https://h:9100/metrics\": only http:// is supported (this build has no TLS)"
    );
    assert!(matches!(err, OriginScraperError::NotHttp { .. }), "{err:?}");
    let err =
        OriginScraper::new(OriginScraperConfig::new(None, Some("not a url".into()))).unwrap_err();
    assert!(
        matches!(
            err,
            OriginScraperError::BadUrl {
                source_name: "nginx_exporter",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "bad nginx_exporter URL \"not a url\": it does not parse as a URL; pass http://HOST:PORT/metrics"
    );
    let cause = std::error::Error::source(&err).expect("the parse error is kept");
    assert_eq!(cause.to_string(), "relative URL without a base");
}

#[test]
fn answers_that_are_not_the_expected_exporter_are_typed_errors() {
    let not_node = check_node(node(&nginx_text(3, 120), &NetDevices::default())).unwrap_err();
    assert!(
        matches!(not_node, ScrapeError::NotNodeExporter),
        "{not_node}"
    );
    let html = derive::nginx_reading(&parse("<html><body>It works!</body></html>").unwrap());
    let not_nginx = check_nginx(html).unwrap_err();
    assert!(
        matches!(not_nginx, ScrapeError::NotNginxExporter),
        "{not_nginx}"
    );
    let down = nginx_text(0, 120).replace("nginx_up 1", "nginx_up 0");
    let down = check_nginx(derive::nginx_reading(&parse(&down).unwrap())).unwrap_err();
    assert_eq!(
        down.to_string(),
        "nginx_up is 0: the exporter cannot read nginx's stub_status"
    );
}

#[tokio::test]
async fn an_unreachable_exporter_reads_connection_refused() {
    // A port that was just free: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut s = OriginScraper::new(OriginScraperConfig::new(
        Some(format!("http://127.0.0.1:{port}/metrics")),
        None,
    ))
    .unwrap();
    let snap = s.scrape_once().await;
    let error = snap.node.last_error.as_ref().expect("the scrape failed");
    assert_eq!(error.to_string(), "connection refused");
    assert!(matches!(error, ScrapeError::Request { .. }), "{error:?}");
    let cause = std::error::Error::source(error).expect("the HTTP error is kept");
    assert!(cause.to_string().contains("127.0.0.1"), "{cause}");
    assert_eq!(
        snap.error_text().as_deref(),
        Some("node_exporter: connection refused")
    );
    assert!(!snap.nginx.configured);
    assert_eq!(snap.rounds, 1);
    assert_eq!(s.handle().load().rounds, 1);
}

#[tokio::test]
async fn an_exporter_that_never_answers_reads_timed_out() {
    // Accepts the connection and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let mut s = OriginScraper::new(OriginScraperConfig {
        timeout: Duration::from_millis(200),
        ..OriginScraperConfig::new(None, Some(url))
    })
    .unwrap();
    let (snap, _held) = tokio::join!(s.scrape_once(), listener.accept());
    let error = snap.nginx.last_error.as_ref().expect("the scrape failed");
    assert!(
        matches!(error, ScrapeError::Timeout { timeout, .. } if *timeout == Duration::from_millis(200)),
        "{error:?}"
    );
    assert_eq!(
        snap.error_text().as_deref(),
        Some("nginx_exporter: timed out after 0.2s")
    );
}
