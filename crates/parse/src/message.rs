//! Recognising the message part of a log line as one [`Event`], dispatched on context and first byte.
//!
//! Every line ffmpeg prints at debug level passes through here, and almost none of them are
//! events, so the order is: pick the few patterns possible for this context, then look at the
//! first byte, and only then run a nom parser. Strings are checked for UTF-8 only once a
//! pattern matched, and only on the slices the event returns.

use nom::bytes::complete::{tag, take_till, take_until};
use nom::character::complete::{u16 as dec_u16, u32 as dec_u32, u64 as dec_u64};
use nom::combinator::{opt, rest};
use nom::sequence::preceded;
use nom::{IResult, Parser};

use crate::event::is_hls_demuxer;
use crate::num::{optional, parse_clock_us, parse_f64, parse_u64, trim_spaces};
use crate::{Event, Level, StatsLine, classify_path};

/// nom's result with the unit error: a failed match costs nothing and carries nothing.
type Res<'a, O> = IResult<&'a [u8], O, ()>;

/// The event in `message`, logged by `context` at `level`, if it is one hls-swarm counts.
pub(crate) fn recognise<'a>(
    context: Option<&str>,
    level: Option<Level>,
    message: &'a [u8],
) -> Option<Event<'a>> {
    let message = trim_end(message);
    let event = match context {
        None => stats(message),
        Some("tcp") => tcp(message),
        Some("http" | "https") => http(message),
        Some("AVIOContext") => avio(message),
        // `hls` (ffmpeg ≤ 6), `in#0` and `in#0/hls` (ffmpeg 7+).
        Some(name) if is_hls_demuxer(name) => hls(message),
        Some(_) => opening(message),
    };
    event.or_else(|| error_message(level, message))
}

fn trim_end(s: &[u8]) -> &[u8] {
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    &s[..end]
}

fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

/// Runs `parser` over `message`, `None` if it does not match.
fn run<'a, O>(
    message: &'a [u8],
    mut parser: impl Parser<&'a [u8], Output = O, Error = ()>,
) -> Option<O> {
    parser.parse(message).ok().map(|(_, out)| out)
}

/// `ADDR port P`, the address and port of ffmpeg's tcp messages.
fn addr_port(input: &[u8]) -> Res<'_, (&[u8], u16)> {
    (take_until(" port "), preceded(tag(" port "), dec_u16)).parse(input)
}

fn tcp(message: &[u8]) -> Option<Event<'_>> {
    match message.first()? {
        b'S' => {
            if let Some((addr, port)) = run(
                message,
                preceded(tag("Starting connection attempt to "), addr_port),
            ) {
                return Some(Event::TcpConnectStart {
                    addr: text(addr)?,
                    port,
                });
            }
            let (addr, port) = run(
                message,
                preceded(tag("Successfully connected to "), addr_port),
            )?;
            Some(Event::TcpConnected {
                addr: text(addr)?,
                port,
            })
        }
        b'C' => {
            let attempt = (
                preceded(tag("Connection attempt to "), addr_port),
                preceded(tag(" failed: "), rest),
            );
            if let Some(((addr, port), reason)) = run(message, attempt) {
                return Some(Event::TcpAttemptFailed {
                    addr: text(addr)?,
                    port,
                    reason: text(reason)?,
                });
            }
            let whole = (
                preceded(tag("Connection to tcp://"), take_until(" failed: ")),
                preceded(tag(" failed: "), rest),
            );
            if let Some((target, reason)) = run(message, whole) {
                return Some(Event::TcpConnectFailed {
                    target: text(target)?,
                    reason: text(reason)?,
                });
            }
            bare_connect_failure(message)
        }
        b'F' => bare_connect_failure(message),
        _ => None,
    }
}

/// `Connection refused`, `Connection timed out`, `Failed to connect to …` said alone by `tcp`
/// (the Go original's synthetic fixture; older ffmpeg): a failed connect with no target printed.
fn bare_connect_failure(message: &[u8]) -> Option<Event<'_>> {
    let known = message == b"Connection refused"
        || message == b"Connection timed out"
        || message.starts_with(b"Failed to connect to ");
    if !known {
        return None;
    }
    Some(Event::TcpConnectFailed {
        target: "",
        reason: text(message)?,
    })
}

fn http(message: &[u8]) -> Option<Event<'_>> {
    match message.first()? {
        b'r' => {
            let request = (
                preceded(tag("request: "), take_till(|b| b == b' ')),
                preceded(tag(" "), take_till(|b| b == b' ')),
            );
            let (method, path) = run(message, request)?;
            let (method, path) = (text(method)?, text(path)?);
            if method.is_empty() || path.is_empty() {
                return None;
            }
            Some(Event::HttpRequest {
                method,
                path,
                kind: classify_path(path),
            })
        }
        b'H' => {
            let error = (preceded(tag("HTTP error "), dec_u16), rest);
            let (status, reason) = run(message, error)?;
            let reason = reason.strip_prefix(b" ").unwrap_or(reason);
            Some(Event::HttpError {
                status,
                reason: text(reason)?,
            })
        }
        b'W' => {
            let reconnect = (
                preceded(tag("Will reconnect at "), dec_u64),
                preceded(tag(" in "), dec_u64),
                tag(" second"),
            );
            let (offset, delay_s, _) = run(message, reconnect)?;
            Some(Event::ReconnectScheduled { offset, delay_s })
        }
        b'O' => opening(message),
        _ => None,
    }
}

