//! Downloaded bytes, monotone across process restarts, and the ring of recent segment sizes.

use crate::sync::{AtomicU64, Ordering};

/// Where a byte total came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BytesSource {
    /// Exact sizes of the segments requested, from a segment-size lookup (e.g. the origin's listing).
    SegmentSizes,
    /// ffmpeg's `[AVIOContext @ …] Statistics: N bytes read` lines, printed when an input closes.
    /// Bytes of connections still open (keep-alive) are only counted once they close.
    AvioStatistics,
    /// Nothing was measured: the total is unknown, not zero.
    None,
    /// Every response body byte the request tap relayed: a swarm-wide figure (a snapshot's,
    /// never a viewer's own source).
    Tap,
}

impl BytesSource {
    /// The name used in JSON and on screen: `segment-sizes`, `avio-statistics`, `none` or
    /// `tap`.
    pub fn as_str(self) -> &'static str {
        match self {
            BytesSource::SegmentSizes => "segment-sizes",
            BytesSource::AvioStatistics => "avio-statistics",
            BytesSource::None => "none",
            BytesSource::Tap => "tap",
        }
    }

    /// The figure this source reports, of one measured each way (0 for `None`: unknown; and
    /// for `Tap`, which no viewer measures).
    #[inline]
    pub fn pick(self, segment_sizes: u64, avio_statistics: u64) -> u64 {
        match self {
            BytesSource::SegmentSizes => segment_sizes,
            BytesSource::AvioStatistics => avio_statistics,
            BytesSource::None | BytesSource::Tap => 0,
        }
    }
}

/// Bytes of one source: a total over every process run so far, and the current run's share.
///
/// `completed + current` in two atomics could not be loaded as one value: a reader racing the
/// roll-over would see the old run's bytes twice or not at all. So the writer adds every byte
/// to one monotone `total` as it learns it; `current` is only the
/// current run's share, for display, and a restart merely zeroes it. "Completed runs" is
/// `total - current`. So a restart neither loses nor double-counts, and `total` never goes back.
#[derive(Debug)]
pub(crate) struct ByteCells {
    total: AtomicU64,
    current: AtomicU64,
    reports: AtomicU64,
}

impl ByteCells {
    pub(crate) fn new() -> Self {
        ByteCells {
            total: AtomicU64::new(0),
            current: AtomicU64::new(0),
            reports: AtomicU64::new(0),
        }
    }

    /// Adds bytes learnt for the current process run. Single writer.
    pub(crate) fn add(&self, n: u64) {
        // Relaxed: the total stands alone; its monotonicity comes from fetch_add, not ordering.
        self.total.fetch_add(n, Ordering::Relaxed);
        // Relaxed: display-only share of the current run.
        self.current.fetch_add(n, Ordering::Relaxed);
        // Relaxed: counts measurements, so that a measured 0 is told apart from "never measured".
        self.reports.fetch_add(1, Ordering::Relaxed);
    }

    /// How many measurements were added.
    #[inline]
    pub(crate) fn reports(&self) -> u64 {
        // Relaxed: a standalone counter.
        self.reports.load(Ordering::Relaxed)
    }

    /// A new process run begins: its share starts at zero; the total keeps everything.
    pub(crate) fn roll_over(&self) {
        // Relaxed: `current` is display-only; `total` is untouched, so no reader sees it shrink.
        self.current.store(0, Ordering::Relaxed);
    }

    /// Bytes over every process run so far.
    #[inline]
    pub(crate) fn total(&self) -> u64 {
        // Relaxed: a single monotone cell; coherence alone keeps successive loads non-decreasing.
        self.total.load(Ordering::Relaxed)
    }

    /// Bytes of the current process run.
    pub(crate) fn current(&self) -> u64 {
        // Relaxed: display-only.
        self.current.load(Ordering::Relaxed)
    }
}

/// How many recent segment sizes a viewer keeps.
pub const SEGMENT_SIZE_RING: usize = 100;

/// The last [`SEGMENT_SIZE_RING`] segment sizes, written by one thread, read by any.
#[derive(Debug)]
pub(crate) struct SegmentSizeRing {
    /// On the heap, out of the hot cache lines the aggregator reads every tick.
    slots: Box<[AtomicU64; SEGMENT_SIZE_RING]>,
    next_idx: AtomicU64,
}

impl SegmentSizeRing {
    pub(crate) fn new() -> Self {
        SegmentSizeRing {
            slots: Box::new(std::array::from_fn(|_| AtomicU64::new(0))),
            next_idx: AtomicU64::new(0),
        }
    }

    /// Records a size. Single writer.
    pub(crate) fn push(&self, size: u64) {
        // Relaxed: only the single writer updates the index; readers use it as a hint.
        let idx = self.next_idx.load(Ordering::Relaxed);
        // Relaxed: each slot is an independent value; a reader may see the old or the new size.
        self.slots[(idx % SEGMENT_SIZE_RING as u64) as usize].store(size, Ordering::Relaxed);
        // Relaxed: as above.
        self.next_idx.store(idx + 1, Ordering::Relaxed);
    }

    /// The mean of the recorded sizes (empty slots ignored), or `None` before the first.
    pub(crate) fn mean(&self) -> Option<f64> {
        let (mut sum, mut n) = (0u64, 0u64);
        for slot in self.slots.iter() {
            // Relaxed: independent values; the mean tolerates a slot being overwritten meanwhile.
            let v = slot.load(Ordering::Relaxed);
            if v > 0 {
                sum += v;
                n += 1;
            }
        }
        (n > 0).then(|| sum as f64 / n as f64)
    }
}
