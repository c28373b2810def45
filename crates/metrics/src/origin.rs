//! `OriginScraper`: scrapes the origin's node_exporter and nginx-prometheus-exporter on an
//! interval and publishes an [`OriginSnapshot`] through `ArcSwap`.

mod config;
mod derive;
mod snapshot;

pub use config::{
    DEFAULT_SCRAPE_INTERVAL, DEFAULT_SCRAPE_TIMEOUT, NGINX_EXPORTER_PORT, NODE_EXPORTER_PORT,
    NetDevices, OriginScraperConfig,
};
pub use snapshot::{OriginScraperHandle, OriginSnapshot, SourceHealth};

use crate::error::{OriginScraperError, ScrapeError};
use derive::{NginxReading, NodeReading};
use prometheus_parse::Scrape;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Scrapes the exporters; [`OriginScraper::spawn`] runs it on an interval.
#[derive(Debug)]
pub struct OriginScraper {
    config: OriginScraperConfig,
    client: reqwest::Client,
    handle: OriginScraperHandle,
    state: OriginSnapshot,
    prev_node: Option<(Instant, NodeReading)>,
    prev_nginx: Option<(Instant, NginxReading)>,
}

impl OriginScraper {
    /// A scraper for `config`; fails if no URL is given or one is not a valid `http://` URL.
    pub fn new(config: OriginScraperConfig) -> Result<OriginScraper, OriginScraperError> {
        config.check()?;
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(OriginScraperError::Client)?;
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
        let handle = OriginScraperHandle::default();
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
    pub fn handle(&self) -> OriginScraperHandle {
        self.handle.clone()
    }

    /// One round: scrapes both exporters at once, derives the figures, publishes the snapshot.
    pub async fn scrape_once(&mut self) -> Arc<OriginSnapshot> {
        let timeout = self.config.timeout;
        let node = fetch_opt(&self.client, self.config.node_url.as_deref(), timeout);
        let nginx = fetch_opt(&self.client, self.config.nginx_url.as_deref(), timeout);
        let (node, nginx) = tokio::join!(node, nginx);
        if let Some(result) = node {
            let devices = &self.config.net_devices;
            let result = result.and_then(|(at, body)| {
                let reading = derive::node_reading(&parse(&body)?, |d| devices.includes(d));
                check_node(reading).map(|r| (at, r))
            });
            self.apply_node(result);
        }
        if let Some(result) = nginx {
            let result = result.and_then(|(at, body)| {
                check_nginx(derive::nginx_reading(&parse(&body)?)).map(|r| (at, r))
            });
            self.apply_nginx(result);
        }
        self.state.rounds += 1;
        self.handle.publish(self.state.clone());
        self.handle.load()
    }

    fn apply_node(&mut self, result: Result<(Instant, NodeReading), ScrapeError>) {
        let Some((at, cur)) = self.state.node.record(result) else {
            return;
        };
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

    fn apply_nginx(&mut self, result: Result<(Instant, NginxReading), ScrapeError>) {
        let Some((at, cur)) = self.state.nginx.record(result) else {
            return;
        };
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

/// The exposition in an exporter's answer.
fn parse(body: &str) -> Result<Scrape, ScrapeError> {
    derive::parse(body).map_err(|e| ScrapeError::Unparsable {
        source: Arc::new(e),
    })
}

/// A node_exporter answer is usable only if it has the CPU counters.
fn check_node(reading: NodeReading) -> Result<NodeReading, ScrapeError> {
    if reading.cpu.is_none() {
        return Err(ScrapeError::NotNodeExporter);
    }
    Ok(reading)
}

/// An nginx exporter answer is usable only if it could read nginx and has the request counter.
fn check_nginx(reading: NginxReading) -> Result<NginxReading, ScrapeError> {
    if reading.up == Some(0.0) {
        return Err(ScrapeError::NginxDown);
    }
    if reading.requests_total.is_none() {
        return Err(ScrapeError::NotNginxExporter);
    }
    Ok(reading)
}

async fn fetch_opt(
    client: &reqwest::Client,
    url: Option<&str>,
    timeout: Duration,
) -> Option<Result<(Instant, String), ScrapeError>> {
    Some(fetch(client, url?, timeout).await)
}

/// GETs `url`; the `Instant` is when the body had arrived (the rate clock).
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
) -> Result<(Instant, String), ScrapeError> {
    let failed = |e| ScrapeError::request(e, timeout);
    let response = client.get(url).send().await.map_err(failed)?;
    let status = response.status();
    if !status.is_success() {
        return Err(ScrapeError::Status {
            status: status.as_u16(),
        });
    }
    let body = response.text().await.map_err(failed)?;
    Ok((Instant::now(), body))
}

/// A running scraper task.
#[derive(Debug)]
pub struct OriginTask {
    handle: OriginScraperHandle,
    stop: Option<oneshot::Sender<()>>,
    join: JoinHandle<()>,
}

impl OriginTask {
    /// The reader of its snapshots.
    pub fn handle(&self) -> OriginScraperHandle {
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
