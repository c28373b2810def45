//! `TapError`: why the tap could not start, or refused a host.

/// Why a [`Tap`](crate::Tap) could not start, or a host could not be allowed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TapError {
    /// The target is not an `http://` or `https://` URL with a host.
    #[error(
        "tap target {0:?} is not an http:// or https:// URL with a host: pass the stream's URL"
    )]
    InvalidTarget(String),
    /// A host given to [`Tap::allow_host`](crate::Tap::allow_host) is not `host[:port]`.
    #[error("{0:?} is not a host[:port]: write it as host:port, e.g. cdn.example.com:80")]
    InvalidHost(String),
    /// The allow list holds [`TapConfig::max_allowed_hosts`](crate::TapConfig::max_allowed_hosts) hosts already.
    #[error("the tap's allow list is full ({0} hosts): raise max_allowed_hosts")]
    AllowListFull(usize),
    /// `worker_threads` is 0.
    #[error("the tap needs at least one worker thread: set worker_threads to 1 or more")]
    NoWorkerThreads,
    /// The tap's runtime could not be built.
    #[error("cannot start the tap's threads: {0}")]
    Runtime(#[source] std::io::Error),
    /// The listening socket could not be opened.
    #[error(
        "cannot listen on 127.0.0.1:{port}: {source}; pick another port, or 0 for any free one"
    )]
    Listen {
        /// The port asked for.
        port: u16,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
