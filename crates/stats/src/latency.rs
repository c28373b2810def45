//! Latency samples: a lock-free single-producer ring per figure, drained by the aggregator.
//!
//! Why not an hdrhistogram per viewer: one 1 µs–60 s histogram at two significant figures is
//! ~20 KB, so 10,000 viewers would hold hundreds of MB, and merging them all on every tick costs
//! tens of milliseconds. Samples are rare (a TCP connect per new connection, a playlist fetch per
//! reload), so each viewer instead hands its raw samples to the aggregator through a 64-slot ring,
//! and the aggregator records them into one merged histogram per figure. The writer never locks or
//! waits; if nobody drains for a long time the ring fills and further samples are counted as lost.

use crate::sync::{AtomicU32, AtomicU64, Ordering, cas_max_u64};
use std::time::Duration;

/// Slots per ring; a power of two.
pub const RING_SLOTS: usize = 64;

/// The latency figures hls-swarm can honestly take from ffmpeg's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LatencyKind {
    /// TCP connect: `[tcp @ X] Starting connection attempt to A port P` to `[tcp @ X] Successfully
    /// connected to A port P`, the same `tcp` context. Exactly the connect(2) handshake as ffmpeg saw it.
    TcpConnect,
    /// Playlist fetch, an upper bound: from `request: GET <playlist>` to the demuxer's next step that
    /// needs the parsed body — `HLS request for url` of a segment in that playlist's directory (media
    /// playlist), or `[hls] Opening '<variant playlist>'` (master). Includes the response time, the
    /// body transfer and ffmpeg's parse; reloads that found no new segment produce no sample.
    PlaylistFetch,
}

impl LatencyKind {
    /// Every figure.
    pub const ALL: [LatencyKind; 2] = [LatencyKind::TcpConnect, LatencyKind::PlaylistFetch];

    /// The snake_case name (`tcp_connect`, `playlist_fetch`).
    pub fn name(self) -> &'static str {
        match self {
            LatencyKind::TcpConnect => "tcp_connect",
            LatencyKind::PlaylistFetch => "playlist_fetch",
        }
    }

    /// One line saying what the figure measures, for humans.
    pub fn meaning(self) -> &'static str {
        match self {
            LatencyKind::TcpConnect => "connect start -> connected, same tcp context",
            LatencyKind::PlaylistFetch => {
                "upper bound: playlist GET sent -> next segment request / variant open"
            }
        }
    }

    pub(crate) fn idx(self) -> usize {
        self as usize
    }
}

/// Per-viewer summary of one latency figure (for a per-viewer table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencyTotals {
    /// Samples recorded.
    pub count: u64,
    /// Sum of the samples, µs.
    pub sum_us: u64,
    /// Largest sample, µs.
    pub max_us: u64,
    /// Samples lost because the ring was full (nobody drained it).
    pub lost: u64,
}

/// A single-producer, single-consumer ring of µs samples plus running totals.
///
/// `repr(C)`: what every tick reads (the cursors, `max_us`, `lost`) is the first 32 bytes.
///
/// `N` slots, a power of two: a viewer's ring holds [`RING_SLOTS`]; the request tap's swarm-wide
/// rings hold more.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct SampleRing<const N: usize = RING_SLOTS> {
    /// Samples ever pushed (written by the producer only).
    head: AtomicU64,
    /// Samples ever drained (written by the consumer only).
    tail: AtomicU64,
    max_us: AtomicU64,
    lost: AtomicU64,
    count: AtomicU64,
    sum_us: AtomicU64,
    /// On the heap, out of the hot cache lines the aggregator reads every tick.
    slots: Box<[AtomicU32; N]>,
}

impl<const N: usize> SampleRing<N> {
    pub(crate) fn new() -> Self {
        SampleRing {
            slots: Box::new(std::array::from_fn(|_| AtomicU32::new(0))),
            head: AtomicU64::new(0),
            tail: AtomicU64::new(0),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
            lost: AtomicU64::new(0),
        }
    }

    /// Records one sample. Single producer.
    pub(crate) fn push(&self, sample: Duration) {
        let us = u64::try_from(sample.as_micros()).unwrap_or(u64::MAX);
        // Relaxed: standalone totals for the per-viewer table.
        self.count.fetch_add(1, Ordering::Relaxed);
        // Relaxed: as above.
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        cas_max_u64(&self.max_us, us);
        // Relaxed: only this producer writes `head`.
        let head = self.head.load(Ordering::Relaxed);
        // Acquire: the consumer's Release on `tail` means it has finished reading those slots.
        let tail = self.tail.load(Ordering::Acquire);
        if head - tail >= N as u64 {
            // Relaxed: standalone counter.
            self.lost.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let clamped = u32::try_from(us).unwrap_or(u32::MAX);
        // Relaxed: published by the Release store of `head` below.
        self.slots[(head % N as u64) as usize].store(clamped, Ordering::Relaxed);
        // Release: makes the slot written above visible to a consumer that Acquires `head`.
        self.head.store(head + 1, Ordering::Release);
    }

    /// Hands every pending sample (µs) to `f`. One consumer at a time (the aggregator's tick).
    pub(crate) fn drain(&self, mut f: impl FnMut(u64)) -> usize {
        // Relaxed: only the consumer writes `tail`.
        let tail = self.tail.load(Ordering::Relaxed);
        // Acquire: pairs with the producer's Release on `head`; the slots before it are written.
        let head = self.head.load(Ordering::Acquire);
        if head == tail {
            // Nothing pending: no slot was read, so there is nothing to release, and skipping the
            // store keeps this cache line clean for the producer (the common case on every tick).
            return 0;
        }
        for i in tail..head {
            // Relaxed: ordered by the Acquire on `head` above.
            f(u64::from(
                self.slots[(i % N as u64) as usize].load(Ordering::Relaxed),
            ));
        }
        // Release: the producer may reuse these slots only after our reads above.
        self.tail.store(head, Ordering::Release);
        (head - tail) as usize
    }

    /// Samples are waiting to be drained.
    #[inline]
    pub(crate) fn pending(&self) -> bool {
        // Acquire: as in `drain`, which a caller seeing `true` calls next.
        self.head.load(Ordering::Acquire) != self.tail.load(Ordering::Relaxed)
    }

    /// Largest sample and lost samples only (what a tick needs), without the other totals.
    #[inline]
    pub(crate) fn max_and_lost(&self) -> (u64, u64) {
        // Relaxed (both): standalone counters; a snapshot tolerates a torn view across fields.
        (
            self.max_us.load(Ordering::Relaxed),
            self.lost.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn totals(&self) -> LatencyTotals {
        LatencyTotals {
            // Relaxed: standalone counters; a snapshot tolerates a torn view across fields.
            count: self.count.load(Ordering::Relaxed),
            // Relaxed: as above.
            sum_us: self.sum_us.load(Ordering::Relaxed),
            // Relaxed: as above.
            max_us: self.max_us.load(Ordering::Relaxed),
            // Relaxed: as above.
            lost: self.lost.load(Ordering::Relaxed),
        }
    }
}
