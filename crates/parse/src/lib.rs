//! Parsers for what ffmpeg says about its work: the debug-level stderr log, as typed zero-copy
//! [`Event`]s, and the `-progress` key=value blocks, as [`ProgressBlock`]s.
//!
//! hls-swarm runs many ffmpeg processes as viewers of a live HLS stream and learns what each one
//! did only from its output. [`split_log_lines`] cuts stderr into logical lines (ffmpeg's `-stats`
//! line ends in a bare `\r`), [`parse_line`] strips the optional `datetime` stamp, `[ctx @ 0x…]`
//! and `[level]` prefixes and recognises the message, and [`ProgressParser`] reassembles
//! `-progress` blocks from chunks of any size. Nothing here does I/O or allocates per line;
//! unknown lines are not errors, just lines without an event.
//!
//! ```
//! use hls_swarm_parse::{parse_line, split_log_lines, Event, Level, RequestKind};
//!
//! let stderr = b"[http @ 0x559d8a9b7cc0] [debug] request: GET /v0/seg00332.ts HTTP/1.1\r\n\
//!                User-Agent: hls-swarm-fixture/client-first-variant\r\n\
//!                [http @ 0x559d8a9dce80] [warning] HTTP error 404 Not Found\n";
//! let events: Vec<Event<'_>> = split_log_lines(stderr).filter_map(|l| parse_line(l).event).collect();
//! assert_eq!(
//!     events,
//!     [
//!         Event::HttpRequest { method: "GET", path: "/v0/seg00332.ts", kind: RequestKind::Segment },
//!         Event::HttpError { status: 404, reason: "Not Found" },
//!     ]
//! );
//!
//! let line = parse_line(b"[tcp @ 0x559d8ab35c40] [error] Connection to tcp://127.0.0.1:18085 failed: Connection refused");
//! assert_eq!(line.level, Some(Level::Error));
//! assert_eq!(line.context.map(|c| c.name), Some("tcp"));
//! assert!(matches!(line.event, Some(Event::TcpConnectFailed { reason: "Connection refused", .. })));
//! ```
#![deny(missing_docs)]

mod classify;
mod event;
mod lines;
mod message;
mod num;
mod prefix;
mod progress;

pub use classify::classify_path;
pub use event::{Context, Event, Level, Line, RequestKind, StatsLine, Timestamp};
pub use lines::{LogLines, split_log_lines};
pub use progress::{MAX_PROGRESS_LINE, ProgressBlock, ProgressParser};

/// Parses one logical line of ffmpeg's stderr (without its terminator; see [`split_log_lines`]).
///
/// Accepts the optional `YYYY-MM-DD HH:MM:SS.mmm ` stamp (ffmpeg's `datetime` log flag), then
/// `[name @ 0xADDR]` context and `[level]` tags in either order, then recognises the message.
/// Never fails and never allocates: a line that is not an event (codec chatter, HTTP request
/// headers, invalid UTF-8 where text would be returned) has `event: None`.
pub fn parse_line(line: &[u8]) -> Line<'_> {
    let prefixed = prefix::split_prefixes(line);
    let context_name = prefixed.context.map(|c| c.name);
    Line {
        time: prefixed.time,
        context: prefixed.context,
        level: prefixed.level,
        event: message::recognise(context_name, prefixed.level, prefixed.message),
    }
}
