//! The request tap: a measuring HTTP/1.1 forward proxy that hls-swarm points every viewer's
//! ffmpeg at (`-http_proxy http://127.0.0.1:PORT`), so that every request is timed — ffmpeg
//! logs no line when a response ends, so without it segment latency is unknown. For each
//! request the tap hands its [`TapObserver`] a [`RequestRecord`]: the viewer (from a
//! `User-Agent` ending in `client-N`), what was fetched ([`RequestKind`]), the status, the body
//! bytes relayed, the time to first byte, the download time (request sent → last body byte
//! handed to the viewer's socket, what nginx's `$request_time` counts), the connect time of a
//! new upstream connection, whether the response was cut, and, for a segment, the `#EXTINF`
//! duration a relayed media playlist gave it (so a late segment is `download > duration`).
//!
//! **It does not change the load the origin sees.** Each viewer connection gets exactly one
//! upstream connection, opened at its first request and closed when the viewer closes (or
//! the origin does: then the viewer's is closed too). Requests go upstream as they came — the
//! absolute-form target rewritten to origin form, headers untouched, in their case — and
//! responses come back the same way, bodies streamed and never buffered whole, so a viewer
//! that reads slowly slows its own download. When the origin refuses a connection, drops it,
//! or answers something that is not HTTP, the tap closes the viewer's connection without a
//! response (never a made-up 502); when the origin closes mid-body, the viewer's body is cut
//! off too, and the record says `truncated`. If a later request on a viewer connection names
//! another host, the tap closes that connection's upstream connection and opens one to the new
//! host (counted in [`TapTotals::upstream_host_switches`]).
//!
//! **It is not an open proxy.** It listens on 127.0.0.1 only and forwards only to the target's
//! `host:port`, the hosts its relayed playlists name, and those added with
//! [`Tap::allow_host`]; anything else gets `403 Forbidden` and a [`RefusedRecord`].
//!
//! **https:// is tunnelled, not timed per request.** ffmpeg reaches an `https://` origin through
//! the proxy with `CONNECT host:port`; the tap opens a plain TCP tunnel to an allowed host and
//! copies the encrypted bytes both ways. The requests inside a tunnel are invisible to it: it
//! records each tunnel as a whole ([`TunnelRecord`]: connect time, bytes each way, duration),
//! and such requests are counted from ffmpeg's log and timed per connection only. ffmpeg 5.1
//! sends no `User-Agent` on `CONNECT`, so a tunnel's viewer is unknown.
//!
//! The tap runs on threads of its own ([`THREAD_NAME`], a tokio runtime it builds), so that
//! [`Tap::cpu_time`] measures its cost apart from the rest of hls-swarm. Records reach the
//! observer on those threads without any lock taken by the tap; [`Tap::totals`] reads plain
//! atomic totals at any time. Playlists are read as they stream through (segments never are)
//! into bounded maps, so a run of hours keeps a fixed memory.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//! use hls_swarm_tap::{RequestKind, RequestRecord, Tap, TapConfig, TapObserver};
//!
//! // An origin that answers one request.
//! let origin = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let at = origin.local_addr()?;
//! std::thread::spawn(move || {
//!     let (mut socket, _) = origin.accept().unwrap();
//!     let _ = socket.read(&mut [0; 4096]).unwrap();
//!     socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello").unwrap();
//! });
//!
//! // An observer that keeps the records (a real one adds to per-viewer atomics instead).
//! struct Keep(Mutex<Vec<RequestRecord>>);
//! impl TapObserver for Keep {
//!     fn on_request(&self, record: &RequestRecord) {
//!         self.0.lock().unwrap().push(record.clone());
//!     }
//! }
//! let kept = Arc::new(Keep(Mutex::new(Vec::new())));
//! let tap = Tap::start(TapConfig::new(format!("http://{at}/master.m3u8")), kept.clone())?;
//! assert_eq!(tap.proxy_url(), format!("http://{}", tap.addr()));
//!
//! // A viewer asks the tap as ffmpeg does with -http_proxy: absolute form, the origin's Host.
//! let mut viewer = std::net::TcpStream::connect(tap.addr())?;
//! write!(
//!     viewer,
//!     "GET http://{at}/v0/seg00001.ts HTTP/1.1\r\nHost: {at}\r\n\
//!      User-Agent: hls-swarm/client-7\r\nConnection: close\r\n\r\n"
//! )?;
//! let mut response = String::new();
//! viewer.read_to_string(&mut response)?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n") && response.ends_with("hello"));
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let totals = runtime.block_on(tap.shutdown(Duration::from_secs(1)));
//! assert_eq!((totals.requests, totals.upstream_connects, totals.body_bytes), (1, 1, 5));
//! let records = kept.0.lock().unwrap();
//! let record = &records[0];
//! assert_eq!((record.viewer, record.kind, record.status), (Some(7), RequestKind::Segment, Some(200)));
//! assert!(!record.truncated && record.download >= record.ttfb);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod allow;
mod answer;
mod authority;
mod body;
mod classify;
mod config;
mod conn;
mod cpu;
mod error;
mod flight;
mod io;
mod learnt;
mod link;
mod phase;
mod playlist;
mod record;
mod service;
mod shared;
mod tap;
mod totals;
mod tunnel;
mod upstream;

pub use config::TapConfig;
pub use error::TapError;
pub use hls_swarm_parse::RequestKind;
pub use hyper::Method;
pub use hyper::http::uri::PathAndQuery;
pub use record::{Failure, RefusedReason, RefusedRecord, RequestRecord, TapObserver, TunnelRecord};
pub use tap::{THREAD_NAME, Tap};
pub use totals::TapTotals;

#[cfg(test)]
mod tests;
