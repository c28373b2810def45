//! The prefixes ffmpeg puts before a log message: `datetime` stamp, `[ctx @ 0x…]` and `[level]`.

use crate::lines::find_byte;
use crate::{Context, Level, Timestamp};

/// A log line split into its prefixes and the message after them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prefixed<'a> {
    pub(crate) time: Option<Timestamp>,
    pub(crate) context: Option<Context<'a>>,
    pub(crate) level: Option<Level>,
    pub(crate) message: &'a [u8],
}

/// The longest `[…]` prefix looked at; real ones (`[AVFormatContext @ 0x558f5f5da200]`) are short.
const MAX_TAG_LEN: usize = 96;

/// Strips the optional stamp, then any `[ctx @ 0x…]` and `[level]` tags in either order.
///
/// When ffmpeg prints a parent context too (`[parent @ 0x1] [child @ 0x2] msg`) the last, innermost
/// one is kept. A bracket that is neither (`[SAR 1:1 DAR 16:9]`) starts the message.
pub(crate) fn split_prefixes(line: &[u8]) -> Prefixed<'_> {
    let (time, mut rest) = match parse_timestamp(line) {
        Some(time) => (Some(time), &line[24..]),
        None => (None, line),
    };
    let mut context = None;
    let mut level = None;
    while rest.first() == Some(&b'[') {
        let window = &rest[..rest.len().min(MAX_TAG_LEN)];
        let Some(close) = find_byte(window, b']') else {
            break;
        };
        let inner = &rest[1..close];
        if let Some(tag) = parse_level(inner) {
            if level.is_some() {
                break;
            }
            level = Some(tag);
        } else if let Some(ctx) = parse_context(inner) {
            context = Some(ctx);
        } else {
            break;
        }
        rest = &rest[close + 1..];
        if rest.first() == Some(&b' ') {
            rest = &rest[1..];
        }
    }
    Prefixed {
        time,
        context,
        level,
        message: rest,
    }
}

/// `YYYY-MM-DD HH:MM:SS.mmm ` at the start of `line` (24 bytes with the space).
pub(crate) fn parse_timestamp(line: &[u8]) -> Option<Timestamp> {
    let s: &[u8; 24] = line.get(..24)?.try_into().ok()?;
    if s[4] != b'-'
        || s[7] != b'-'
        || s[10] != b' '
        || s[13] != b':'
        || s[16] != b':'
        || s[19] != b'.'
        || s[23] != b' '
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        s[range].iter().try_fold(0i64, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
        })
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second, milli) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    Some(Timestamp {
        naive_unix_ms: secs * 1_000 + milli,
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn parse_level(tag: &[u8]) -> Option<Level> {
    Some(match tag {
        b"panic" => Level::Panic,
        b"fatal" => Level::Fatal,
        b"error" => Level::Error,
        b"warning" => Level::Warning,
        b"info" => Level::Info,
        b"verbose" => Level::Verbose,
        b"debug" => Level::Debug,
        b"trace" => Level::Trace,
        _ => return None,
    })
}

/// `name @ 0xHEX` (ffmpeg's `%s @ %p`); a `%p` that is not hex (`(nil)`) gives address 0.
fn parse_context(tag: &[u8]) -> Option<Context<'_>> {
    let at_sign = find_byte(tag, b'@')?;
    let at = at_sign.checked_sub(1)?;
    if tag[at] != b' ' || tag.get(at_sign + 1) != Some(&b' ') {
        return None;
    }
    let name = std::str::from_utf8(&tag[..at]).ok()?;
    if name.is_empty() {
        return None;
    }
    let pointer = &tag[at + 3..];
    let addr = match pointer.strip_prefix(b"0x") {
        Some(hex) => parse_hex(hex)?,
        None => 0,
    };
    Some(Context { name, addr })
}

fn parse_hex(hex: &[u8]) -> Option<u64> {
    if hex.is_empty() || hex.len() > 16 {
        return None;
    }
    let mut acc = 0u64;
    for &b in hex {
        // A table lookup: one load and one always-taken branch per digit (every line has a
        // 12-digit pointer, and a per-class `match` here was a quarter of the prefix time).
        let digit = HEX_DIGIT[usize::from(b)];
        if digit == NOT_HEX {
            return None;
        }
        acc = acc << 4 | u64::from(digit);
    }
    Some(acc)
}

const NOT_HEX: u8 = 0xff;

/// The value of each hex digit byte, `NOT_HEX` for every other byte.
static HEX_DIGIT: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests;
