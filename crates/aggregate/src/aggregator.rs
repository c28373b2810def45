//! `Aggregator`: every viewer in a DashMap, folded into an `ArcSwap`-published `Snapshot` by `tick`.

use crate::fold::{ExitTracker, IdSet, LiveTotals, RunningTotals};
use crate::host::HostTracker;
use crate::latency::{LatencyHistogram, LatencyMerge, empty_latencies};
use crate::snapshot::{Playback, Rates, RunInfo, Snapshot, VariantRow, ViewerCounts, ViewerId};
use crate::tap::TapMerge;
use crate::viewers::ViewerRow;
use arc_swap::{ArcSwap, ArcSwapOption, Guard};
use dashmap::DashMap;
use hls_swarm_host::HostSample;
use hls_swarm_stats::tick::{self, StatsInstant, TickSource};
use hls_swarm_stats::{
    Counter, CounterValues, HttpStatus, LatencyKind, TapStats, TapTiming, VariantLookup,
    VariantStats, ViewerStats,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Per-variant stats, get-or-create by media playlist path. Hand it to each
/// [`hls_swarm_stats::Recorder`] through [`Aggregator::variant_lookup`].
#[derive(Debug, Default)]
pub struct VariantRegistry {
    map: DashMap<Arc<str>, Arc<VariantStats>>,
    /// Bumped after each new variant is inserted, so a tick knows its list is old.
    added: AtomicU64,
}

impl VariantLookup for VariantRegistry {
    fn variant(&self, playlist_path: &str) -> Arc<VariantStats> {
        // The entry API makes get-or-create one atomic step: two viewers discovering the same
        // variant at once get the same `Arc`. Called once per variant per process run.
        // `added`'s Release pairs with the Acquire in `VariantList::rows`.
        get_or_create(
            &self.map,
            Arc::from(playlist_path),
            VariantStats::new,
            &self.added,
        )
    }
}

/// The value under `key` in `map`, created by `new` if there is none (one atomic step through
/// the entry API), bumping `created` when it was.
fn get_or_create<K: Eq + std::hash::Hash, V>(
    map: &DashMap<K, Arc<V>>,
    key: K,
    new: impl FnOnce() -> V,
    created: &AtomicU64,
) -> Arc<V> {
    let mut inserted = false;
    let value = map
        .entry(key)
        .or_insert_with(|| {
            inserted = true;
            Arc::new(new())
        })
        .clone();
    if inserted {
        // Release: after the insert (the entry's shard lock is released by now), so a reader
        // that Acquires the new count finds the new entry in the map.
        created.fetch_add(1, Ordering::Release);
    }
    value
}

/// The variants as a list sorted by path, rebuilt from the registry only when one was added
/// (variants are never removed).
#[derive(Debug, Default)]
struct VariantList {
    variants: Vec<(Arc<str>, Arc<VariantStats>)>,
    /// The [`VariantRegistry::added`] value the list was built after.
    added: u64,
}

impl VariantList {
    fn rows(&mut self, registry: &VariantRegistry) -> Vec<VariantRow> {
        // Acquire: pairs with `variant`'s Release; a rebuild after it sees the new variant.
        let added = registry.added.load(Ordering::Acquire);
        if added != self.added {
            self.variants.clear();
            self.variants.extend(
                (registry.map.iter()).map(|e| (Arc::clone(e.key()), Arc::clone(e.value()))),
            );
            self.variants.sort_by(|a, b| a.0.cmp(&b.0));
            self.added = added;
        }
        (self.variants.iter())
            .map(|(path, stats)| VariantRow {
                path: Arc::clone(path),
                values: stats.values(),
            })
            .collect()
    }
}

/// What the previous tick saw, for rates.
#[derive(Debug)]
struct RateBase {
    at: Instant,
    counters: CounterValues,
    bytes: u64,
}

/// State only ticks and removals touch, under one lock: ticks are serialised, and a viewer is
/// counted by a tick either live or retired, never both, never neither.
#[derive(Debug)]
struct TickState {
    seq: u64,
    run_playback: RunPlayback,
    prev: RateBase,
    peak_active: u64,
    retired: RunningTotals,
    exits: ExitTracker,
    latency: LatencyMerge,
    roster: Roster,
    variants: VariantList,
    /// The last published HTTP error list, shared on while unchanged.
    http_errors: Arc<[(HttpStatus, u64)]>,
    host: HostTracker,
    /// The request tap's figures, once one is attached.
    tap: Option<TapMerge>,
}

/// One viewer on the [`Roster`].
#[derive(Debug)]
struct RosterEntry {
    id: ViewerId,
    stats: Arc<ViewerStats>,
    /// The viewer's exit count when the [`ExitTracker`] last synced it here (0 on a fresh roster,
    /// so the tracker's own record decides then): most ticks skip the tracker entirely.
    exits_synced: u64,
    /// The viewer is in [`RunPlayback::ever_stalled`] (false on a fresh roster, so the set
    /// decides then): a viewer stalled tick after tick is inserted once, not every tick.
    stall_recorded: bool,
}

/// The registered viewers as a plain list, rebuilt from the DashMap only when it changed: a tick
/// walks a `Vec` (prefetchable, no shard locks, no per-entry guard `Arc`) instead of the map.
#[derive(Debug, Default)]
struct Roster {
    viewers: Vec<RosterEntry>,
    /// The [`Aggregator::registrations`] value the list was built after.
    registrations: u64,
    /// A viewer was removed since the list was built.
    stale: bool,
}

/// The swarm's statistics: register viewers, tick, read snapshots.
///
/// Writers (each viewer's tasks) touch only their own [`ViewerStats`]. [`Aggregator::tick`] reads
/// them all and publishes an immutable [`Snapshot`]; readers [`Aggregator::load`] it without
/// blocking writers, the ticker, or each other.
#[derive(Debug)]
pub struct Aggregator {
    viewers: DashMap<ViewerId, Arc<ViewerStats>>,
    variants: Arc<VariantRegistry>,
    run: ArcSwap<RunInfo>,
    state: Mutex<TickState>,
    current: ArcSwap<Snapshot>,
    /// The request tap's statistics, once attached: read per viewer by [`Self::viewer_rows`].
    tap: ArcSwapOption<TapStats>,
    /// Bumped after each new viewer is inserted into `viewers`, so a tick knows its roster is old.
    registrations: AtomicU64,
}

impl Aggregator {
    /// An aggregate for a run of `url` aiming at `target_viewers`, started at `started`.
    pub fn new(url: impl Into<String>, target_viewers: u32, started: Instant) -> Aggregator {
        let run = Arc::new(RunInfo {
            url: url.into(),
            target_viewers,
            ramp_launched: 0,
            started,
            started_at: SystemTime::now(),
        });
        let latency = LatencyMerge::new();
        let empty = Snapshot {
            seq: 0,
            taken: started,
            elapsed: Default::default(),
            run: Arc::clone(&run),
            totals: Default::default(),
            rates: Rates::default(),
            http_errors: Arc::from([]),
            viewers: ViewerCounts {
                target: target_viewers,
                ..ViewerCounts::default()
            },
            exits: Arc::from([]),
            playback: Default::default(),
            latency: empty_latencies(),
            variants: Vec::new(),
            pipeline: Default::default(),
            host: None,
            tap: None,
        };
        Aggregator {
            viewers: DashMap::new(),
            variants: Arc::new(VariantRegistry::default()),
            run: ArcSwap::from(run),
            state: Mutex::new(TickState {
                seq: 0,
                run_playback: RunPlayback::default(),
                prev: RateBase {
                    at: started,
                    counters: CounterValues::default(),
                    bytes: 0,
                },
                peak_active: 0,
                retired: RunningTotals::default(),
                exits: ExitTracker::default(),
                latency,
                roster: Roster::default(),
                variants: VariantList::default(),
                http_errors: Arc::from([]),
                host: HostTracker::default(),
                tap: None,
            }),
            current: ArcSwap::from_pointee(empty),
            tap: ArcSwapOption::empty(),
            registrations: AtomicU64::new(0),
        }
    }

    fn state(&self) -> MutexGuard<'_, TickState> {
        // A panic mid-tick leaves plain totals that are still valid: recover from poisoning.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The viewer's stats, created on first call (get-or-create through the entry API).
    pub fn register(&self, id: ViewerId) -> Arc<ViewerStats> {
        // A tick that Acquires `registrations` rebuilds its roster from a map that holds the
        // new viewer.
        get_or_create(&self.viewers, id, ViewerStats::new, &self.registrations)
    }

    /// The viewer's stats, if registered.
    pub fn get(&self, id: ViewerId) -> Option<Arc<ViewerStats>> {
        self.viewers.get(&id).map(|e| Arc::clone(e.value()))
    }

    /// Removes a finished viewer, folding its totals into the retired total so no count is lost.
    /// Call it after the viewer's tasks have stopped writing: later writes would not be counted.
    pub fn remove(&self, id: ViewerId) -> bool {
        let mut state = self.state();
        let Some((_, stats)) = self.viewers.remove(&id) else {
            return false;
        };
        // The next tick must not read this viewer live: it is retired below, under the same lock.
        state.roster.stale = true;
        let values = stats.read_into(Instant::now().into(), &mut state.retired.totals.counters);
        state.retired.fold(&stats, &values);
        state.exits.sync(id, &stats, values.exits);
        state.exits.forget(id);
        state.latency.drain(&stats);
        state.latency.add_lost(&values);
        true
    }

    /// Registered viewers.
    pub fn len(&self) -> usize {
        self.viewers.len()
    }

    /// No viewer registered.
    pub fn is_empty(&self) -> bool {
        self.viewers.is_empty()
    }

    /// The variant map, to hand to each [`hls_swarm_stats::Recorder::with_variants`].
    pub fn variant_lookup(&self) -> Arc<dyn VariantLookup> {
        Arc::clone(&self.variants) as Arc<dyn VariantLookup>
    }

    /// Changes the target viewer count.
    pub fn set_target(&self, target_viewers: u32) {
        self.run.rcu(|run| {
            Arc::new(RunInfo {
                target_viewers,
                ..RunInfo::clone(run)
            })
        });
    }

    /// Records the ramp's progress: how many viewers it has launched.
    pub fn set_ramp_launched(&self, launched: u32) {
        self.run.rcu(|run| {
            Arc::new(RunInfo {
                ramp_launched: launched,
                ..RunInfo::clone(run)
            })
        });
    }

    /// Records a sample of the host (call it right before [`Aggregator::tick`]): the next
    /// snapshots carry it, and a viewer that begins stalling while it is saturated is counted.
    pub fn record_host(&self, sample: HostSample) {
        self.state().host.record(sample);
    }

    /// Records how long the ramp has been held so far because the host was saturated.
    pub fn set_ramp_held(&self, held: Duration) {
        self.state().host.set_ramp_held(held);
    }

    /// Reads the request tap's statistics from the next tick on: every snapshot then carries
    /// [`TapFigures`](crate::TapFigures). A second call replaces the first.
    pub fn attach_tap(&self, stats: Arc<TapStats>) {
        self.tap.store(Some(Arc::clone(&stats)));
        self.state().tap = Some(TapMerge::new(stats));
    }

    /// Every sample of one of the tap's timings merged so far (as of the last tick), for the
    /// end-of-run report; `None` without a tap.
    pub fn tap_histogram(&self, timing: TapTiming) -> Option<LatencyHistogram> {
        self.state().tap.as_ref().map(|tap| tap.histogram(timing))
    }

    /// The run-level facts.
    pub fn run(&self) -> Arc<RunInfo> {
        self.run.load_full()
    }

    /// The latest snapshot, without blocking anyone (a cheap guard; see [`ArcSwap::load`]).
    pub fn load(&self) -> Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// The latest snapshot as an owned `Arc`, to keep beyond a short read.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Every latency sample of `kind` merged so far (as of the last tick, plus any viewer removed
    /// since), copied on demand for the end-of-run report: ticks keep only summaries, so they
    /// never pay for this. Read it after the final tick, as the report does.
    /// `None` when the run has the request tap (see [`Snapshot::log_latency`]).
    pub fn latency_histogram(&self, kind: LatencyKind) -> Option<LatencyHistogram> {
        let state = self.state();
        state.tap.is_none().then(|| state.latency.histogram(kind))
    }

    /// One row per registered viewer, read now (not at the last tick), in no particular order:
    /// for a per-viewer table ([`crate::worst_first`]) or per-viewer metrics. Costs about one
    /// tick's per-viewer work; ticks themselves never build rows.
    pub fn viewer_rows(&self, now: Instant) -> Vec<ViewerRow> {
        let mut scratch = CounterValues::default();
        let now = StatsInstant::from(now);
        let tap = self.tap.load();
        self.viewers
            .iter()
            .map(|e| {
                let id = *e.key();
                let values = e.value().read_into(now, &mut scratch);
                let tapped = (tap.as_deref()).map(|t| {
                    (t.index_of(id).and_then(|i| t.viewer(i)))
                        .map(|v| v.counts())
                        .unwrap_or_default()
                });
                ViewerRow::new(id, &values, tapped)
            })
            .collect()
    }

    /// Reads every viewer, builds a [`Snapshot`] as of `now`, publishes and returns it.
    /// Rates are over the real time since the previous tick. Ticks are serialised.
    pub fn tick(&self, now: Instant) -> Arc<Snapshot> {
        let mut state = self.state();
        let run = self.run.load_full();
        let mut acc = state.retired.clone();
        let state = &mut *state;
        // Acquire: pairs with `register`'s Release; a rebuild after it sees every viewer counted.
        let registrations = self.registrations.load(Ordering::Acquire);
        let roster = &mut state.roster;
        if roster.stale || roster.registrations != registrations {
            // Every viewer in the map now; one registered meanwhile bumps `registrations` again,
            // so the next tick rebuilds (it is missed by at most this tick, as before).
            roster.viewers.clear();
            roster
                .viewers
                .extend(self.viewers.iter().map(|e| RosterEntry {
                    id: *e.key(),
                    stats: Arc::clone(e.value()),
                    exits_synced: 0,
                    stall_recorded: false,
                }));
            roster.registrations = registrations;
            roster.stale = false;
        }
        let entries = &mut roster.viewers;
        let mut live = LiveTotals::default();
        let at = StatsInstant::from(now);
        // A plain list, so the next viewers' memory can be prefetched: with 10,000 viewers the
        // tick is bound by cache misses on each `ViewerStats`, not by arithmetic (and even 100
        // viewers' hot lines outgrow L1).
        for i in 0..entries.len() {
            if let Some(ahead) = entries.get(i + PREFETCH_AHEAD) {
                prefetch(Arc::as_ptr(&ahead.stats));
            }
            let entry = &mut entries[i];
            let stats = &*entry.stats;
            let values = stats.read_into(at, &mut acc.totals.counters);
            acc.fold(stats, &values);
            if values.exits != entry.exits_synced {
                state.exits.sync(entry.id, stats, values.exits);
                entry.exits_synced = values.exits;
            }
            if values.playback.stalled && !entry.stall_recorded {
                if state.run_playback.ever_stalled.insert(entry.id) {
                    state.host.stall_onset();
                }
                entry.stall_recorded = true;
            }
            live.add(&values);
            if stats.latency_pending() {
                state.latency.drain(stats);
            }
        }
        let latency = state.latency.summaries(&live.latency_lost);
        state.peak_active = state.peak_active.max(live.active);
        state.seq += 1;

        let tap = state.tap.as_mut().map(|tap| Arc::new(tap.tick(now)));
        let bytes = match &tap {
            Some(tap) => tap.counts.total_bytes(),
            None => acc.totals.bytes().0,
        };
        let elapsed = now.saturating_duration_since(state.prev.at);
        let rates = rates(
            &state.prev,
            &acc.totals.counters,
            bytes,
            elapsed.as_secs_f64(),
        );
        state.prev = RateBase {
            at: now,
            counters: acc.totals.counters,
            bytes,
        };

        let viewers = ViewerCounts {
            target: run.target_viewers,
            // The roster, not `DashMap::len` (which locks every shard): the viewers this tick read.
            registered: entries.len() as u64,
            active: live.active,
            restarting: live.restarting,
            stopped: live.stopped,
            peak_active: state.peak_active,
            started: acc.started,
            process_starts: acc.process_starts,
            restarts: acc.process_starts.saturating_sub(acc.started),
            ramp_launched: run.ramp_launched,
        };
        let http_errors = acc.http_errors(&state.http_errors);
        state.http_errors = Arc::clone(&http_errors);
        let exits = state.exits.exits();
        let snapshot = Arc::new(Snapshot {
            seq: state.seq,
            taken: now,
            elapsed: now.saturating_duration_since(run.started),
            totals: acc.totals,
            rates,
            http_errors,
            viewers,
            exits,
            playback: state.run_playback.observe(live.playback(acc.drift_max_ms)),
            latency,
            variants: state.variants.rows(&self.variants),
            pipeline: acc.pipeline,
            host: state.host.figures(),
            tap,
            run,
        });
        self.current.store(Arc::clone(&snapshot));
        snapshot
    }
}

/// Playback over the whole run, accumulated tick by tick (a summary taken after the viewers
/// stopped would otherwise only see stopped viewers).
#[derive(Debug, Default)]
struct RunPlayback {
    speed_sum: f64,
    speed_samples: u64,
    ever_stalled: IdSet,
    peak_below_realtime: u64,
}

impl RunPlayback {
    /// Adds this tick's playback (the tick has added its stalled viewers to `ever_stalled`).
    fn observe(&mut self, mut now: Playback) -> Playback {
        self.speed_sum += now.speed_mean * now.with_speed as f64;
        self.speed_samples += now.with_speed;
        self.peak_below_realtime = self.peak_below_realtime.max(now.below_realtime);
        now.run_speed_samples = self.speed_samples;
        now.run_speed_mean = if self.speed_samples > 0 {
            self.speed_sum / self.speed_samples as f64
        } else {
            0.0
        };
        now.ever_stalled = self.ever_stalled.len() as u64;
        now.peak_below_realtime = self.peak_below_realtime;
        now
    }
}

/// How many viewers ahead of the one being read the tick prefetches.
const PREFETCH_AHEAD: usize = 6;

/// Hints the CPU to pull the first cache lines of a viewer's stats (its hot part) into cache.
fn prefetch(stats: *const ViewerStats) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let base = stats.cast::<i8>();
        for offset in (0..tick::HOT_BYTES).step_by(64) {
            // SAFETY: prefetch is only a hint, it never faults or reads memory architecturally;
            // SSE is part of the x86_64 baseline. `wrapping_add` keeps the address computation
            // free of provenance requirements.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(base.wrapping_add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = stats;
}

fn rates(prev: &RateBase, now: &CounterValues, bytes: u64, secs: f64) -> Rates {
    if secs <= 0.0 {
        return Rates::default();
    }
    let d = now.delta(&prev.counters);
    let per_s = |c: Counter| d.get(c) as f64 / secs;
    Rates {
        interval_s: secs,
        manifest_per_s: per_s(Counter::ManifestRequests),
        segment_per_s: per_s(Counter::SegmentRequests),
        init_per_s: per_s(Counter::InitRequests),
        other_per_s: per_s(Counter::OtherRequests),
        requests_per_s: d.total_requests() as f64 / secs,
        bytes_per_s: bytes.saturating_sub(prev.bytes) as f64 / secs,
        http_errors_per_s: per_s(Counter::HttpErrors),
    }
}
