//! What the scraper publishes: [`OriginSnapshot`], each exporter's [`SourceHealth`], and the
//! [`OriginScraperHandle`] that reads the latest one.

use crate::error::ScrapeError;
use arc_swap::ArcSwap;
use std::sync::Arc;
use std::time::SystemTime;

/// How one exporter has been doing.
#[derive(Debug, Clone, Default)]
pub struct SourceHealth {
    /// A URL was given for it.
    pub configured: bool,
    /// Why the last scrape failed (its `Display`: `connection refused`, `http status 404`, …),
    /// `None` after a success.
    pub last_error: Option<ScrapeError>,
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

    /// Counts one scrape, a success or a failure (whose error becomes `last_error`), and gives
    /// back the reading of a success.
    pub(crate) fn record<T>(&mut self, scrape: Result<T, ScrapeError>) -> Option<T> {
        match scrape {
            Ok(reading) => {
                self.successes += 1;
                self.last_error = None;
                self.last_success = Some(SystemTime::now());
                Some(reading)
            }
            Err(error) => {
                self.failures += 1;
                self.last_error = Some(error);
                None
            }
        }
    }
}

/// The origin as last seen. Rates are `None` until two successful scrapes of their exporter;
/// a failed scrape keeps the previous values and records the error.
#[derive(Debug, Clone, Default)]
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
pub struct OriginScraperHandle {
    current: Arc<ArcSwap<OriginSnapshot>>,
}

impl OriginScraperHandle {
    /// The latest snapshot (one lock-free `ArcSwap` load).
    pub fn load(&self) -> Arc<OriginSnapshot> {
        self.current.load_full()
    }

    /// A handle that always reads `snapshot`: for tests, demos and a dashboard preview.
    pub fn fixed(snapshot: OriginSnapshot) -> OriginScraperHandle {
        let handle = OriginScraperHandle::default();
        handle.publish(snapshot);
        handle
    }

    pub(crate) fn publish(&self, snapshot: OriginSnapshot) {
        self.current.store(Arc::new(snapshot));
    }
}
