//! The tap's own running totals: plain atomic counters and gauges, readable at any time
//! ([`TapTotals`] is a copy of them).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A copy of the tap's totals (see [`Tap::totals`](crate::Tap::totals)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TapTotals {
    /// Requests recorded (one per [`RequestRecord`](crate::RequestRecord) handed out).
    pub requests: u64,
    /// Requests refused (403 or 400) and forwarded nowhere.
    pub refused: u64,
    /// Requests whose response did not reach the viewer whole.
    pub truncated: u64,
    /// Requests that got no response from upstream (connect failed, or the upstream closed or
    /// answered something that is not HTTP before a response head).
    pub failed: u64,
    /// Viewer connections accepted.
    pub client_connections: u64,
    /// Upstream connections opened (tunnels included).
    pub upstream_connects: u64,
    /// Upstream connections that could not be opened.
    pub upstream_connect_failures: u64,
    /// Upstream connections opened because a viewer connection named another host than the
    /// one its upstream connection went to (the old one is closed first).
    pub upstream_host_switches: u64,
    /// `CONNECT` tunnels opened.
    pub tunnels: u64,
    /// Viewer connections open now (a connection turned into a tunnel counts in `open_tunnels`).
    pub open_client_connections: u64,
    /// Upstream connections open now (tunnels not included).
    pub open_upstream_connections: u64,
    /// Tunnels open now.
    pub open_tunnels: u64,
    /// Response body bytes relayed to viewers.
    pub body_bytes: u64,
    /// Bytes relayed through tunnels, both ways.
    pub tunnel_bytes: u64,
}

/// The live counters behind [`TapTotals`].
// Relaxed everywhere: independent counters, each read on its own; a copy tolerates a torn view
// across fields, and nothing else is published through them.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) truncated: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) client_connections: AtomicU64,
    pub(crate) upstream_connects: AtomicU64,
    pub(crate) upstream_connect_failures: AtomicU64,
    pub(crate) upstream_host_switches: AtomicU64,
    pub(crate) tunnels: AtomicU64,
    open_client_connections: AtomicU64,
    open_upstream_connections: AtomicU64,
    open_tunnels: AtomicU64,
    pub(crate) body_bytes: AtomicU64,
    pub(crate) tunnel_bytes: AtomicU64,
}

/// Which gauge a [`Gauge`] holds up.
#[derive(Clone, Copy, Debug)]
pub(crate) enum GaugeKind {
    Client,
    Upstream,
    Tunnel,
}

/// One open connection in a gauge, for as long as it lives.
#[derive(Debug)]
pub(crate) struct Gauge {
    counters: Arc<Counters>,
    kind: GaugeKind,
}

impl Drop for Gauge {
    fn drop(&mut self) {
        // Relaxed: a gauge read on its own (see `Counters`).
        self.counters
            .gauge(self.kind)
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl Counters {
    /// Adds one to `counter`.
    pub(crate) fn bump(counter: &AtomicU64) {
        Counters::add(counter, 1);
    }

    /// Adds `n` to `counter`.
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        // Relaxed: independent counters (see `Counters`).
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn gauge(&self, kind: GaugeKind) -> &AtomicU64 {
        match kind {
            GaugeKind::Client => &self.open_client_connections,
            GaugeKind::Upstream => &self.open_upstream_connections,
            GaugeKind::Tunnel => &self.open_tunnels,
        }
    }

    /// Counts one more open connection of `kind` until the guard is dropped.
    pub(crate) fn open(self: &Arc<Counters>, kind: GaugeKind) -> Gauge {
        // Relaxed: a gauge read on its own (see `Counters`).
        self.gauge(kind).fetch_add(1, Ordering::Relaxed);
        Gauge {
            counters: Arc::clone(self),
            kind,
        }
    }

    /// A copy of every counter.
    pub(crate) fn snapshot(&self) -> TapTotals {
        // Relaxed: see `Counters`.
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TapTotals {
            requests: read(&self.requests),
            refused: read(&self.refused),
            truncated: read(&self.truncated),
            failed: read(&self.failed),
            client_connections: read(&self.client_connections),
            upstream_connects: read(&self.upstream_connects),
            upstream_connect_failures: read(&self.upstream_connect_failures),
            upstream_host_switches: read(&self.upstream_host_switches),
            tunnels: read(&self.tunnels),
            open_client_connections: read(&self.open_client_connections),
            open_upstream_connections: read(&self.open_upstream_connections),
            open_tunnels: read(&self.open_tunnels),
            body_bytes: read(&self.body_bytes),
            tunnel_bytes: read(&self.tunnel_bytes),
        }
    }
}
