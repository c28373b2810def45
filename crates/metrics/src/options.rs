//! `ExporterOptions`: what the exporter adds to the snapshot (run labels, per-viewer and origin
//! families).

use crate::origin::OriginScraperHandle;

/// What the exporter adds to the snapshot.
#[derive(Debug, Clone)]
pub struct ExporterOptions {
    /// `version` label of `hls_swarm_info` (defaults to this crate's version, the workspace's).
    pub version: String,
    /// `variant` label of `hls_swarm_info`: the run's variant selection (`all`, `highest`, …).
    pub variant: String,
    /// Export per-viewer families labelled `client_id` (see [`crate::PER_VIEWER_WARN_ABOVE`]).
    pub per_viewer: bool,
    /// The origin scraper's output, re-exported as `hls_swarm_origin_*` when set.
    pub origin: Option<OriginScraperHandle>,
    /// Labels put on every series, e.g. `run_id` and `shard` of a distributed run, so that
    /// PromQL can sum the shards of one run.
    pub labels: Vec<(String, String)>,
}

impl Default for ExporterOptions {
    fn default() -> Self {
        ExporterOptions {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            variant: "all".to_owned(),
            per_viewer: false,
            origin: None,
            labels: Vec::new(),
        }
    }
}
