//! `Proxy`: the hyper service of one viewer connection. A request is checked (a proxy request,
//! for an allowed host), classified, sent over the connection's one upstream connection (opened
//! at its first request) in origin form with its headers untouched, and its response relayed.
//! When the upstream fails before a response, the service returns an error, and hyper then
//! closes the viewer's connection without writing anything: the viewer sees what it would
//! have seen from the origin, never a response the tap made up.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use hls_swarm_parse::RequestKind;
use hyper::body::Incoming;
use hyper::header::{CONTENT_ENCODING, USER_AGENT};
use hyper::service::Service;
use hyper::{Method, Request, Response};

use crate::answer::{Answer, CloseWithoutResponse, refuse};
use crate::authority::ProxyTarget;
use crate::body::{Capture, RelayBody};
use crate::classify::{kind_of, viewer_id};
use crate::flight::InFlight;
use crate::link::ConnLink;
use crate::phase::{PhaseWatch, Tracker};
use crate::record::{Failure, RefusedReason, RequestRecord};
use crate::shared::Shared;
use crate::totals::Counters;
use crate::{tunnel, upstream};

/// The service of one viewer connection.
pub(crate) struct Proxy {
    shared: Arc<Shared>,
    link: Arc<ConnLink>,
    phases: PhaseWatch,
    tracker: Tracker,
}

impl Proxy {
    pub(crate) fn new(
        shared: Arc<Shared>,
        link: Arc<ConnLink>,
        phases: PhaseWatch,
        tracker: Tracker,
    ) -> Proxy {
        Proxy {
            shared,
            link,
            phases,
            tracker,
        }
    }
}

impl Service<Request<Incoming>> for Proxy {
    type Response = Response<RelayBody>;
    type Error = CloseWithoutResponse;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        if request.method() == Method::CONNECT {
            let (phases, tracker) = (self.phases.clone(), self.tracker.clone());
            Box::pin(tunnel::open(shared, self.link.id, phases, tracker, request))
        } else {
            let link = Arc::clone(&self.link);
            Box::pin(relay(shared, link, self.tracker.clone(), request))
        }
    }
}

/// Relays one request and returns its response (its body still streaming).
async fn relay(
    shared: Arc<Shared>,
    link: Arc<ConnLink>,
    tracker: Tracker,
    request: Request<Incoming>,
) -> Answer {
    let received_at = SystemTime::now();
    let viewer = request
        .headers()
        .get(USER_AGENT)
        .and_then(|ua| viewer_id(ua.as_bytes()));
    let refused = |reason| {
        let target = request.uri().to_string();
        Ok(refuse(
            &shared,
            link.id,
            viewer,
            request.method(),
            target,
            reason,
        ))
    };
    let Some(target) = ProxyTarget::of(request.uri()) else {
        return refused(RefusedReason::NotAProxyRequest);
    };
    if !shared.allow.allows(&target.host_port) {
        return refused(RefusedReason::HostNotAllowed);
    }
    let key = target.key();
    let kind = kind_of(target.path.path(), shared.learnt.is_init(&key));
    let segment_duration = match kind {
        RequestKind::Segment => shared.learnt.segment_duration(&key),
        _ => None,
    };
    let mut flight = InFlight::new(
        Arc::clone(&shared),
        RequestRecord {
            connection: link.id,
            viewer,
            kind,
            method: request.method().clone(),
            host: target.host_port.clone(),
            path: target.path.clone(),
            received_at,
            status: None,
            body_bytes: 0,
            connect: None,
            reused: false,
            ttfb: None,
            download: None,
            truncated: false,
            failure: None,
            segment_duration,
        },
    );
    let mut upstream = match link.take_upstream() {
        Some(upstream) if upstream.host_port == target.host_port => {
            if upstream.sender.is_closed() {
                // The origin closed this connection: so would a request sent on it have failed.
                flight.finish(Some(Failure::NoResponse));
                return Err(CloseWithoutResponse);
            }
            upstream
        }
        other => {
            if other.is_some() {
                Counters::bump(&shared.counters.upstream_host_switches);
            }
            // The old connection (another host's) is closed before the new one opens.
            drop(other);
            let closed = Arc::clone(&link.upstream_closed);
            match upstream::open(&shared, &target.host_port, closed, tracker).await {
                Some((upstream, connect)) => {
                    flight.record.connect = Some(connect);
                    upstream
                }
                None => {
                    flight.finish(Some(Failure::Connect));
                    return Err(CloseWithoutResponse);
                }
            }
        }
    };
    flight.record.reused = upstream.requests > 0;
    upstream.requests += 1;
    let (mut parts, body) = request.into_parts();
    parts.uri = target.origin_form();
    if upstream.sender.ready().await.is_err() {
        flight.finish(Some(Failure::NoResponse));
        return Err(CloseWithoutResponse);
    }
    let sent = Instant::now();
    flight.sent = Some(sent);
    let response = match upstream
        .sender
        .send_request(Request::from_parts(parts, body))
        .await
    {
        Ok(response) => response,
        Err(_) => {
            flight.finish(Some(Failure::NoResponse));
            return Err(CloseWithoutResponse);
        }
    };
    flight.record.ttfb = Some(sent.elapsed());
    flight.record.status = Some(response.status().as_u16());
    link.put_upstream(upstream);
    let identity = response
        .headers()
        .get(CONTENT_ENCODING)
        .is_none_or(|e| e.as_bytes().eq_ignore_ascii_case(b"identity"));
    let capture = (kind == RequestKind::Manifest && response.status().is_success() && identity)
        .then(|| Capture::new(key, shared.playlist_max_bytes));
    Ok(response.map(|body| RelayBody::relay(body, flight, capture, link)))
}
