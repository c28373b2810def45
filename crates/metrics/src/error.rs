//! Typed errors of the exporter and the origin scraper. Each `Display` is one lower-case sentence;
//! a wrapped error is the `source()`, not repeated in the text (print the chain to see it).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Why the `/metrics` server could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    #[error("the metrics server stopped on an I/O error")]
    Serve(#[source] std::io::Error),
    /// The server task panicked or was cancelled.
    #[error("the metrics server task panicked or was cancelled")]
    Task(#[source] tokio::task::JoinError),
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

/// The error `reqwest::Url::parse` returns.
pub(crate) type UrlParseError = <reqwest::Url as std::str::FromStr>::Err;

/// Why the [`OriginScraper`](crate::OriginScraper) could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OriginScraperError {
    /// Neither a node_exporter nor an nginx exporter URL was given.
    #[error(
        "no origin exporter to scrape: pass --origin-metrics URL, --nginx-metrics URL or --origin-metrics-host HOST"
    )]
    NothingToScrape,
    /// A URL does not parse.
    #[error(
        "bad {source_name} URL {url:?}: it does not parse as a URL; pass http://HOST:PORT/metrics"
    )]
    BadUrl {
        /// `node_exporter` or `nginx_exporter`.
        source_name: &'static str,
        /// The URL as given.
        url: String,
        /// Why it does not parse (a `url::ParseError`).
        #[source]
        source: UrlParseError,
    },
    /// A URL is not `http://` (this build has no TLS).
    #[error("bad {source_name} URL {url:?}: only http:// is supported (this build has no TLS)")]
    NotHttp {
        /// `node_exporter` or `nginx_exporter`.
        source_name: &'static str,
        /// The URL as given.
        url: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client for origin scraping")]
    Client(#[source] reqwest::Error),
}

/// Why one scrape of an origin exporter gave no reading. The `Display` is the short text the
/// dashboard and the summary show after the exporter's name
/// ([`OriginSnapshot::error_text`](crate::OriginSnapshot::error_text)). It is `Clone` (the
/// HTTP client's error is shared) so that every published [`OriginSnapshot`](crate::OriginSnapshot)
/// carries it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ScrapeError {
    /// No complete answer within the scrape timeout.
    #[error("timed out after {}s", .timeout.as_secs_f64())]
    Timeout {
        /// The scrape timeout.
        timeout: Duration,
        /// The HTTP client's error.
        #[source]
        source: Arc<reqwest::Error>,
    },
    /// The exporter could not be reached, or the connection broke before the whole body was read.
    /// The text is the innermost cause, in short: `connection refused`, `connection reset`, ….
    #[error("{}", short_cause(.source))]
    Request {
        /// The HTTP client's error.
        #[source]
        source: Arc<reqwest::Error>,
    },
    /// The exporter answered with a status other than 2xx.
    #[error("http status {status}")]
    Status {
        /// The HTTP status code.
        status: u16,
    },
    /// The answer could not be read as a Prometheus text exposition.
    #[error("unparsable exposition: is this the exporter's /metrics URL?")]
    Unparsable {
        /// prometheus-parse's error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The answer has no `node_cpu_seconds_total`.
    #[error("no node_cpu_seconds_total in the response: is this node_exporter?")]
    NotNodeExporter,
    /// The nginx exporter answered `nginx_up 0`.
    #[error("nginx_up is 0: the exporter cannot read nginx's stub_status")]
    NginxDown,
    /// The answer has no `nginx_http_requests_total`.
    #[error("no nginx_http_requests_total in the response: is this nginx-prometheus-exporter?")]
    NotNginxExporter,
}

impl ScrapeError {
    /// A failed request or body read of a scrape with this `timeout`.
    pub(crate) fn request(source: reqwest::Error, timeout: Duration) -> ScrapeError {
        let source = Arc::new(source);
        if source.is_timeout() {
            ScrapeError::Timeout { timeout, source }
        } else {
            ScrapeError::Request { source }
        }
    }
}

/// A short, lower-case cause: `connection refused`, `connection reset`, … rather than reqwest's
/// `error sending request for url (…)`: the first I/O error in the chain, else the innermost error.
fn short_cause(e: &reqwest::Error) -> String {
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
