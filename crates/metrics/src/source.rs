//! `MetricsSource`: where a scrape gets the latest snapshot (the aggregator, or a closure).

use hls_swarm_aggregate::{Aggregator, Snapshot, ViewerRow};
use std::sync::Arc;
use std::time::Instant;

/// Where a scrape gets the latest snapshot. It must not block: the aggregator's implementation is
/// one `ArcSwap` load.
pub trait MetricsSource: Send + Sync + 'static {
    /// The latest published snapshot.
    fn snapshot(&self) -> Arc<Snapshot>;

    /// One row per viewer, for [`ExporterOptions::per_viewer`](crate::ExporterOptions::per_viewer);
    /// read only when that is on. The default has none.
    fn viewer_rows(&self) -> Vec<ViewerRow> {
        Vec::new()
    }
}

impl MetricsSource for Arc<Aggregator> {
    fn snapshot(&self) -> Arc<Snapshot> {
        // `ArcSwap::load_full`: lock-free; never waits for a tick or a viewer.
        Aggregator::snapshot(self)
    }

    fn viewer_rows(&self) -> Vec<ViewerRow> {
        // Reads each viewer's atomics now; never waits for a tick.
        Aggregator::viewer_rows(self, Instant::now())
    }
}

/// A closure giving snapshots only: no per-viewer rows.
impl<F> MetricsSource for F
where
    F: Fn() -> Arc<Snapshot> + Send + Sync + 'static,
{
    fn snapshot(&self) -> Arc<Snapshot> {
        self()
    }
}
