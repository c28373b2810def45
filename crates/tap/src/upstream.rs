//! Upstream connections: one TCP connection to the origin per viewer connection, opened at
//! the viewer's first request for that host, driven by hyper's HTTP/1 client on a task of its
//! own, and closed (the task aborted) when the viewer's connection ends.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::phase::Tracker;
use crate::shared::Shared;
use crate::totals::{Counters, GaugeKind};

/// An open upstream connection of one viewer connection.
pub(crate) struct Upstream {
    /// The `host:port` it goes to.
    pub(crate) host_port: String,
    /// Sends requests on it, one at a time.
    pub(crate) sender: SendRequest<Incoming>,
    /// Requests sent on it so far.
    pub(crate) requests: u64,
    /// The task driving it; aborted (the socket closed) when this is dropped.
    task: AbortHandle,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens a TCP connection to `host_port` and starts hyper's client on it; `closed` is notified
/// when the upstream ends it. Returns the connection and how long connecting took, or `None`
/// (counted) when it could not be opened in time.
pub(crate) async fn open(
    shared: &Arc<Shared>,
    host_port: &str,
    closed: Arc<Notify>,
    tracker: Tracker,
) -> Option<(Box<Upstream>, Duration)> {
    let start = Instant::now();
    let stream = connect(shared, host_port).await?;
    let connect = start.elapsed();
    let gauge = shared.counters.open(GaugeKind::Upstream);
    let Ok((sender, connection)) = shared.client.handshake(TokioIo::new(stream)).await else {
        // hyper's handshake does no I/O; it cannot fail in practice.
        return None;
    };
    let task = tokio::spawn(async move {
        let _gauge = gauge;
        let _tracker = tracker;
        let _ = connection.await;
        closed.notify_one();
    });
    let upstream = Upstream {
        host_port: host_port.to_owned(),
        sender,
        requests: 0,
        task: task.abort_handle(),
    };
    Some((Box::new(upstream), connect))
}

/// A TCP connection to `host_port` within the connect timeout, counted; `None` (counted as a
/// failure) when it could not be opened.
pub(crate) async fn connect(shared: &Shared, host_port: &str) -> Option<TcpStream> {
    let attempt = tokio::time::timeout(shared.connect_timeout, TcpStream::connect(host_port)).await;
    match attempt {
        Ok(Ok(stream)) => {
            Counters::bump(&shared.counters.upstream_connects);
            // Requests and small playlists go out at once rather than wait for an ACK.
            let _ = stream.set_nodelay(true);
            Some(stream)
        }
        _ => {
            Counters::bump(&shared.counters.upstream_connect_failures);
            None
        }
    }
}
