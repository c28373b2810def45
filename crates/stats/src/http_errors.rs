//! HTTP errors by status code in a fixed atomic array (400–599 plus an "other" slot): no map, no lock.

use crate::sync::{AtomicU32, AtomicU64, Ordering};

/// Slots 0..=199 hold 400..=599; slot 200 holds every other status.
pub(crate) const SLOTS: usize = 201;
const OTHER: usize = 200;
const WORDS: usize = SLOTS.div_ceil(64);

/// A status code as counted: a real 4xx/5xx code or the "other" bucket (1xx–3xx or out of range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpStatus {
    /// A status in 400..=599.
    Code(u16),
    /// Any status outside 400..=599.
    Other,
}

impl HttpStatus {
    fn slot(self) -> usize {
        match self {
            HttpStatus::Code(code @ 400..=599) => usize::from(code - 400),
            _ => OTHER,
        }
    }

    fn from_slot(slot: usize) -> HttpStatus {
        if slot == OTHER {
            HttpStatus::Other
        } else {
            // `slot < 200`, so the cast cannot truncate.
            HttpStatus::Code(400 + slot as u16)
        }
    }

    /// Classifies a raw status.
    pub fn from_code(code: u16) -> HttpStatus {
        if (400..=599).contains(&code) {
            HttpStatus::Code(code)
        } else {
            HttpStatus::Other
        }
    }
}

impl std::fmt::Display for HttpStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpStatus::Code(code) => write!(f, "{code}"),
            HttpStatus::Other => f.write_str("other"),
        }
    }
}

/// Per-status counts plus a bitmap of the statuses ever seen, so a reader scans only those.
/// The counts live on the heap, out of the hot cache lines the aggregator reads every tick.
#[derive(Debug)]
pub(crate) struct HttpErrorCells {
    counts: Box<[AtomicU32; SLOTS]>,
    seen: [AtomicU64; WORDS],
}

impl HttpErrorCells {
    pub(crate) fn new() -> Self {
        HttpErrorCells {
            counts: Box::new(std::array::from_fn(|_| AtomicU32::new(0))),
            seen: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Counts one error. Safe from any number of threads at once.
    pub(crate) fn record(&self, status: HttpStatus) {
        let slot = status.slot();
        // Relaxed: independent counter; a fetch_add never loses an increment under any ordering.
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
        let bit = 1u64 << (slot % 64);
        let word = &self.seen[slot / 64];
        // Relaxed: the bitmap only narrows the reader's scan; the count is read separately.
        if word.load(Ordering::Relaxed) & bit == 0 {
            // Relaxed: as above; fetch_or is idempotent if two writers race to set the bit.
            word.fetch_or(bit, Ordering::Relaxed);
        }
    }

    /// Calls `f` with every status counted at least once, in ascending order (`Other` last).
    pub(crate) fn for_each(&self, mut f: impl FnMut(HttpStatus, u64)) {
        for (w, word) in self.seen.iter().enumerate() {
            // Relaxed: a bit set after this load is picked up on the next scan.
            let mut bits = word.load(Ordering::Relaxed);
            while bits != 0 {
                let slot = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                // Relaxed: independent counter; a snapshot tolerates a torn view across fields.
                let n = u64::from(self.counts[slot].load(Ordering::Relaxed));
                if n > 0 {
                    f(HttpStatus::from_slot(slot), n);
                }
            }
        }
    }

    /// The count for one status.
    pub(crate) fn get(&self, status: HttpStatus) -> u64 {
        // Relaxed: independent counter.
        u64::from(self.counts[status.slot()].load(Ordering::Relaxed))
    }
}
