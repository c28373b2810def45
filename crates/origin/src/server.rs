//! The HTTP side: routes, range requests, faults, access logging, and the [`OriginHandle`].

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::serve::ListenerExt;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::access_log::{LogSink, OriginStats, format_line};
use crate::body::{FaultBody, OnEnd};
use crate::clock::{Clock, SystemClock};
use crate::config::OriginConfig;
use crate::error::OriginError;
use crate::faults::{BodyFault, Faults};
use crate::playlist::{self, Timeline};
use crate::rendition::Rendition;

const M3U8: &str = "application/vnd.apple.mpegurl";
const MP2T: &str = "video/mp2t";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";

/// How long [`OriginHandle::shutdown`] waits for open connections before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves `rendition` live on `cfg.addr`, driven by the system clock.
///
/// Returns once the socket is bound; the server runs on the current tokio runtime until
/// [`OriginHandle::shutdown`] (or until the handle is dropped).
pub async fn serve(cfg: &OriginConfig, rendition: Rendition) -> Result<OriginHandle, OriginError> {
    serve_with_clock(cfg, rendition, Arc::new(SystemClock)).await
}

/// Like [`serve`], with the live window driven by `clock` (a [`ManualClock`](crate::ManualClock) in tests).
pub async fn serve_with_clock(
    cfg: &OriginConfig,
    rendition: Rendition,
    clock: Arc<dyn Clock>,
) -> Result<OriginHandle, OriginError> {
    cfg.validate()?;
    rendition.check_matches(cfg)?;
    let log = LogSink::open(&cfg.access_log)?;
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => OriginError::AddrInUse { addr: cfg.addr },
            _ => OriginError::Bind {
                addr: cfg.addr,
                source,
            },
        })?;
    let local_addr = listener.local_addr().map_err(|source| OriginError::Bind {
        addr: cfg.addr,
        source,
    })?;
    let timeline = Timeline {
        segment_secs: u64::from(cfg.segment_secs),
        window: u64::from(cfg.window),
        grace: u64::from(cfg.grace_segments),
        loop_len: rendition.n_loop_segments() as u64,
    };
    let started = clock.now();
    let frozen_at = [cfg.stale_after, cfg.end_after]
        .into_iter()
        .flatten()
        .min()
        .map(|after| started + after);
    let state = Arc::new(OriginState {
        frozen_at,
        ends_at: cfg.end_after.map(|after| started + after),
        master: Bytes::from(playlist::master_playlist(&rendition)),
        rendition: rendition.clone(),
        timeline,
        clock,
        faults: Faults::new(cfg.faults.clone(), cfg.seed),
        log,
        stats: Mutex::new(OriginStats::default()),
        live: LiveSegments::new(
            cfg.variants.len(),
            (cfg.window + cfg.grace_segments + 2) as usize,
        ),
    });
    let app = Router::new().fallback(handle).with_state(state.clone());
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let listener = listener.tap_io(|tcp| {
        // Small playlist answers should not wait for Nagle.
        let _ = tcp.set_nodelay(true);
    });
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = shutdown_rx.await;
        });
        let _ = server.await;
    });
    Ok(OriginHandle {
        local_addr,
        shutdown_tx: Some(shutdown_tx),
        task: Some(task),
        state,
    })
}

/// A running origin. Dropping it asks the server to stop; [`shutdown`](Self::shutdown)
/// also waits until it has.
#[derive(Debug)]
pub struct OriginHandle {
    local_addr: SocketAddr,
    shutdown_tx: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    state: Arc<OriginState>,
}

impl OriginHandle {
    /// The address the origin is listening on (the real port when configured with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://HOST:PORT` with a connectable host (loopback when bound to `0.0.0.0`/`::`).
    pub fn base_url(&self) -> String {
        let ip = match self.local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.local_addr.port()))
    }

    /// The master playlist URL, `http://HOST:PORT/master.m3u8`.
    pub fn url(&self) -> String {
        format!("{}/master.m3u8", self.base_url())
    }

    /// The rendition being served.
    pub fn rendition(&self) -> &Rendition {
        &self.state.rendition
    }

    /// The request counters so far (every access-log line is counted here too).
    pub fn stats(&self) -> OriginStats {
        self.state
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops accepting, lets requests in flight finish (closing idle keep-alive
    /// connections), waits up to 5 s, then drops what is left. Every request answered has
    /// its access-log line written when this returns.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for OriginHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(());
        }
    }
}

#[derive(Debug)]
struct OriginState {
    /// When the live window stops moving (`stale_after` or `end_after`, whichever is first).
    frozen_at: Option<SystemTime>,
    /// When the media playlists get `#EXT-X-ENDLIST` (`end_after`).
    ends_at: Option<SystemTime>,
    rendition: Rendition,
    master: Bytes,
    timeline: Timeline,
    clock: Arc<dyn Clock>,
    faults: Faults,
    log: LogSink,
    stats: Mutex<OriginStats>,
    live: LiveSegments,
}

