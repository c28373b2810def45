//! Splitting ffmpeg's stderr into logical lines at `\n`, `\r\n` and a lone `\r`.

/// Splits `buf` into ffmpeg's logical log lines, without their terminators.
///
/// ffmpeg ends its `-stats` line with `\r` (so a terminal overwrites it) and then writes the next
/// log line straight after it, so a reader splitting on `\n` alone sees the two glued together.
/// This iterator ends a line at `\n`, `\r\n` or a lone `\r`. Like [`str::lines`], a final
/// terminator does not produce an empty last line, but blank lines in the middle are yielded
/// (empty), so callers may feed it one physical line or a whole file alike.
///
/// ```
/// let physical = b"[info] frame=  225 fps= 32 speed=1.29x    \r[hls @ 0x5] [info] Skip ('#EXT-X-VERSION:6')\n";
/// let lines: Vec<&[u8]> = hls_swarm_parse::split_log_lines(physical).collect();
/// assert_eq!(lines, [&b"[info] frame=  225 fps= 32 speed=1.29x    "[..], b"[hls @ 0x5] [info] Skip ('#EXT-X-VERSION:6')"]);
/// ```
pub fn split_log_lines(buf: &[u8]) -> LogLines<'_> {
    LogLines { rest: buf }
}

/// Iterator over logical log lines, returned by [`split_log_lines`].
#[derive(Debug, Clone)]
pub struct LogLines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for LogLines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let rest = self.rest;
        match find_eol(rest) {
            Some(i) => {
                let terminator = if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                self.rest = &rest[i + terminator..];
                Some(&rest[..i])
            }
            None => {
                self.rest = &[];
                Some(rest)
            }
        }
    }
}

impl std::iter::FusedIterator for LogLines<'_> {}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Index of the first `\n` or `\r` in `s`.
///
/// A word-at-a-time (SWAR) scan, eight bytes per step: the workspace keeps its dependency list
/// short, and this is the only byte search on the hot path that nom does not already do.
pub(crate) fn find_eol(s: &[u8]) -> Option<usize> {
    find_either(s, b'\n', b'\r')
}

/// Index of the first `\n` in `s`.
pub(crate) fn find_newline(s: &[u8]) -> Option<usize> {
    find_either(s, b'\n', b'\n')
}

/// Index of the first `byte` in `s`: the same word-at-a-time scan, whose exit does not depend
/// on a per-byte branch (the `=` of a `-progress` line is at a different offset on every line).
pub(crate) fn find_byte(s: &[u8], byte: u8) -> Option<usize> {
    find_either(s, byte, byte)
}

#[inline]
fn find_either(s: &[u8], a: u8, b: u8) -> Option<usize> {
    let splat_a = u64::from(a) * LO;
    let splat_b = u64::from(b) * LO;
    let mut chunks = s.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let hits = zero_bytes(word ^ splat_a) | zero_bytes(word ^ splat_b);
        if hits != 0 {
            // The lowest flagged byte is exact (borrows only make false flags above it).
            return Some(offset + (hits.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == a || c == b)
        .map(|p| offset + p)
}

/// High bit set in each byte of the result whose byte in `x` is zero (lowest one exact).
#[inline]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(LO) & !x & HI
}

#[cfg(test)]
mod tests;
