//! [`TapConfig`]: what the tap forwards to and how it runs.

use std::time::Duration;

use crate::authority::UrlParts;
use crate::error::TapError;

/// How a [`Tap`](crate::Tap) runs. Start from [`TapConfig::new`] and change what you need.
#[derive(Clone, Debug)]
pub struct TapConfig {
    /// The stream's URL (`http://` or `https://`): its `host:port` is the first allowed host.
    pub target: String,
    /// The port to listen on, on 127.0.0.1 only; 0 picks a free one ([`Tap::addr`](crate::Tap::addr)
    /// says which).
    pub port: u16,
    /// Worker threads of the tap's own runtime (1 is enough for hundreds of viewers).
    pub worker_threads: usize,
    /// How long opening an upstream connection may take before the viewer's connection is
    /// closed without a response.
    pub connect_timeout: Duration,
    /// How many segment (and init) URIs the tap remembers per media playlist, newest first.
    pub playlist_uris_kept: usize,
    /// How many playlists it remembers those URIs for.
    pub playlists_kept: usize,
    /// The largest playlist body the tap reads to learn from (a larger one is relayed all the
    /// same, but not read).
    pub playlist_max_bytes: usize,
    /// The most hosts the allow list holds; once full, a host a playlist names is not added.
    pub max_allowed_hosts: usize,
}

impl TapConfig {
    /// The defaults for `target`: any free port, one worker thread, a 10 s connect timeout,
    /// 512 URIs for each of 64 playlists, playlists up to 1 MiB, 1024 allowed hosts.
    pub fn new(target: impl Into<String>) -> TapConfig {
        TapConfig {
            target: target.into(),
            port: 0,
            worker_threads: 1,
            connect_timeout: Duration::from_secs(10),
            playlist_uris_kept: 512,
            playlists_kept: 64,
            playlist_max_bytes: 1 << 20,
            max_allowed_hosts: 1024,
        }
    }

    /// Checks the configuration and returns the target's `host:port`.
    pub(crate) fn target_host(&self) -> Result<String, TapError> {
        let target = UrlParts::split(&self.target)
            .and_then(|p| p.host_port())
            .ok_or_else(|| TapError::InvalidTarget(self.target.clone()))?;
        if self.worker_threads == 0 {
            return Err(TapError::NoWorkerThreads);
        }
        Ok(target)
    }
}
