//! Per-variant counters (one media playlist each) and the lookup through which a recorder finds them.

use crate::sync::{AtomicU64, Ordering};
use crossbeam_utils::CachePadded;
use hls_swarm_parse::RequestKind;
use std::sync::Arc;

/// Counters of one variant, keyed by its media playlist path (e.g. `/v0/index.m3u8`), shared by
/// every viewer that plays it. Many writers: each counter is a contended `fetch_add`, so the block
/// sits on its own cache line away from neighbours.
#[derive(Debug)]
pub struct VariantStats {
    cells: CachePadded<VariantCells>,
}

#[derive(Debug)]
struct VariantCells {
    manifest_requests: AtomicU64,
    segment_requests: AtomicU64,
    init_requests: AtomicU64,
    other_requests: AtomicU64,
    http_errors: AtomicU64,
    segment_bytes: AtomicU64,
}

/// A plain copy of a [`VariantStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VariantValues {
    /// Requests for the media playlist.
    pub manifest_requests: u64,
    /// Requests for its segments.
    pub segment_requests: u64,
    /// Requests for its init sections.
    pub init_requests: u64,
    /// Other requests under its directory.
    pub other_requests: u64,
    /// HTTP errors answering any of those.
    pub http_errors: u64,
    /// Exact segment bytes, when a segment-size lookup is wired in.
    pub segment_bytes: u64,
}

impl Default for VariantStats {
    fn default() -> Self {
        Self::new()
    }
}

impl VariantStats {
    /// All zero.
    pub fn new() -> Self {
        VariantStats {
            cells: CachePadded::new(VariantCells {
                manifest_requests: AtomicU64::new(0),
                segment_requests: AtomicU64::new(0),
                init_requests: AtomicU64::new(0),
                other_requests: AtomicU64::new(0),
                http_errors: AtomicU64::new(0),
                segment_bytes: AtomicU64::new(0),
            }),
        }
    }

    fn request_cell(&self, kind: RequestKind) -> &AtomicU64 {
        match kind {
            RequestKind::Manifest => &self.cells.manifest_requests,
            RequestKind::Segment => &self.cells.segment_requests,
            RequestKind::Init => &self.cells.init_requests,
            RequestKind::Other => &self.cells.other_requests,
        }
    }

    /// Counts `n` requests of `kind`.
    pub fn add_requests(&self, kind: RequestKind, n: u64) {
        // Relaxed: independent counters; a snapshot tolerates a torn view across fields.
        self.request_cell(kind).fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one HTTP error.
    pub fn add_http_error(&self) {
        // Relaxed: independent counter.
        self.cells.http_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds exact segment bytes.
    pub fn add_segment_bytes(&self, n: u64) {
        // Relaxed: independent counter.
        self.cells.segment_bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// A plain copy.
    pub fn values(&self) -> VariantValues {
        let c = &self.cells;
        // Relaxed (all): independent counters; a snapshot tolerates a torn view across fields.
        VariantValues {
            manifest_requests: c.manifest_requests.load(Ordering::Relaxed),
            segment_requests: c.segment_requests.load(Ordering::Relaxed),
            init_requests: c.init_requests.load(Ordering::Relaxed),
            other_requests: c.other_requests.load(Ordering::Relaxed),
            http_errors: c.http_errors.load(Ordering::Relaxed),
            segment_bytes: c.segment_bytes.load(Ordering::Relaxed),
        }
    }
}

/// Finds or creates the [`VariantStats`] of a media playlist path (get-or-create, never check-then-act).
///
/// The aggregate implements it over its variant map; a recorder calls it once per variant per
/// process run and caches the `Arc`.
pub trait VariantLookup: Send + Sync {
    /// The stats of the media playlist at `playlist_path` (path only, no query string).
    fn variant(&self, playlist_path: &str) -> Arc<VariantStats>;
}

impl<F> VariantLookup for F
where
    F: Fn(&str) -> Arc<VariantStats> + Send + Sync,
{
    fn variant(&self, playlist_path: &str) -> Arc<VariantStats> {
        self(playlist_path)
    }
}
