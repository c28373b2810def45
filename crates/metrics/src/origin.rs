//! `OriginScraper`: scrapes the origin's node_exporter and nginx-prometheus-exporter on an
//! interval and publishes an [`OriginSnapshot`] through `ArcSwap`.

mod derive;

use crate::error::OriginError;
use arc_swap::ArcSwap;
use derive::{NginxReading, NodeReading};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// node_exporter's default port, for [`OriginConfig::from_host`].
pub const NODE_EXPORTER_PORT: u16 = 9100;
/// nginx-prometheus-exporter's default port, for [`OriginConfig::from_host`].
pub const NGINX_EXPORTER_PORT: u16 = 9113;
/// Default time between scrapes.
pub const DEFAULT_SCRAPE_INTERVAL: Duration = Duration::from_secs(2);
/// Default HTTP timeout of one scrape.
pub const DEFAULT_SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

/// Which network devices the receive/transmit rates add up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NetDevices {
    /// Every device except loopback (`lo`): the origin's real traffic. The default.
    #[default]
    ExceptLoopback,
    /// Every device node_exporter reports, loopback included (an origin tested on 127.0.0.1).
    All,
    /// Only these devices.
    Only(Vec<String>),
}

impl NetDevices {
    pub(crate) fn includes(&self, device: &str) -> bool {
        match self {
            NetDevices::ExceptLoopback => device != "lo",
            NetDevices::All => true,
            NetDevices::Only(names) => names.iter().any(|n| n == device),
        }
    }
}

/// What to scrape, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct OriginConfig {
    /// node_exporter's metrics URL (`--origin-metrics`).
    pub node_url: Option<String>,
    /// nginx-prometheus-exporter's metrics URL (`--nginx-metrics`).
    pub nginx_url: Option<String>,
    /// Time between scrapes (default 2 s).
    pub interval: Duration,
    /// HTTP timeout of one scrape (default 5 s).
    pub timeout: Duration,
    /// Devices the network rates cover.
    pub net_devices: NetDevices,
}

impl OriginConfig {
    /// Scrape these URLs with the default interval, timeout and device filter.
    pub fn new(node_url: Option<String>, nginx_url: Option<String>) -> OriginConfig {
        OriginConfig {
            node_url,
            nginx_url,
            interval: DEFAULT_SCRAPE_INTERVAL,
            timeout: DEFAULT_SCRAPE_TIMEOUT,
            net_devices: NetDevices::default(),
        }
    }

    /// Upstream's `--origin-metrics-host HOST`: `http://HOST:9100/metrics` and
    /// `http://HOST:9113/metrics`. Explicit URLs should win: overwrite the fields after.
    pub fn from_host(host: &str) -> OriginConfig {
        OriginConfig::from_host_ports(host, NODE_EXPORTER_PORT, NGINX_EXPORTER_PORT)
    }

    /// [`OriginConfig::from_host`] with other ports (`--origin-metrics-node-port`,
    /// `--origin-metrics-nginx-port`).
    pub fn from_host_ports(host: &str, node_port: u16, nginx_port: u16) -> OriginConfig {
        // A bare IPv6 address needs brackets in a URL.
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        OriginConfig::new(
            Some(format!("http://{host}:{node_port}/metrics")),
            Some(format!("http://{host}:{nginx_port}/metrics")),
        )
    }
}

/// How one exporter has been doing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceHealth {
    /// A URL was given for it.
    pub configured: bool,
    /// The last scrape's error (`connection refused`, `http status 404`, …), `None` after a success.
    pub last_error: Option<String>,
    /// When it last answered with usable data.
    pub last_success: Option<SystemTime>,
    /// Successful scrapes.
    pub successes: u64,
    /// Failed scrapes.
    pub failures: u64,
}

impl SourceHealth {
    /// Configured, scraped at least once, and the last scrape succeeded.
    pub fn is_up(&self) -> bool {
        self.configured && self.successes > 0 && self.last_error.is_none()
    }
}

/// The origin as last seen. Rates are `None` until two successful scrapes of their exporter;
/// a failed scrape keeps the previous values and records the error.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OriginSnapshot {
    /// CPU busy % over all CPUs between the last two node_exporter scrapes (not since boot).
    pub cpu_percent: Option<f64>,
    /// `MemTotal − MemAvailable` (`MemFree` if the kernel has no `MemAvailable`).
    pub memory_used_bytes: Option<u64>,
    /// `MemTotal`.
    pub memory_total_bytes: Option<u64>,
    /// Network bytes received per second over the selected devices.
    pub net_rx_bytes_per_s: Option<f64>,
    /// Network bytes sent per second over the selected devices.
    pub net_tx_bytes_per_s: Option<f64>,
    /// nginx's active client connections.
    pub nginx_connections_active: Option<u64>,
    /// nginx requests per second between the last two scrapes.
    pub nginx_requests_per_s: Option<f64>,
    /// node_exporter's health.
    pub node: SourceHealth,
    /// nginx-prometheus-exporter's health.
    pub nginx: SourceHealth,
    /// Scrape rounds done.
    pub rounds: u64,
}

