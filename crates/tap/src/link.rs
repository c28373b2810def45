//! `ConnLink`: the state of one viewer connection shared by hyper's pieces of it (the service,
//! the response bodies, the socket wrapper): its upstream connection, and the record of a
//! response whose last bytes wait to be written to the viewer's socket. Each slot is a
//! lock-free cell holding a box, taken and put back; hyper serves one request at a time per
//! connection, so they are never contended.

use std::sync::Arc;

use crossbeam_utils::atomic::AtomicCell;
use tokio::sync::Notify;

use crate::flight::InFlight;
use crate::upstream::Upstream;

/// One viewer connection's state.
pub(crate) struct ConnLink {
    /// The connection's number.
    pub(crate) id: u64,
    /// Its upstream connection while no request holds it.
    upstream: AtomicCell<Option<Box<Upstream>>>,
    /// A response fully handed to hyper, until hyper has written it to the socket.
    awaiting_flush: AtomicCell<Option<Box<InFlight>>>,
    /// Notified when the upstream connection ends (the viewer's is then closed too).
    pub(crate) upstream_closed: Arc<Notify>,
}

impl ConnLink {
    pub(crate) fn new(id: u64) -> ConnLink {
        debug_assert!(AtomicCell::<Option<Box<Upstream>>>::is_lock_free());
        ConnLink {
            id,
            upstream: AtomicCell::new(None),
            awaiting_flush: AtomicCell::new(None),
            upstream_closed: Arc::new(Notify::new()),
        }
    }

    /// Takes the upstream connection for a request.
    pub(crate) fn take_upstream(&self) -> Option<Box<Upstream>> {
        self.upstream.take()
    }

    /// Puts the upstream connection back once a response head has come.
    pub(crate) fn put_upstream(&self, upstream: Box<Upstream>) {
        // A connection there already would be another request's: impossible with HTTP/1's one
        // request at a time, but if it were, the older one is closed rather than leaked.
        drop(self.upstream.swap(Some(upstream)));
    }

    /// `flight`'s body has been handed to hyper whole: it ends when hyper has flushed it.
    pub(crate) fn await_flush(&self, flight: Box<InFlight>) {
        if let Some(earlier) = self.awaiting_flush.swap(Some(flight)) {
            // Only with pipelined requests: the earlier response was queued before this one.
            earlier.finish(None);
        }
    }

    /// hyper has written everything it held to the viewer's socket.
    pub(crate) fn flushed(&self) {
        if let Some(flight) = self.awaiting_flush.take() {
            flight.finish(None);
        }
    }
}
