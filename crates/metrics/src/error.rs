//! Typed errors of the exporter and the origin scraper.

use std::net::SocketAddr;

/// Why the `/metrics` server could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr} ({reason}): pass --metrics ADDR or --metrics off")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// A short, lower-case reason (`address in use`, `permission denied`, …).
        reason: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("metrics server failed: {0}")]
    Serve(#[source] std::io::Error),
    /// The server task panicked or was cancelled.
    #[error("metrics server task ended abnormally: {0}")]
    Task(String),
}

impl MetricsError {
    /// A bind error for `addr`, with a short reason taken from the I/O error kind.
    pub(crate) fn bind(addr: SocketAddr, source: std::io::Error) -> MetricsError {
        use std::io::ErrorKind;
        let reason = match source.kind() {
            ErrorKind::AddrInUse => "address in use".to_owned(),
            ErrorKind::PermissionDenied => "permission denied".to_owned(),
            ErrorKind::AddrNotAvailable => "address not available on this host".to_owned(),
            _ => source.to_string(),
        };
        MetricsError::Bind {
            addr,
            reason,
            source,
        }
    }
}

/// Why the origin scraper could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OriginError {
    /// Neither a node_exporter nor an nginx exporter URL was given.
    #[error(
        "no origin exporter to scrape: pass --origin-metrics URL, --nginx-metrics URL or --origin-metrics-host HOST"
    )]
    NothingToScrape,
    /// A URL does not parse or is not `http://` (this build has no TLS).
    #[error("bad {source_name} URL {url:?}: {reason}")]
    BadUrl {
        /// `node_exporter` or `nginx_exporter`.
        source_name: &'static str,
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client for origin scraping: {0}")]
    Client(#[source] reqwest::Error),
}
