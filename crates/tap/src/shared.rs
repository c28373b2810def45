//! `Shared`: what every connection of one tap reads — the observer, the counters, the allow
//! list, what playlists taught it, the hyper builders — and how a record is handed out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use hyper::client::conn::http1 as client;
use hyper::server::conn::http1 as server;

use crate::allow::AllowList;
use crate::config::TapConfig;
use crate::cpu::Threads;
use crate::learnt::Learnt;
use crate::record::{Failure, RefusedRecord, RequestRecord, TapObserver, TunnelRecord};
use crate::totals::Counters;

/// The largest buffer hyper keeps per viewer connection: it bounds what a response may have
/// queued for a slow viewer (so back-pressure reaches the upstream soon) and a request head.
const SERVER_MAX_BUF: usize = 64 * 1024;

/// The most each upstream connection's read buffer grows to. hyper's default lets it grow with
/// the reads up to ~400 KiB, and a connection keeps its buffer as long as it lives (its
/// read-ahead while idle reserves a whole one again), so a swarm's few thousand kept-alive
/// upstream connections held about 0.6 MB per viewer. Capped at 64 KiB, a playlist connection
/// stays at hyper's initial 8 KiB and a segment connection reads a 40–100 KB segment in two to
/// four reads; the buffers also stay below glibc's mmap threshold, so they are recycled in the
/// heap rather than mapped and faulted in afresh.
const UPSTREAM_MAX_BUF: usize = 64 * 1024;

/// State shared by every task of one tap.
pub(crate) struct Shared {
    pub(crate) observer: Arc<dyn TapObserver>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) allow: AllowList,
    pub(crate) learnt: Learnt,
    pub(crate) threads: Arc<Threads>,
    pub(crate) connect_timeout: Duration,
    pub(crate) playlist_max_bytes: usize,
    /// How viewer connections are served.
    pub(crate) server: server::Builder,
    /// How upstream connections are driven.
    pub(crate) client: client::Builder,
    next_connection: AtomicU64,
    /// Set once shutdown's grace has passed: what is cut from now on is cut by the tap.
    cutting: AtomicBool,
}

impl Shared {
    pub(crate) fn new(
        config: &TapConfig,
        target_host: String,
        observer: Arc<dyn TapObserver>,
        threads: Arc<Threads>,
    ) -> Shared {
        let mut server = server::Builder::new();
        server
            .preserve_header_case(true)
            .auto_date_header(false)
            .writev(true)
            .max_buf_size(SERVER_MAX_BUF);
        let mut client = client::Builder::new();
        client
            .preserve_header_case(true)
            .max_buf_size(UPSTREAM_MAX_BUF);
        Shared {
            observer,
            counters: Arc::new(Counters::default()),
            allow: AllowList::new([target_host], config.max_allowed_hosts.max(1)),
            learnt: Learnt::new(config.playlist_uris_kept, config.playlists_kept),
            threads,
            connect_timeout: config.connect_timeout,
            playlist_max_bytes: config.playlist_max_bytes,
            server,
            client,
            next_connection: AtomicU64::new(1),
            cutting: AtomicBool::new(false),
        }
    }

    /// The next viewer connection's number.
    pub(crate) fn next_connection(&self) -> u64 {
        // Relaxed: only uniqueness matters.
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// Marks every cut from now on as the tap's (before the cut phase is published).
    pub(crate) fn start_cutting(&self) {
        // Release: pairs with the Acquire in `is_cutting`, on whichever thread drops a request.
        self.cutting.store(true, Ordering::Release);
    }

    /// Whether shutdown is cutting what is left.
    pub(crate) fn is_cutting(&self) -> bool {
        // Acquire: pairs with the Release in `start_cutting`.
        self.cutting.load(Ordering::Acquire)
    }

    /// Counts a finished request and hands it to the observer.
    pub(crate) fn emit_request(&self, record: &RequestRecord) {
        Counters::bump(&self.counters.requests);
        if record.truncated {
            Counters::bump(&self.counters.truncated);
        }
        if matches!(record.failure, Some(Failure::Connect | Failure::NoResponse)) {
            Counters::bump(&self.counters.failed);
        }
        self.observer.on_request(record);
    }

    /// Counts a refused request and hands it to the observer.
    pub(crate) fn emit_refused(&self, record: &RefusedRecord) {
        Counters::bump(&self.counters.refused);
        self.observer.on_refused(record);
    }

    /// Counts a finished tunnel's bytes and hands it to the observer.
    pub(crate) fn emit_tunnel(&self, record: &TunnelRecord) {
        Counters::add(
            &self.counters.tunnel_bytes,
            record.bytes_up + record.bytes_down,
        );
        self.observer.on_tunnel(record);
    }
}