/// The live segments patched lately, per variant: each is patched once (see
/// `Rendition::segment_bytes`) and then served to every viewer as a shared `Bytes`.
#[derive(Debug)]
struct LiveSegments {
    per_variant: Vec<Mutex<VecDeque<(u64, Bytes)>>>,
    capacity: usize,
}

impl LiveSegments {
    fn new(n_variants: usize, capacity: usize) -> Self {
        Self {
            per_variant: (0..n_variants).map(|_| Mutex::default()).collect(),
            capacity,
        }
    }

    fn get(&self, rendition: &Rendition, idx: usize, seq: u64) -> Option<Bytes> {
        let slot = self.per_variant.get(idx)?;
        let cached = slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(s, _)| *s == seq)
            .map(|(_, b)| b.clone());
        if cached.is_some() {
            return cached;
        }
        // Patch outside the lock; two racing requests may both patch, which is harmless.
        let bytes = rendition.segment_bytes(idx, seq)?;
        let mut ring = slot.lock().unwrap_or_else(|e| e.into_inner());
        if !ring.iter().any(|(s, _)| *s == seq) {
            if ring.len() >= self.capacity {
                ring.pop_front();
            }
            ring.push_back((seq, bytes.clone()));
        }
        Some(bytes)
    }
}

impl OriginState {
    /// The live time at `now`: `now`, or the moment the window froze.
    fn live_time(&self, now: SystemTime) -> SystemTime {
        self.frozen_at.map_or(now, |frozen| now.min(frozen))
    }

    /// Whether the stream has ended (its media playlists carry `#EXT-X-ENDLIST`) at `now`.
    fn ended(&self, now: SystemTime) -> bool {
        self.ends_at.is_some_and(|end| now >= end)
    }

    fn record(&self, status: u16, body_bytes: u64, path_and_query: &str, ua: Option<&[u8]>) {
        let line = format_line(SystemTime::now(), status, body_bytes, path_and_query, ua);
        self.log.write_line(&line);
        self.stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(status, body_bytes);
    }
}

/// Logs the request when dropped: with the answer if [`finish`](Self::finish) was called,
/// else as 499 (the client went away while the answer was delayed), like nginx.
struct PendingLog {
    state: Arc<OriginState>,
    path_and_query: String,
    user_agent: Option<HeaderValue>,
    answer: Option<(u16, u64)>,
}

impl PendingLog {
    fn finish(mut self, status: StatusCode, body_bytes: u64) {
        self.answer = Some((status.as_u16(), body_bytes));
    }
}

impl Drop for PendingLog {
    fn drop(&mut self) {
        let (status, bytes) = self.answer.unwrap_or((499, 0));
        let ua = self.user_agent.as_ref().map(HeaderValue::as_bytes);
        self.state.record(status, bytes, &self.path_and_query, ua);
    }
}

/// An answer before range handling.
struct Answer {
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
}

impl Answer {
    fn ok(content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Self {
            status: StatusCode::OK,
            content_type,
            body: body.into(),
        }
    }

    fn error(status: StatusCode, text: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type: TEXT,
            body: text.into(),
        }
    }

    fn not_found() -> Self {
        Self::error(StatusCode::NOT_FOUND, "not found\n")
    }
}