impl OriginSnapshot {
    /// Every configured source's last scrape succeeded.
    pub fn healthy(&self) -> bool {
        [&self.node, &self.nginx]
            .iter()
            .all(|h| !h.configured || h.is_up())
    }

    /// The errors of the unhealthy sources, joined: `node_exporter: connection refused; nginx_exporter: …`.
    pub fn error_text(&self) -> Option<String> {
        let errors: Vec<String> = [
            ("node_exporter", &self.node),
            ("nginx_exporter", &self.nginx),
        ]
        .iter()
        .filter_map(|(name, h)| Some(format!("{name}: {}", h.last_error.as_ref()?)))
        .collect();
        (!errors.is_empty()).then(|| errors.join("; "))
    }
}

/// A cheap, clonable reader of the scraper's latest [`OriginSnapshot`].
#[derive(Debug, Clone, Default)]
pub struct OriginHandle {
    current: Arc<ArcSwap<OriginSnapshot>>,
}

impl OriginHandle {
    /// The latest snapshot (one lock-free `ArcSwap` load).
    pub fn load(&self) -> Arc<OriginSnapshot> {
        self.current.load_full()
    }

    /// A handle that always reads `snapshot`: for tests, demos and a dashboard preview.
    pub fn fixed(snapshot: OriginSnapshot) -> OriginHandle {
        let handle = OriginHandle::default();
        handle.publish(snapshot);
        handle
    }

    fn publish(&self, snapshot: OriginSnapshot) {
        self.current.store(Arc::new(snapshot));
    }
}

/// Scrapes the exporters; [`OriginScraper::spawn`] runs it on an interval.
#[derive(Debug)]
pub struct OriginScraper {
    config: OriginConfig,
    client: reqwest::Client,
    handle: OriginHandle,
    state: OriginSnapshot,
    prev_node: Option<(Instant, NodeReading)>,
    prev_nginx: Option<(Instant, NginxReading)>,
}

fn check_url(source_name: &'static str, url: &str) -> Result<(), OriginError> {
    let bad = |reason: String| OriginError::BadUrl {
        source_name,
        url: url.to_owned(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    if parsed.scheme() != "http" {
        return Err(bad(
            "only http:// is supported (this build has no TLS)".to_owned()
        ));
    }
    Ok(())
}

impl OriginScraper {
    /// A scraper for `config`; fails if no URL is given or one is not a valid `http://` URL.
    pub fn new(config: OriginConfig) -> Result<OriginScraper, OriginError> {
        if config.node_url.is_none() && config.nginx_url.is_none() {
            return Err(OriginError::NothingToScrape);
        }
        if let Some(url) = &config.node_url {
            check_url("node_exporter", url)?;
        }
        if let Some(url) = &config.nginx_url {
            check_url("nginx_exporter", url)?;
        }
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(OriginError::Client)?;
        let state = OriginSnapshot {
            node: SourceHealth {
                configured: config.node_url.is_some(),
                ..SourceHealth::default()
            },
            nginx: SourceHealth {
                configured: config.nginx_url.is_some(),
                ..SourceHealth::default()
            },
            ..OriginSnapshot::default()
        };
        let handle = OriginHandle::default();
        handle.publish(state.clone());
        Ok(OriginScraper {
            config,
            client,
            handle,
            state,
            prev_node: None,
            prev_nginx: None,
        })
    }

    /// The reader for the dashboard, the summary and the exporter.
    pub fn handle(&self) -> OriginHandle {
        self.handle.clone()
    }

    /// One round: scrapes both exporters at once, derives the figures, publishes the snapshot.
    pub async fn scrape_once(&mut self) -> Arc<OriginSnapshot> {
        let node = fetch_opt(
            &self.client,
            self.config.node_url.as_deref(),
            self.config.timeout,
        );
        let nginx = fetch_opt(
            &self.client,
            self.config.nginx_url.as_deref(),
            self.config.timeout,
        );
        let (node, nginx) = tokio::join!(node, nginx);
        if let Some(result) = node {
            let result = result.and_then(|(at, body)| {
                let reading =
                    derive::node_reading(&derive::parse(&body)?, &self.config.net_devices);
                if reading.cpu.is_none() {
                    return Err(
                        "no node_cpu_seconds_total in the response: is this node_exporter?"
                            .to_owned(),
                    );
                }
                Ok((at, reading))
            });
            self.apply_node(result);
        }
        if let Some(result) = nginx {
            let result = result.and_then(|(at, body)| {
                check_nginx(derive::nginx_reading(&derive::parse(&body)?)).map(|r| (at, r))
            });
            self.apply_nginx(result);
        }
        self.state.rounds += 1;
        self.handle.publish(self.state.clone());
        self.handle.load()
    }

    fn apply_node(&mut self, result: Result<(Instant, NodeReading), String>) {
        let (at, cur) = match result {
            Ok(ok) => ok,
            Err(e) => return fail(&mut self.state.node, e),
        };
        succeed(&mut self.state.node);
        let s = &mut self.state;
        s.memory_total_bytes = cur.mem_total.map(|v| v as u64).or(s.memory_total_bytes);
        s.memory_used_bytes = derive::memory_used(&cur)
            .map(|v| v as u64)
            .or(s.memory_used_bytes);
        if let Some((prev_at, prev)) = self.prev_node {
            let secs = at.saturating_duration_since(prev_at).as_secs_f64();
            if let (Some(p), Some(c)) = (prev.cpu, cur.cpu) {
                s.cpu_percent = derive::cpu_percent(p, c).or(s.cpu_percent);
            }
            s.net_rx_bytes_per_s =
                derive::per_second(prev.rx_bytes, cur.rx_bytes, secs).or(s.net_rx_bytes_per_s);
            s.net_tx_bytes_per_s =
                derive::per_second(prev.tx_bytes, cur.tx_bytes, secs).or(s.net_tx_bytes_per_s);
        }
        self.prev_node = Some((at, cur));
    }

    fn apply_nginx(&mut self, result: Result<(Instant, NginxReading), String>) {
        let (at, cur) = match result {
            Ok(ok) => ok,
            Err(e) => return fail(&mut self.state.nginx, e),
        };
        succeed(&mut self.state.nginx);
        let s = &mut self.state;
        s.nginx_connections_active = cur
            .connections_active
            .map(|v| v as u64)
            .or(s.nginx_connections_active);
        if let Some((prev_at, prev)) = self.prev_nginx {
            let secs = at.saturating_duration_since(prev_at).as_secs_f64();
            s.nginx_requests_per_s =
                derive::per_second(prev.requests_total, cur.requests_total, secs)
                    .or(s.nginx_requests_per_s);
        }
        self.prev_nginx = Some((at, cur));
    }

    /// Runs the scraper on a tokio task: a round now, then one every `interval`.
    pub fn spawn(mut self) -> OriginTask {
        let handle = self.handle();
        let (stop, mut stopped) = oneshot::channel::<()>();
        let interval = self.config.interval.max(Duration::from_millis(100));
        let join = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticker.tick() => {
                        tokio::select! {
                            _ = &mut stopped => break,
                            _ = self.scrape_once() => {}
                        }
                    }
                }
            }
        });
        OriginTask {
            handle,
            stop: Some(stop),
            join,
        }
    }
}

