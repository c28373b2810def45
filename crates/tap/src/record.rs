//! What the tap hands its observer: one [`RequestRecord`] per request relayed (or attempted),
//! one [`RefusedRecord`] per request refused, one [`TunnelRecord`] per `CONNECT` tunnel.

use std::time::{Duration, SystemTime};

use hyper::Method;
use hyper::http::uri::PathAndQuery;

use hls_swarm_parse::RequestKind;

/// Receives the tap's records, on the tap's own threads, as each request ends.
///
/// The tap takes no lock to call it; an implementation should not either (per-viewer atomics
/// are the intended shape) and must not block: while it runs, that tap thread relays nothing.
pub trait TapObserver: Send + Sync + 'static {
    /// A request ended: its whole response was relayed, or it was cut, or it failed.
    fn on_request(&self, record: &RequestRecord);

    /// A request was refused by the tap itself (403 for a host not allowed, 400 for a
    /// request that is not a proxy request) and forwarded nowhere.
    fn on_refused(&self, record: &RefusedRecord) {
        let _ = record;
    }

    /// A `CONNECT` tunnel ended (or could not be opened).
    fn on_tunnel(&self, record: &TunnelRecord) {
        let _ = record;
    }
}

/// The observer that keeps nothing: only the tap's [`TapTotals`](crate::TapTotals) count.
impl TapObserver for () {
    fn on_request(&self, _: &RequestRecord) {}
}

/// Why a request's response did not reach its viewer whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// The upstream connection could not be opened (refused, unreachable, or the connect
    /// timeout passed): the viewer's connection was closed without a response.
    Connect,
    /// The upstream connection closed, or sent something that is not an HTTP response,
    /// before a response head (or had closed before this request): the viewer's connection
    /// was closed without a response.
    NoResponse,
    /// The upstream connection closed mid-body: the viewer's body is cut off too.
    UpstreamCut,
    /// The viewer closed its connection before the whole response was relayed.
    ViewerGone,
    /// The tap was shut down before the whole response was relayed.
    Shutdown,
}

/// One request, as the tap relayed it. Times are measured on the tap's monotonic clock.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The viewer's connection to the tap (numbered from 1 in accept order).
    pub connection: u64,
    /// The viewer, from a `User-Agent` ending in `client-N`; `None` for any other (then the
    /// connection identifies it).
    pub viewer: Option<u32>,
    /// What the request fetches.
    pub kind: RequestKind,
    /// The request method.
    pub method: Method,
    /// The upstream, `host:port` (host in lower case).
    pub host: String,
    /// The path and query sent upstream (origin form).
    pub path: PathAndQuery,
    /// When the request head reached the tap (wall clock).
    pub received_at: SystemTime,
    /// The response status relayed; `None` when no response reached the viewer.
    pub status: Option<u16>,
    /// Body bytes relayed to the viewer's connection.
    pub body_bytes: u64,
    /// Time to open the upstream connection this request opened; `None` when it reused one.
    pub connect: Option<Duration>,
    /// Whether the request went over an upstream connection an earlier request opened.
    pub reused: bool,
    /// From sending the request upstream to receiving the response head.
    pub ttfb: Option<Duration>,
    /// From sending the request upstream to handing the last body byte to the viewer's socket
    /// (what nginx's `$request_time` and k6's `http_req_duration` count); up to the cut for a
    /// truncated response; `None` when no response reached the viewer.
    pub download: Option<Duration>,
    /// The response did not reach the viewer whole: the upstream closed mid-body, the viewer
    /// went away, or the tap stopped ([`failure`](Self::failure) says which).
    pub truncated: bool,
    /// What went wrong, if anything.
    pub failure: Option<Failure>,
    /// For a segment, the `#EXTINF` duration a relayed media playlist listed it with; `None`
    /// when no playlist relayed lately listed it. A segment is late when
    /// `download > segment_duration`.
    pub segment_duration: Option<Duration>,
}

impl RequestRecord {
    /// Whether this segment took longer to download than it lasts (`None` when either is unknown).
    pub fn is_late(&self) -> Option<bool> {
        Some(self.download? > self.segment_duration?)
    }
}

/// Why the tap refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefusedReason {
    /// Its host is not on the allow list (answered 403 Forbidden).
    HostNotAllowed,
    /// It is not a proxy request: an origin-form target (`GET /path`) or a scheme other than
    /// `http://` (answered 400 Bad Request).
    NotAProxyRequest,
}

/// A request the tap refused and forwarded nowhere.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RefusedRecord {
    /// The viewer's connection to the tap.
    pub connection: u64,
    /// The viewer, from its `User-Agent`, when it names one.
    pub viewer: Option<u32>,
    /// The request method.
    pub method: Method,
    /// The request target as the viewer sent it.
    pub target: String,
    /// Why it was refused.
    pub reason: RefusedReason,
    /// The status the tap answered (403 or 400).
    pub status: u16,
}

/// One `CONNECT` tunnel (how ffmpeg reaches an `https://` origin through a proxy). The
/// requests inside it are encrypted: the tap times the tunnel, not them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TunnelRecord {
    /// The viewer's connection to the tap.
    pub connection: u64,
    /// The viewer, when the `CONNECT` request carried a `User-Agent` ending in `client-N`
    /// (ffmpeg 5.1 sends none on `CONNECT`, so `None` for it).
    pub viewer: Option<u32>,
    /// The upstream, `host:port`.
    pub host: String,
    /// When the `CONNECT` request reached the tap (wall clock).
    pub received_at: SystemTime,
    /// Time to open the upstream connection; `None` when it could not be opened.
    pub connect: Option<Duration>,
    /// Bytes from the viewer to the upstream.
    pub bytes_up: u64,
    /// Bytes from the upstream to the viewer.
    pub bytes_down: u64,
    /// From the tunnel's start (the `200` answer) to its end.
    pub duration: Duration,
    /// What ended it abnormally: [`Failure::Connect`] (the viewer's connection was closed
    /// without a response), [`Failure::Shutdown`], or a broken connection on either side
    /// ([`Failure::UpstreamCut`], reported for both sides alike); `None` when both sides closed.
    pub failure: Option<Failure>,
}
