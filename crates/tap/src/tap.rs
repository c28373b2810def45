//! `Tap`: starting the tap on a runtime of its own, reading it while it runs, and stopping it.

use std::net::{Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::sync::{oneshot, watch};

use crate::allow::Added;
use crate::authority::{HTTP_PORT, host_port};
use crate::config::TapConfig;
use crate::conn::serve_client;
use crate::cpu::Threads;
use crate::error::TapError;
use crate::phase::{AllDone, Phase, PhaseWatch, Tracker};
use crate::record::TapObserver;
use crate::shared::Shared;
use crate::totals::TapTotals;

/// The name of the tap's threads.
pub const THREAD_NAME: &str = "hls-swarm-tap";

/// A running tap: a measuring HTTP/1.1 forward proxy on 127.0.0.1, on threads of its own.
///
/// Dropping it cuts everything at once; [`Tap::shutdown`] lets requests in flight finish first.
pub struct Tap {
    addr: SocketAddr,
    shared: Arc<Shared>,
    phase: watch::Sender<Phase>,
    all_done: Option<AllDone>,
    runtime: Option<Runtime>,
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap")
            .field("addr", &self.addr)
            .field("totals", &self.totals())
            .finish_non_exhaustive()
    }
}

impl Tap {
    /// Starts a tap forwarding to `config.target`'s host (and the hosts its playlists name),
    /// handing every record to `observer`. It listens on 127.0.0.1 only.
    ///
    /// Call it from anywhere, inside another tokio runtime or not: the tap builds its own.
    pub fn start(config: TapConfig, observer: Arc<dyn TapObserver>) -> Result<Tap, TapError> {
        let target_host = config.target_host()?;
        let threads = Arc::new(Threads::default());
        let runtime = build_runtime(config.worker_threads, &threads)?;
        let listen_error = |source| TapError::Listen {
            port: config.port,
            source,
        };
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
            .map_err(listen_error)?;
        std_listener.set_nonblocking(true).map_err(listen_error)?;
        let addr = std_listener.local_addr().map_err(listen_error)?;
        let listener = {
            let _entered = runtime.enter();
            TcpListener::from_std(std_listener).map_err(listen_error)?
        };
        let shared = Arc::new(Shared::new(&config, target_host, observer, threads));
        let (phase, phases) = PhaseWatch::channel();
        let (tracker, all_done) = Tracker::new();
        runtime.spawn(accept_loop(listener, Arc::clone(&shared), phases, tracker));
        Ok(Tap {
            addr,
            shared,
            phase,
            all_done: Some(all_done),
            runtime: Some(runtime),
        })
    }

    /// The address it listens on (127.0.0.1 and the port bound).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What to pass ffmpeg: `-http_proxy http://127.0.0.1:PORT`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A copy of its running totals.
    pub fn totals(&self) -> TapTotals {
        self.shared.counters.snapshot()
    }

    /// Allows one more upstream host, `host[:port]` (port 80 when none is given; give 443 for
    /// an `https://` host, which ffmpeg reaches with `CONNECT host:443`).
    pub fn allow_host(&self, host: &str) -> Result<(), TapError> {
        let key = host_port(host, HTTP_PORT)
            .filter(|_| !host.contains(['/', '?', '#']))
            .ok_or_else(|| TapError::InvalidHost(host.to_owned()))?;
        match self.shared.allow.add(&key) {
            Added::Allowed => Ok(()),
            Added::Full => Err(TapError::AllowListFull(self.shared.allow.max_hosts())),
        }
    }

    /// Whether requests for `host:port` are forwarded now (the target's, and the hosts its
    /// relayed playlists named or [`Tap::allow_host`] added).
    pub fn is_allowed(&self, host: &str) -> bool {
        host_port(host, HTTP_PORT).is_some_and(|key| self.shared.allow.allows(&key))
    }

    /// CPU time (user + system) the tap's own threads have used since it started.
    pub fn cpu_time(&self) -> Duration {
        self.shared.threads.cpu_time()
    }

    /// Stops the tap: it accepts no more connections, closes idle ones, lets requests in flight
    /// finish for at most `grace`, then cuts what is left (each cut request recorded as
    /// truncated). Returns once every connection is closed and every record handed out, with
    /// the final totals. It may be awaited from any executor.
    pub async fn shutdown(mut self, grace: Duration) -> TapTotals {
        let (Some(runtime), Some(mut all_done)) = (&self.runtime, self.all_done.take()) else {
            return self.totals();
        };
        let _ = self.phase.send(Phase::Draining);
        let (finished, wait) = oneshot::channel();
        let shared = Arc::clone(&self.shared);
        let phase = self.phase.clone();
        runtime.spawn(async move {
            if tokio::time::timeout(grace, all_done.wait()).await.is_err() {
                shared.start_cutting();
                let _ = phase.send(Phase::Cut);
                all_done.wait().await;
            }
            let _ = finished.send(());
        });
        let _ = wait.await;
        self.totals()
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.shared.start_cutting();
        let _ = self.phase.send(Phase::Cut);
        if let Some(runtime) = self.runtime.take() {
            // Never blocks, so a tap may be dropped inside another runtime.
            runtime.shutdown_background();
        }
    }
}

/// The tap's runtime: `worker_threads` named threads (plus a blocking pool of at most two,
/// for name lookups), each noted in `threads` for its CPU time.
fn build_runtime(worker_threads: usize, threads: &Arc<Threads>) -> Result<Runtime, TapError> {
    let started = Arc::clone(threads);
    let stopped = Arc::clone(threads);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads)
        .max_blocking_threads(2)
        .thread_name(THREAD_NAME)
        .on_thread_start(move || started.started())
        .on_thread_stop(move || stopped.stopped())
        .enable_io()
        .enable_time()
        .build()
        .map_err(TapError::Runtime)
}

/// Accepts viewer connections until the tap drains.
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    phases: PhaseWatch,
    tracker: Tracker,
) {
    let mut draining = pin!(phases.reached(Phase::Draining));
    loop {
        tokio::select! {
            () = &mut draining => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let task = serve_client(stream, Arc::clone(&shared), phases.clone(), tracker.clone());
                    tokio::spawn(task);
                }
                // Out of file descriptors, or the like: try again shortly rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}
