//! `RelayBody`: a response body as the tap hands it to hyper's server — an upstream body
//! streamed frame by frame (hyper polls it only when it can write more, so a slow viewer slows
//! the upstream), or a short text of the tap's own. A relayed body counts its bytes, keeps a
//! copy of a playlist to learn from, and ends its request's record.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

use crate::flight::InFlight;
use crate::learnt::fingerprint;
use crate::link::ConnLink;
use crate::playlist::read_playlist;
use crate::record::Failure;
use crate::shared::Shared;
use crate::totals::Counters;

/// A response body the tap sends a viewer.
pub(crate) struct RelayBody(Inner);

enum Inner {
    /// Nothing (more) to send.
    Empty,
    /// A body of the tap's own, sent in one frame.
    Text(Option<Bytes>),
    /// An upstream body being relayed.
    Relay(Box<Relay>),
}

/// An upstream body and the record of its request.
struct Relay {
    upstream: Incoming,
    /// `None` once the record is handed on.
    flight: Option<Box<InFlight>>,
    capture: Option<Capture>,
    link: Arc<ConnLink>,
}

/// A copy of a playlist's bytes, to learn from once it is whole.
pub(crate) struct Capture {
    /// Its resource key, `host:port/path?query`: the playlist's URL is `http://` and this.
    key: String,
    bytes: Vec<u8>,
    max: usize,
    /// It grew past `max`: not read.
    overflow: bool,
}

impl Capture {
    pub(crate) fn new(key: String, max: usize) -> Capture {
        Capture {
            key,
            bytes: Vec::new(),
            max,
            overflow: false,
        }
    }

    fn push(&mut self, data: &Bytes) {
        if self.overflow {
            return;
        }
        if self.bytes.len() + data.len() > self.max {
            self.overflow = true;
            self.bytes = Vec::new();
        } else {
            self.bytes.extend_from_slice(data);
        }
    }
}

impl RelayBody {
    /// No body.
    pub(crate) fn empty() -> RelayBody {
        RelayBody(Inner::Empty)
    }

    /// A body of the tap's own.
    pub(crate) fn text(text: &'static str) -> RelayBody {
        RelayBody(Inner::Text(Some(Bytes::from_static(text.as_bytes()))))
    }

    /// Relays `upstream`, ending `flight` when it ends; `capture` copies a playlist.
    pub(crate) fn relay(
        upstream: Incoming,
        flight: Box<InFlight>,
        capture: Option<Capture>,
        link: Arc<ConnLink>,
    ) -> RelayBody {
        RelayBody(Inner::Relay(Box::new(Relay {
            upstream,
            flight: Some(flight),
            capture,
            link,
        })))
    }
}

impl Relay {
    /// The upstream body ended whole: learn from the playlist, and wait for hyper's flush.
    fn end(&mut self) {
        let Some(flight) = self.flight.take() else {
            return;
        };
        if let Some(capture) = self.capture.take().filter(|c| !c.overflow) {
            learn_from(flight.shared(), &capture);
        }
        self.link.await_flush(flight);
    }
}

/// Reads a whole playlist and learns from it, unless its body is the one read last for it
/// (a live playlist is reloaded by every viewer many times between two changes).
fn learn_from(shared: &Shared, capture: &Capture) {
    let fingerprint = fingerprint(&capture.bytes);
    if shared.learnt.already_read(&capture.key, fingerprint) {
        return;
    }
    let url = format!("http://{}", capture.key);
    let facts = read_playlist(&url, &capture.bytes);
    shared.learnt.learn(&capture.key, &facts);
    for host in &facts.hosts {
        // A full list leaves the host refused; each refusal is counted.
        let _ = shared.allow.add(host);
    }
    shared.learnt.note_read(&capture.key, fingerprint);
}

impl Drop for Relay {
    fn drop(&mut self) {
        // hyper drops a body it needs nothing more of: one that ended (HEAD, 204, 304, or a
        // last frame marked as the end) is complete; any other was cut, and `flight` says so
        // when it is dropped.
        if self.upstream.is_end_stream() {
            self.end();
        }
    }
}

impl Body for RelayBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match &mut self.get_mut().0 {
            Inner::Empty => Poll::Ready(None),
            Inner::Text(text) => Poll::Ready(text.take().map(|t| Ok(Frame::data(t)))),
            Inner::Relay(relay) => {
                let frame = ready!(Pin::new(&mut relay.upstream).poll_frame(cx));
                match frame {
                    Some(Ok(frame)) => {
                        if let (Some(data), Some(flight)) = (frame.data_ref(), &mut relay.flight) {
                            let n = data.len() as u64;
                            flight.record.body_bytes += n;
                            Counters::add(&flight.shared().counters.body_bytes, n);
                            if let Some(capture) = &mut relay.capture {
                                capture.push(data);
                            }
                        }
                        if relay.upstream.is_end_stream() {
                            relay.end();
                        }
                        Poll::Ready(Some(Ok(frame)))
                    }
                    Some(Err(e)) => {
                        if let Some(flight) = relay.flight.take() {
                            flight.finish(Some(Failure::UpstreamCut));
                        }
                        Poll::Ready(Some(Err(e)))
                    }
                    None => {
                        relay.end();
                        Poll::Ready(None)
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Inner::Empty => true,
            Inner::Text(text) => text.is_none(),
            Inner::Relay(relay) => relay.upstream.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Inner::Empty => SizeHint::with_exact(0),
            Inner::Text(text) => SizeHint::with_exact(text.as_ref().map_or(0, |t| t.len() as u64)),
            Inner::Relay(relay) => relay.upstream.size_hint(),
        }
    }
}