fn hls(message: &[u8]) -> Option<Event<'_>> {
    match message.first()? {
        b'H' => {
            let request = (
                preceded(tag("HLS request for url '"), take_until("', offset ")),
                preceded(tag("', offset "), dec_u64),
                opt(preceded(tag(", playlist "), dec_u32)),
            );
            let (url, offset, playlist) = run(message, request)?;
            Some(Event::HlsSegmentRequest {
                url: text(url)?,
                offset,
                playlist,
            })
        }
        b'O' => opening(message),
        b'F' => {
            if let Some(playlist) = run(
                message,
                preceded(tag("Failed to reload playlist "), dec_u32),
            ) {
                return Some(Event::PlaylistReloadFailed { playlist });
            }
            let segment = (
                preceded(tag("Failed to open segment "), dec_u64),
                preceded(tag(" of playlist "), dec_u32),
            );
            let (segment, playlist) = run(message, segment)?;
            Some(Event::SegmentOpenFailed { segment, playlist })
        }
        b'S' => {
            let skipped = (
                preceded(tag("Segment "), dec_u64),
                preceded(tag(" of playlist "), dec_u32),
                tag(" failed too many times"),
            );
            let (segment, playlist, _) = run(message, skipped)?;
            Some(Event::SegmentSkipped { segment, playlist })
        }
        b's' => {
            let expired = (preceded(tag("skipping "), dec_u64), tag(" segment"));
            let (count, _) = run(message, expired)?;
            Some(Event::SegmentsExpired { count })
        }
        b'M' => {
            let change = (
                preceded(tag("Media sequence change ("), dec_u64),
                preceded(tag(" -> "), dec_u64),
                tag(")"),
            );
            let (from, to, _) = run(message, change)?;
            Some(Event::MediaSequenceChange { from, to })
        }
        b'k' => {
            let retry = (
                preceded(
                    tag("keepalive request failed for '"),
                    take_until("' with error: '"),
                ),
                preceded(tag("' with error: '"), take_till(|b| b == b'\'')),
                tag("'"),
            );
            let (url, reason, _) = run(message, retry)?;
            Some(Event::KeepAliveRetry {
                url: text(url)?,
                reason: text(reason)?,
            })
        }
        _ => None,
    }
}

fn avio(message: &[u8]) -> Option<Event<'_>> {
    let statistics = (preceded(tag("Statistics: "), dec_u64), tag(" bytes read"));
    let (bytes, _) = run(message, statistics)?;
    Some(Event::AvioBytesRead { bytes })
}

/// `Opening 'URL' for reading`, from whichever context opened it.
fn opening(message: &[u8]) -> Option<Event<'_>> {
    // Not anchored at the end: terminal captures (the Go original's `ffmpeg_stderr_log`) leave
    // the tail of an overwritten `-stats` line behind it (`for readinged=0:00:02.00`).
    let url = run(
        message,
        preceded(tag("Opening '"), take_until("' for reading")),
    )?;
    let url = text(url)?;
    Some(Event::Opening {
        url,
        kind: classify_path(url),
    })
}

/// `frame=  225 fps= 32 q=-1.0 size=N/A time=00:00:09.01 bitrate=N/A speed=1.29x` (audio-only
/// outputs start at `size=`). Values may be padded with spaces after the `=`.
///
/// A line must carry `time=` or `size=` to count: a lone `frame=75` is a `-progress` line that
/// reached stderr (`-progress pipe:2`), not a stats line.
fn stats(message: &[u8]) -> Option<Event<'_>> {
    if !(message.starts_with(b"frame=") || message.starts_with(b"size=")) {
        return None;
    }
    let mut line = StatsLine::default();
    let mut is_stats = false;
    let mut rest = message;
    loop {
        rest = trim_start(rest);
        let Some(eq) = rest.iter().position(|&b| b == b'=') else {
            break;
        };
        let key = &rest[..eq];
        let after = trim_start(&rest[eq + 1..]);
        let end = after.iter().position(|&b| b == b' ').unwrap_or(after.len());
        let value = &after[..end];
        rest = &after[end..];
        match key {
            b"frame" => line.frame = optional(value, parse_u64),
            b"fps" => line.fps = optional(value, parse_f64),
            b"time" => line.out_time_us = optional(value, parse_clock_us),
            b"speed" => line.speed = optional(value, |v| parse_f64(v.strip_suffix(b"x")?)),
            b"size" | b"Lsize" => is_stats = true,
            _ => {}
        }
        is_stats |= key == b"time";
    }
    is_stats.then_some(Event::Stats(line))
}

fn trim_start(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b' ').unwrap_or(s.len());
    &s[start..]
}

/// A line at `error` or worse that no pattern claimed, kept so a user can be told why.
fn error_message(level: Option<Level>, message: &[u8]) -> Option<Event<'_>> {
    let level = level.filter(|l| *l <= Level::Error)?;
    let message = text(trim_spaces(message))?;
    (!message.is_empty()).then_some(Event::ErrorMessage { level, message })
}

#[cfg(test)]
mod tests;
