//! One viewer connection, from accept to close: hyper's HTTP/1 server on the socket with the
//! [`Proxy`] service, closed gracefully when the tap drains or the upstream connection ends
//! (after the response in flight), and cut when the tap's grace has passed.

use std::pin::pin;
use std::sync::Arc;

use tokio::net::TcpStream;

use crate::io::ClientIo;
use crate::link::ConnLink;
use crate::phase::{Phase, PhaseWatch, Tracker};
use crate::service::Proxy;
use crate::shared::Shared;
use crate::totals::{Counters, GaugeKind};

/// Serves one accepted viewer connection until it ends.
pub(crate) async fn serve_client(
    stream: TcpStream,
    shared: Arc<Shared>,
    phases: PhaseWatch,
    tracker: Tracker,
) {
    let _gauge = shared.counters.open(GaugeKind::Client);
    Counters::bump(&shared.counters.client_connections);
    let _ = stream.set_nodelay(true);
    let link = Arc::new(ConnLink::new(shared.next_connection()));
    let io = ClientIo::new(stream, Arc::clone(&link));
    let proxy = Proxy::new(
        Arc::clone(&shared),
        Arc::clone(&link),
        phases.clone(),
        tracker,
    );
    let mut connection = pin!(shared.server.serve_connection(io, proxy).with_upgrades());
    let mut draining = pin!(phases.reached(Phase::Draining));
    let mut cut = pin!(phases.reached(Phase::Cut));
    let mut closing = false;
    loop {
        tokio::select! {
            // Ok: the viewer closed, or a tunnel took the socket; Err: the service closed it
            // without a response, or the socket broke. Either way, this connection is over.
            _ = connection.as_mut() => break,
            () = &mut draining, if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            () = link.upstream_closed.notified(), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
            () = &mut cut => break,
        }
    }
    // Dropping the connection drops the response in flight (its record says it was cut) and
    // the link, whose upstream connection is then aborted.
}
