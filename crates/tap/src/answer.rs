//! What the service answers hyper: a response, or [`CloseWithoutResponse`] (hyper then closes
//! the viewer's connection and writes nothing); and the tap's own answers to requests it will
//! not forward: 403 for a host not on the allow list, 400 for a request that is not a proxy
//! request, each counted and recorded.

use std::fmt;

use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Response, StatusCode};

use crate::body::RelayBody;
use crate::record::{RefusedReason, RefusedRecord};
use crate::shared::Shared;

/// The service's error: close the viewer's connection without a response.
#[derive(Debug)]
pub(crate) struct CloseWithoutResponse;

impl fmt::Display for CloseWithoutResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the upstream failed before a response: closing the viewer's connection")
    }
}

impl std::error::Error for CloseWithoutResponse {}

/// What a request's handling returns to hyper.
pub(crate) type Answer = Result<Response<RelayBody>, CloseWithoutResponse>;

/// What the tap answers, and records, for a request it refuses.
pub(crate) fn refuse(
    shared: &Shared,
    connection: u64,
    viewer: Option<u32>,
    method: &Method,
    target: String,
    reason: RefusedReason,
) -> Response<RelayBody> {
    let (status, text) = match reason {
        RefusedReason::HostNotAllowed => (
            StatusCode::FORBIDDEN,
            "hls-swarm tap: this host is not the target's, nor named by a playlist it relayed\n",
        ),
        RefusedReason::NotAProxyRequest => (
            StatusCode::BAD_REQUEST,
            "hls-swarm tap: a forward proxy; send absolute-form http:// requests or CONNECT\n",
        ),
    };
    shared.emit_refused(&RefusedRecord {
        connection,
        viewer,
        method: method.clone(),
        target,
        reason,
        status: status.as_u16(),
    });
    let mut response = Response::new(RelayBody::text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
