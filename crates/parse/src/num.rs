//! Number parsers for ffmpeg's values: `N/A`-aware, allocation-free and fast on the common forms.

/// Exact powers of ten representable in an `f64` (Clinger's fast path).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `s` without leading and trailing ASCII spaces and tabs.
pub(crate) fn trim_spaces(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |p| p + 1);
    &s[start..end.max(start)]
}

/// An unsigned decimal integer, all of `s`; `None` on anything else (including overflow).
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// A signed decimal integer, all of `s`.
pub(crate) fn parse_i64(s: &[u8]) -> Option<i64> {
    match s.split_first() {
        Some((b'-', digits)) => {
            let n = parse_u64(digits)?;
            // -i64::MIN does not fit in i64, so go through the negated magnitude.
            0i64.checked_sub_unsigned(n)
        }
        Some((b'+', digits)) => i64::try_from(parse_u64(digits)?).ok(),
        _ => i64::try_from(parse_u64(s)?).ok(),
    }
}

/// A finite decimal float, all of `s`, rounded exactly as [`str::parse`] rounds it.
///
/// `[-]digits[.digits]` with at most 15 significant digits is computed directly (one exact
/// division, correctly rounded); anything else (exponents, long mantissas) goes to the standard
/// library. Infinities and NaN are `None`.
pub(crate) fn parse_f64(s: &[u8]) -> Option<f64> {
    if let Some(v) = parse_f64_fast(s) {
        return Some(v);
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    v.is_finite().then_some(v)
}

fn parse_f64_fast(s: &[u8]) -> Option<f64> {
    let (negative, body) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let mut mantissa: u64 = 0;
    let mut n_digits = 0usize;
    let mut n_frac: Option<usize> = None;
    let mut int_digits = 0usize;
    for &b in body {
        match b {
            b'0'..=b'9' => {
                if n_digits >= 15 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(b - b'0');
                if mantissa != 0 {
                    n_digits += 1;
                }
                match n_frac.as_mut() {
                    Some(f) => *f += 1,
                    None => int_digits += 1,
                }
            }
            b'.' if n_frac.is_none() => n_frac = Some(0),
            _ => return None,
        }
    }
    let frac = n_frac.unwrap_or(0);
    if int_digits == 0 || (n_frac.is_some() && frac == 0) || frac >= POW10.len() {
        // ".5", "5." and very long fractions: leave them to the standard library.
        return None;
    }
    // Exact: mantissa < 10^15 < 2^53 and the power of ten is exact, so one rounding.
    let magnitude = mantissa as f64 / POW10[frac];
    Some(if negative { -magnitude } else { magnitude })
}

/// `[-]H:MM:SS[.fraction]` (hours may have any number of digits) as microseconds.
///
/// ffmpeg prints `out_time=00:00:03.018667` in `-progress` and `time=00:00:09.01` in `-stats`.
pub(crate) fn parse_clock_us(s: &[u8]) -> Option<i64> {
    let (negative, body) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let mut parts = body.splitn(3, |&b| b == b':');
    let hours = parse_u64(parts.next()?)?;
    let minutes = parse_u64(parts.next()?)?;
    let seconds_field = parts.next()?;
    let (whole, frac) = match seconds_field.iter().position(|&b| b == b'.') {
        Some(dot) => (&seconds_field[..dot], &seconds_field[dot + 1..]),
        None => (seconds_field, &b""[..]),
    };
    let seconds = parse_u64(whole)?;
    if minutes > 59 || seconds > 60 {
        return None;
    }
    let mut micros: u64 = 0;
    for i in 0..6 {
        let digit = match frac.get(i) {
            Some(&b) if b.is_ascii_digit() => u64::from(b - b'0'),
            Some(_) => return None,
            None => 0,
        };
        micros = micros * 10 + digit;
    }
    if !frac
        .get(6..)
        .unwrap_or_default()
        .iter()
        .all(u8::is_ascii_digit)
    {
        return None;
    }
    let total = hours
        .checked_mul(3_600_000_000)?
        .checked_add(minutes * 60_000_000 + seconds * 1_000_000 + micros)?;
    let total = i64::try_from(total).ok()?;
    Some(if negative { -total } else { total })
}

/// `N/A` (or nothing) as `None`, else `parse(value)`.
pub(crate) fn optional<T>(value: &[u8], parse: impl FnOnce(&[u8]) -> Option<T>) -> Option<T> {
    let value = trim_spaces(value);
    if value == b"N/A" {
        return None;
    }
    parse(value)
}

#[cfg(test)]
mod tests;
