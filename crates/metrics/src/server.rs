//! The HTTP side: `/metrics`, `/healthz`, `/readyz` on axum, with a graceful shutdown.

use crate::error::MetricsError;
use crate::exporter::{Exporter, Format};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The address the binary listens on unless told otherwise.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:17091";

/// A running metrics server. Dropping it without [`MetricsServer::shutdown`] leaves the server
/// running until the runtime ends.
#[derive(Debug)]
pub struct MetricsServer {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl MetricsServer {
    /// The bound address (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://ADDR/metrics`, for the banner.
    pub fn metrics_url(&self) -> String {
        format!("http://{}/metrics", self.local_addr)
    }

    /// Stops accepting connections, lets in-flight scrapes finish, and waits for the server task.
    pub async fn shutdown(mut self) -> Result<(), MetricsError> {
        if let Some(stop) = self.stop.take() {
            // The receiver is gone only if the server already ended; its result tells why.
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(MetricsError::Serve(e)),
            Err(e) => Err(MetricsError::Task(e)),
        }
    }
}

/// Binds `addr` and serves `exporter` on `/metrics`, plus `/healthz` (always `200 ok`) and
/// `/readyz` (`503` until the aggregator's first tick, then `200 ok`). Must run inside a tokio
/// runtime. The bind happens before this returns, so a busy port is reported here.
pub async fn serve(addr: SocketAddr, exporter: Exporter) -> Result<MetricsServer, MetricsError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| MetricsError::bind(addr, e))?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| MetricsError::bind(addr, e))?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(Arc::new(exporter));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // Only an explicit shutdown stops the server: a dropped `MetricsServer` (sender
                // gone, `Err`) keeps serving until the runtime ends, as documented above.
                if stopped.await.is_err() {
                    std::future::pending::<()>().await;
                }
            })
            .await
    });
    Ok(MetricsServer {
        local_addr,
        stop: Some(stop),
        task,
    })
}

async fn metrics(State(exporter): State<Arc<Exporter>>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Format::negotiate(accept);
    // Encoding is CPU work (~50 µs swarm-wide, ~10 ms with 10,000 per-viewer rows): off the
    // async workers, so a big scrape never delays the supervisor's tasks.
    match tokio::task::spawn_blocking(move || exporter.encode(format)).await {
        Ok(body) => ([(header::CONTENT_TYPE, format.content_type())], body).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding failed: {e}"),
        )
            .into_response(),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(exporter): State<Arc<Exporter>>) -> Response {
    if exporter.is_ready() {
        (StatusCode::OK, "ok").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for the first snapshot",
        )
            .into_response()
    }
}
