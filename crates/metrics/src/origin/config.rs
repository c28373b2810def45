//! What the origin scraper reads and how often: [`OriginScraperConfig`], [`NetDevices`] and the
//! exporters' default ports.

use crate::error::OriginScraperError;
use std::time::Duration;

/// node_exporter's default port, for [`OriginScraperConfig::from_host`].
pub const NODE_EXPORTER_PORT: u16 = 9100;
/// nginx-prometheus-exporter's default port, for [`OriginScraperConfig::from_host`].
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

/// What the [`OriginScraper`](crate::OriginScraper) scrapes, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct OriginScraperConfig {
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

impl OriginScraperConfig {
    /// Scrape these URLs with the default interval, timeout and device filter.
    pub fn new(node_url: Option<String>, nginx_url: Option<String>) -> OriginScraperConfig {
        OriginScraperConfig {
            node_url,
            nginx_url,
            interval: DEFAULT_SCRAPE_INTERVAL,
            timeout: DEFAULT_SCRAPE_TIMEOUT,
            net_devices: NetDevices::default(),
        }
    }

    /// `--origin-metrics-host HOST`: `http://HOST:9100/metrics` and
    /// `http://HOST:9113/metrics`. Explicit URLs should win: overwrite the fields after.
    pub fn from_host(host: &str) -> OriginScraperConfig {
        OriginScraperConfig::from_host_ports(host, NODE_EXPORTER_PORT, NGINX_EXPORTER_PORT)
    }

    /// [`OriginScraperConfig::from_host`] with other ports (`--origin-metrics-node-port`,
    /// `--origin-metrics-nginx-port`).
    pub fn from_host_ports(host: &str, node_port: u16, nginx_port: u16) -> OriginScraperConfig {
        // A bare IPv6 address needs brackets in a URL.
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        OriginScraperConfig::new(
            Some(format!("http://{host}:{node_port}/metrics")),
            Some(format!("http://{host}:{nginx_port}/metrics")),
        )
    }

    /// At least one URL, and every URL given a valid `http://` URL.
    pub(crate) fn check(&self) -> Result<(), OriginScraperError> {
        if self.node_url.is_none() && self.nginx_url.is_none() {
            return Err(OriginScraperError::NothingToScrape);
        }
        if let Some(url) = &self.node_url {
            check_url("node_exporter", url)?;
        }
        if let Some(url) = &self.nginx_url {
            check_url("nginx_exporter", url)?;
        }
        Ok(())
    }
}

fn check_url(source_name: &'static str, url: &str) -> Result<(), OriginScraperError> {
    let parsed = reqwest::Url::parse(url).map_err(|source| OriginScraperError::BadUrl {
        source_name,
        url: url.to_owned(),
        source,
    })?;
    if parsed.scheme() != "http" {
        return Err(OriginScraperError::NotHttp {
            source_name,
            url: url.to_owned(),
        });
    }
    Ok(())
}
