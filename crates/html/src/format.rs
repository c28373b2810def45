//! Numbers as the report writes them: run time in mm:ss, and each chart's values in its unit.

/// Run time: `m:ss`, or `h:mm:ss` from an hour on.
pub(crate) fn run_time(t_s: f64) -> String {
    let t = t_s.max(0.0).round() as u64;
    let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// How a chart's values are written, and the unit its axis names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    /// Viewers.
    Viewers,
    /// Per second (requests, errors).
    PerSecond(&'static str),
    /// Bytes per second, in decimal units.
    BytesPerSecond,
    /// Milliseconds.
    Ms,
    /// A percentage.
    Percent(&'static str),
    /// Times real time.
    Speed,
}

impl Scale {
    /// The axis label.
    pub(crate) fn unit(self) -> &'static str {
        match self {
            Scale::Viewers => "viewers",
            Scale::PerSecond(unit) | Scale::Percent(unit) => unit,
            Scale::BytesPerSecond => "bytes/s",
            Scale::Ms => "ms",
            Scale::Speed => "x real time",
        }
    }

    /// A value on this axis, short.
    pub(crate) fn format(self, v: f64) -> String {
        match self {
            Scale::BytesPerSecond => bytes_per_s(v),
            Scale::Speed => format!("{v:.2}x"),
            Scale::Percent(_) => format!("{} %", short(v)),
            Scale::Ms => format!("{} ms", short(v)),
            Scale::Viewers | Scale::PerSecond(_) => short(v),
        }
    }
}

/// A number in at most about four characters: `0.25`, `12`, `1.5k`, `2M`.
pub(crate) fn short(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    if a >= 1e6 {
        trim(format!("{:.1}", v / 1e6)) + "M"
    } else if a >= 1e3 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        trim(format!("{v:.2}"))
    }
}

/// Bytes per second in decimal units: `875 kB/s`, `1.2 MB/s`.
pub(crate) fn bytes_per_s(v: f64) -> String {
    const UNITS: [&str; 4] = ["B/s", "kB/s", "MB/s", "GB/s"];
    let mut v = v;
    let mut unit = 0;
    while v.abs() >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    format!("{} {}", short(v), UNITS[unit])
}
