//! ffmpeg's `-progress` key=value blocks, parsed incrementally from arbitrary chunks.

use crate::lines::{find_byte, find_newline};
use crate::num::{optional, parse_clock_us, parse_f64, parse_i64, parse_u64, trim_spaces};

/// One `-progress` block, ended by `progress=continue` or `progress=end`. `N/A` values are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProgressBlock {
    /// `frame=`
    pub frame: Option<u64>,
    /// `fps=`
    pub fps: Option<f64>,
    /// `stream_0_0_q=`: quality of the first stream (`-1.0` for stream copy).
    pub first_stream_q: Option<f64>,
    /// `bitrate=` in kbit/s (`512.0kbits/s`).
    pub bitrate_kbps: Option<f64>,
    /// `total_size=` in bytes (always `N/A` with `-f null`).
    pub total_size: Option<u64>,
    /// `out_time_us=` (or, failing that, `out_time_ms=`, which ffmpeg also prints in µs, or `out_time=`).
    pub out_time_us: Option<i64>,
    /// `dup_frames=`
    pub dup_frames: Option<u64>,
    /// `drop_frames=`
    pub drop_frames: Option<u64>,
    /// `speed=` as a multiple of real time (`1.01x`, `1e+05x`).
    pub speed: Option<f64>,
    /// `progress=end`: ffmpeg finished.
    pub end: bool,
}

/// The longest `-progress` line kept, in bytes without its `\n`; longer lines are ignored whole.
///
/// Real lines are under 40 bytes. The bound keeps [`ProgressParser`]'s carry buffer from growing
/// on garbage, and applies to every line so that how the input was chunked never changes the result.
pub const MAX_PROGRESS_LINE: usize = 4096;

/// Incremental `-progress` parser: feed it bytes as they arrive, in chunks of any size.
///
/// ```
/// use hls_swarm_parse::ProgressParser;
///
/// let mut parser = ProgressParser::new();
/// let mut blocks = Vec::new();
/// for chunk in [&b"frame=75\nfps=74.85\nspe"[..], b"ed=3.01x\nprogress=con", b"tinue\n"] {
///     parser.feed(chunk, |block| blocks.push(*block));
/// }
/// assert_eq!(blocks.len(), 1);
/// assert_eq!(blocks[0].frame, Some(75));
/// assert_eq!(blocks[0].speed, Some(3.01));
/// assert!(!blocks[0].end);
/// ```
#[derive(Debug, Default)]
pub struct ProgressParser {
    /// The block being filled.
    current: ProgressBlock,
    /// `out_time_ms=` of the current block (µs despite the name), used if `out_time_us=` is missing.
    out_time_ms: Option<i64>,
    /// `out_time=` of the current block, used if both of the above are missing.
    out_time: Option<i64>,
    /// A partial line waiting for the rest of it; allocated once, never beyond `MAX_PROGRESS_LINE`.
    carry: Vec<u8>,
    /// The current partial line was too long: drop bytes up to the next `\n`.
    discarding: bool,
}

impl ProgressParser {
    /// A parser with no partial block or line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Consumes `chunk` (any size, lines may straddle chunks) and calls `on_block` for each block
    /// it completes. A trailing partial line is kept for the next call.
    pub fn feed(&mut self, chunk: &[u8], mut on_block: impl FnMut(&ProgressBlock)) {
        let mut rest = chunk;
        if self.discarding || !self.carry.is_empty() {
            let Some(nl) = find_newline(rest) else {
                self.stash(rest);
                return;
            };
            let (head, tail) = (&rest[..nl], &rest[nl + 1..]);
            rest = tail;
            if self.discarding {
                self.discarding = false;
            } else if self.carry.len() + head.len() <= MAX_PROGRESS_LINE {
                let mut line = std::mem::take(&mut self.carry);
                line.extend_from_slice(head);
                if let Some(block) = self.feed_line(&line) {
                    on_block(&block);
                }
                line.clear();
                self.carry = line;
            } else {
                self.carry.clear();
            }
        }
        while let Some(nl) = find_newline(rest) {
            if let Some(block) = self.feed_line(&rest[..nl]) {
                on_block(&block);
            }
            rest = &rest[nl + 1..];
        }
        self.stash(rest);
    }

    /// Keeps a partial line for the next chunk, or starts discarding it if it is too long.
    fn stash(&mut self, partial: &[u8]) {
        if partial.is_empty() {
            return;
        }
        if self.discarding {
            return;
        }
        if self.carry.len() + partial.len() > MAX_PROGRESS_LINE {
            self.carry.clear();
            self.discarding = true;
            return;
        }
        if self.carry.capacity() == 0 {
            // The one allocation: room for the longest line kept, so it never grows again.
            self.carry.reserve_exact(MAX_PROGRESS_LINE);
        }
        self.carry.extend_from_slice(partial);
    }

    /// Consumes one complete line (without its `\n`; a trailing `\r` is ignored) and returns
    /// the block it completes, if it is a `progress=` line.
    ///
    /// Lines without `=`, unknown keys and unparsable values are ignored; `N/A` is `None`.
    pub fn feed_line(&mut self, line: &[u8]) -> Option<ProgressBlock> {
        if line.len() > MAX_PROGRESS_LINE {
            return None;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let eq = find_byte(line, b'=')?;
        let (key, value) = (trim_spaces(&line[..eq]), &line[eq + 1..]);
        let block = &mut self.current;
        match key {
            b"frame" => block.frame = optional(value, parse_u64),
            b"fps" => block.fps = optional(value, parse_f64),
            b"stream_0_0_q" => block.first_stream_q = optional(value, parse_f64),
            b"bitrate" => {
                block.bitrate_kbps = optional(value, |v| parse_f64(v.strip_suffix(b"kbits/s")?));
            }
            b"total_size" => block.total_size = optional(value, parse_u64),
            b"out_time_us" => block.out_time_us = optional(value, parse_i64),
            b"out_time_ms" => self.out_time_ms = optional(value, parse_i64),
            b"out_time" => self.out_time = optional(value, parse_clock_us),
            b"dup_frames" => block.dup_frames = optional(value, parse_u64),
            b"drop_frames" => block.drop_frames = optional(value, parse_u64),
            b"speed" => block.speed = optional(value, |v| parse_f64(v.strip_suffix(b"x")?)),
            b"progress" => return Some(self.finish_block(trim_spaces(value) == b"end")),
            // `stream_N_M_q` of other streams, and keys newer ffmpeg may add.
            _ => {}
        }
        None
    }

    fn finish_block(&mut self, end: bool) -> ProgressBlock {
        let mut block = std::mem::take(&mut self.current);
        block.out_time_us = block.out_time_us.or(self.out_time_ms).or(self.out_time);
        block.end = end;
        self.out_time_ms = None;
        self.out_time = None;
        block
    }
}

#[cfg(test)]
mod tests;