async fn handle(State(state): State<Arc<OriginState>>, req: Request) -> Response {
    let uri = req.uri();
    let path = uri.path().to_owned();
    let pending = PendingLog {
        state: state.clone(),
        path_and_query: uri
            .path_and_query()
            .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned()),
        user_agent: req.headers().get(header::USER_AGENT).cloned(),
        answer: None,
    };
    let method = req.method().clone();
    let decision = state.faults.next(&path);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let answer = if method != Method::GET && method != Method::HEAD {
        Answer::error(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n")
    } else if let Some(status) = decision.status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Answer::error(status, format!("injected fault: {}\n", status.as_u16()))
    } else {
        route(&state, &path, state.clock.now())
    };
    let body_fault = decision
        .body
        .filter(|_| method == Method::GET && answer.status.is_success());
    if let Some(fault) = body_fault {
        (state.stats.lock().unwrap_or_else(|e| e.into_inner())).record_body_fault(fault.name());
    }
    let answer = match body_fault {
        Some(BodyFault::Short) => {
            let half = answer.body.len() / 2;
            Answer {
                body: answer.body.slice(..half),
                ..answer
            }
        }
        Some(BodyFault::Empty) => Answer {
            status: StatusCode::OK,
            body: Bytes::new(),
            ..answer
        },
        _ => answer,
    };
    let (builder, status, body) = respond_parts(answer, req.headers());
    if let Some(fault @ (BodyFault::Rate(_) | BodyFault::Cut)) = body_fault {
        // Logged when the body ends (or is cut, or its client goes away), with the bytes
        // handed to the connection by then.
        let on_end: OnEnd = Box::new(move |sent| pending.finish(status, sent));
        let len = body.len();
        return builder
            .header(header::CONTENT_LENGTH, len)
            .body(Body::from_stream(FaultBody::new(body, fault, on_end)))
            .unwrap_or_else(|_| Response::new(Body::empty()));
    }
    let body_bytes = if method == Method::HEAD {
        0
    } else {
        body.len() as u64
    };
    pending.finish(status, body_bytes);
    builder
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Maps a path to what the origin has for it at `now`.
fn route(state: &OriginState, path: &str, now: SystemTime) -> Answer {
    let timeline = &state.timeline;
    let rendition = &state.rendition;
    let ended = state.ended(now);
    let now = state.live_time(now);
    let Some(window) = timeline.window_at(now) else {
        return Answer::not_found();
    };
    if path == "/master.m3u8" {
        return Answer::ok(M3U8, state.master.clone());
    }
    if path == "/segments.json" {
        let all: Vec<usize> = (0..rendition.n_variants()).collect();
        return Answer::ok(
            JSON,
            playlist::segments_json(rendition, timeline, &all, window, true),
        );
    }
    let Some((idx, file)) = split_variant_path(path) else {
        return Answer::not_found();
    };
    if idx >= rendition.n_variants() {
        return Answer::not_found();
    }
    match file {
        "index.m3u8" => playlist::media_playlist(rendition, timeline, idx, window, ended)
            .map_or_else(Answer::not_found, |text| Answer::ok(M3U8, text)),
        "segments.json" => Answer::ok(
            JSON,
            playlist::segments_json(rendition, timeline, &[idx], window, false),
        ),
        _ => match parse_segment_name(file) {
            Some(seq) if timeline.servable(seq, now) => state
                .live
                .get(rendition, idx, seq)
                .map_or_else(Answer::not_found, |data| Answer::ok(MP2T, data)),
            _ => Answer::not_found(),
        },
    }
}

/// `/v3/rest` → `(3, "rest")`.
fn split_variant_path(path: &str) -> Option<(usize, &str)> {
    let (idx, file) = path.strip_prefix("/v")?.split_once('/')?;
    if idx.is_empty() || !idx.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((idx.parse().ok()?, file))
}

/// `seg00017.ts` → `17`.
fn parse_segment_name(file: &str) -> Option<u64> {
    let digits = file.strip_prefix("seg")?.strip_suffix(".ts")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Builds the response, honouring a single `Range: bytes=…` on 200 answers like nginx
/// (206 with `Content-Range`; 416 when unsatisfiable). Returns it with its body length.
#[cfg(test)]
fn respond(answer: Answer, headers: &HeaderMap) -> (Response, u64) {
    let (builder, _, body) = respond_parts(answer, headers);
    let body_len = body.len() as u64;
    let response = builder
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()));
    (response, body_len)
}

/// The response's head (status set) and body, honouring a single `Range: bytes=…` on 200
/// answers like nginx: 206 with `Content-Range`, 416 when unsatisfiable; an empty body is
/// never ranged (200, as nginx answers for a 0-byte file).
fn respond_parts(
    answer: Answer,
    headers: &HeaderMap,
) -> (axum::http::response::Builder, StatusCode, Bytes) {
    let len = answer.body.len() as u64;
    let range = (answer.status == StatusCode::OK && len > 0)
        .then(|| headers.get(header::RANGE)?.to_str().ok())
        .flatten()
        .and_then(|r| parse_range(r, len));
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, answer.content_type)
        .header(header::ACCEPT_RANGES, "bytes");
    if answer.content_type == M3U8 || answer.content_type == JSON {
        builder = builder.header(header::CACHE_CONTROL, "no-cache");
    }
    let (status, body) = match range {
        None => (answer.status, answer.body),
        Some(Err(())) => {
            builder = builder.header(header::CONTENT_RANGE, format!("bytes */{len}"));
            (StatusCode::RANGE_NOT_SATISFIABLE, Bytes::new())
        }
        Some(Ok((start, end))) => {
            builder = builder.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
            (
                StatusCode::PARTIAL_CONTENT,
                answer.body.slice(start as usize..=end as usize),
            )
        }
    };
    (builder.status(status), status, body)
}

/// Parses a single byte range against a body of `len` bytes: `None` to ignore the header
/// (malformed or multi-range: answer 200 in full), `Some(Err(()))` if unsatisfiable,
/// else the inclusive `(start, end)`.
fn parse_range(value: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        // Suffix range: the last `end` bytes.
        let n: u64 = end.parse().ok()?;
        if n == 0 || len == 0 {
            return Some(Err(()));
        }
        (len.saturating_sub(n), len - 1)
    } else {
        let start: u64 = start.parse().ok()?;
        let end: u64 = if end.is_empty() {
            u64::MAX
        } else {
            end.parse().ok()?
        };
        if end < start {
            return None;
        }
        if start >= len {
            return Some(Err(()));
        }
        (start, end.min(len - 1))
    };
    Some(Ok(range))
}

#[cfg(test)]
mod tests;
