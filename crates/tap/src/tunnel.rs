//! `CONNECT` tunnels, how ffmpeg reaches an `https://` origin through an HTTP proxy: for an
//! allowed host, the tap opens TCP to it, answers `200 Connection established`, and copies
//! bytes both ways until both sides have closed (a side's close is passed on to the other as
//! a shutdown of its write half). The requests inside are encrypted: a tunnel is timed and
//! counted as a whole, in one [`TunnelRecord`].

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use hyper::body::Incoming;
use hyper::ext::ReasonPhrase;
use hyper::header::USER_AGENT;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::answer::{Answer, CloseWithoutResponse, refuse};
use crate::authority::{HTTPS_PORT, host_port};
use crate::body::RelayBody;
use crate::classify::viewer_id;
use crate::phase::{Phase, PhaseWatch, Tracker};
use crate::record::{Failure, RefusedReason, TunnelRecord};
use crate::shared::Shared;
use crate::totals::{Counters, GaugeKind};
use crate::upstream;

/// Answers a `CONNECT` request: refuses it, or opens the tunnel and starts its task.
pub(crate) async fn open(
    shared: Arc<Shared>,
    connection: u64,
    phases: PhaseWatch,
    tracker: Tracker,
    mut request: Request<Incoming>,
) -> Answer {
    let received_at = SystemTime::now();
    let viewer = request
        .headers()
        .get(USER_AGENT)
        .and_then(|ua| viewer_id(ua.as_bytes()));
    let host = request
        .uri()
        .authority()
        .and_then(|a| host_port(a.as_str(), HTTPS_PORT));
    let reason = match &host {
        None => Some(RefusedReason::NotAProxyRequest),
        Some(host) if !shared.allow.allows(host) => Some(RefusedReason::HostNotAllowed),
        Some(_) => None,
    };
    let (Some(host), None) = (host, reason) else {
        let reason = reason.unwrap_or(RefusedReason::NotAProxyRequest);
        let target = request.uri().to_string();
        let method = request.method().clone();
        return Ok(refuse(&shared, connection, viewer, &method, target, reason));
    };
    let mut record = TunnelRecord {
        connection,
        viewer,
        host,
        received_at,
        connect: None,
        bytes_up: 0,
        bytes_down: 0,
        duration: Duration::ZERO,
        failure: None,
    };
    let start = Instant::now();
    let Some(stream) = upstream::connect(&shared, &record.host).await else {
        record.failure = Some(Failure::Connect);
        shared.emit_tunnel(&record);
        return Err(CloseWithoutResponse);
    };
    record.connect = Some(start.elapsed());
    Counters::bump(&shared.counters.tunnels);
    let gauge = shared.counters.open(GaugeKind::Tunnel);
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let _gauge = gauge;
        let _tracker = tracker;
        let began = Instant::now();
        let mut upstream = Counted::new(stream);
        let relay = async {
            let client = upgrade.await.map_err(|_| Failure::ViewerGone)?;
            let mut client = TokioIo::new(client);
            tokio::io::copy_bidirectional(&mut client, &mut upstream)
                .await
                .map_err(|_| Failure::UpstreamCut)
        };
        record.failure = tokio::select! {
            relayed = relay => relayed.err(),
            () = phases.reached(Phase::Cut) => Some(Failure::Shutdown),
        };
        record.duration = began.elapsed();
        record.bytes_up = upstream.written;
        record.bytes_down = upstream.read;
        shared.emit_tunnel(&record);
    });
    let mut response = Response::new(RelayBody::empty());
    response
        .extensions_mut()
        .insert(ReasonPhrase::from_static(b"Connection established"));
    Ok(response)
}

/// A socket that counts the bytes read from and written to it.
struct Counted {
    stream: TcpStream,
    read: u64,
    written: u64,
}

impl Counted {
    fn new(stream: TcpStream) -> Counted {
        Counted {
            stream,
            read: 0,
            written: 0,
        }
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        this.read += (buf.filled().len() - before) as u64;
        polled
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.written += n as u64;
        }
        polled
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