/// An nginx exporter answer is usable only if it could read nginx and has the request counter.
fn check_nginx(reading: NginxReading) -> Result<NginxReading, String> {
    if reading.up == Some(0.0) {
        return Err("nginx_up is 0: the exporter cannot read nginx's stub_status".to_owned());
    }
    if reading.requests_total.is_none() {
        return Err(
            "no nginx_http_requests_total in the response: is this nginx-prometheus-exporter?"
                .to_owned(),
        );
    }
    Ok(reading)
}

fn fail(health: &mut SourceHealth, error: String) {
    health.failures += 1;
    health.last_error = Some(error);
}

fn succeed(health: &mut SourceHealth) {
    health.successes += 1;
    health.last_error = None;
    health.last_success = Some(SystemTime::now());
}

async fn fetch_opt(
    client: &reqwest::Client,
    url: Option<&str>,
    timeout: Duration,
) -> Option<Result<(Instant, String), String>> {
    Some(fetch(client, url?, timeout).await)
}

/// GETs `url`; the `Instant` is when the body had arrived (the rate clock).
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
) -> Result<(Instant, String), String> {
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| describe(&e, timeout))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("http status {}", status.as_u16()));
    }
    let body = response.text().await.map_err(|e| describe(&e, timeout))?;
    Ok((Instant::now(), body))
}

/// A short, lower-case cause: `connection refused`, `timed out after 5s`, … rather than reqwest's
/// `error sending request for url (…)`.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {}s", timeout.as_secs_f64());
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        if let Some(io) = next.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                std::io::ErrorKind::ConnectionReset => "connection reset".to_owned(),
                _ => io.to_string(),
            };
        }
        cause = next;
    }
    cause.to_string()
}

/// A running scraper task.
#[derive(Debug)]
pub struct OriginTask {
    handle: OriginHandle,
    stop: Option<oneshot::Sender<()>>,
    join: JoinHandle<()>,
}

impl OriginTask {
    /// The reader of its snapshots.
    pub fn handle(&self) -> OriginHandle {
        self.handle.clone()
    }

    /// Stops the task (an in-flight scrape is abandoned) and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // The task may already have ended; nothing to stop then.
            let _ = stop.send(());
        }
        // A panic in the task is already reported by the runtime; nothing to add here.
        let _ = (&mut self.join).await;
    }
}

impl Drop for OriginTask {
    fn drop(&mut self) {
        // Not shut down explicitly: do not leave the task scraping behind our back.
        self.join.abort();
    }
}

#[cfg(test)]
mod tests;
