//! Parsers for what ffmpeg says about its work: the `-progress` key=value blocks and the
//! debug-level stderr log, as typed, zero-copy events.
//!
//! (Implementation in progress: see `parse_line` and `ProgressParser`.)
#![deny(missing_docs)]

mod event;
mod progress;

pub use event::{Context, Event, Level, Line, RequestKind, StatsLine, Timestamp};
pub use progress::{ProgressBlock, ProgressParser};
