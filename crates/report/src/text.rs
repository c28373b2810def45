//! The text rendering's building blocks: section headings, aligned rows, units in words.

use std::fmt::Write as _;

/// Width of the label column of every row.
const LABEL_WIDTH: usize = 22;

/// The text report being written: one heading per section, one aligned row per figure.
#[derive(Debug, Default)]
pub(crate) struct Text {
    out: String,
}

impl Text {
    /// A line as it is.
    pub(crate) fn line(&mut self, line: &str) {
        let _ = writeln!(self.out, "{line}");
    }

    /// A blank line, then the section's title.
    pub(crate) fn section(&mut self, title: &str) {
        let _ = writeln!(self.out, "\n{title}");
    }

    /// `  label                  value`.
    pub(crate) fn row(&mut self, label: &str, value: &str) {
        let _ = writeln!(self.out, "  {label:<LABEL_WIDTH$} {value}");
    }

    /// What was written.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// Decimal units (1 kB = 1000 B), two decimals.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[unit])
    }
}

/// Drift in words: behind the wall clock, or ahead of it while a viewer reads ahead at its start.
pub(crate) fn drift(ms: f64) -> String {
    if ms < 0.0 {
        format!("{:.0} ms ahead", -ms)
    } else {
        format!("{ms:.0} ms behind")
    }
}
