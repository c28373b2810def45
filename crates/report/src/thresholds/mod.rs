//! Thresholds (`--threshold 'http_error_rate<0.01'`): an expression parsed against the registry
//! of figures ([`FIGURES`]), refused in one sentence when it names no figure, is malformed, or
//! needs what this build does not have; evaluated on a summary (or a window of its time series)
//! into a [`ThresholdResult`] the summary keeps.

mod figures;

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

pub use figures::{FIGURES, Figure, Needs, Unit, figure};

use crate::report::Report;
pub use crate::sections::thresholds::{ThresholdResult, WindowBreach};
use crate::sections::timeseries::SeriesPoint;

/// How a figure is compared with its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Less,
    /// `<=`
    AtMost,
    /// `>`
    Greater,
    /// `>=`
    AtLeast,
    /// `==`
    Equal,
}

impl Comparison {
    /// Every operator, the two-character ones first (so `<=` is not read as `<`).
    const ALL: [(&'static str, Comparison); 5] = [
        ("<=", Comparison::AtMost),
        (">=", Comparison::AtLeast),
        ("==", Comparison::Equal),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
    ];

    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::AtMost => "<=",
            Comparison::Greater => ">",
            Comparison::AtLeast => ">=",
            Comparison::Equal => "==",
        }
    }

    /// Whether `value` passes against `limit`.
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Comparison::Less => value < limit,
            Comparison::AtMost => value <= limit,
            Comparison::Greater => value > limit,
            Comparison::AtLeast => value >= limit,
            Comparison::Equal => value == limit,
        }
    }
}

/// Why an expression is not a threshold this build can check.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ThresholdError {
    /// Not `NAME OP VALUE`.
    #[error(
        "{expr:?} is not a threshold: write NAME OP VALUE, like http_error_rate<0.01 or \
         playlist_fetch_p95<500ms, with OP one of < <= > >= == and NAME one of {valid}"
    )]
    Malformed {
        /// The expression.
        expr: String,
        /// The names that can be used.
        valid: String,
    },
    /// A name no figure has.
    #[error("{expr:?} names no figure hls-swarm has: use one of {valid}")]
    UnknownName {
        /// The expression.
        expr: String,
        /// The names that can be used.
        valid: String,
    },
    /// A figure of the request tap, on a run without it.
    #[error(
        "{name} needs the request tap, which this run goes without (--tap off, or an https:// \
         stream): use an http:// stream with --tap auto or on, or one of {valid}"
    )]
    NeedsTap {
        /// The figure.
        name: String,
        /// The names that can be used.
        valid: String,
    },
    /// A figure of ffmpeg's own timing, on a run through the request tap.
    #[error(
        "{name} is timed from ffmpeg's log, which through the request tap times ffmpeg's \
         loopback connection to the tap, not the origin: use the tap's figures (one of {valid}), \
         or run with --tap off"
    )]
    NeedsNoTap {
        /// The figure.
        name: String,
        /// The names that can be used.
        valid: String,
    },
    /// A limit that is not a number in the figure's unit.
    #[error("{expr:?}: {value:?} is not a limit for {name}, whose unit is {unit}: write {forms}")]
    BadLimit {
        /// The expression.
        expr: String,
        /// The limit as written.
        value: String,
        /// The figure.
        name: String,
        /// Its unit.
        unit: String,
        /// How a limit may be written.
        forms: String,
    },
}

/// The names a threshold can use, comma-separated.
pub fn available_names() -> String {
    let names: Vec<&str> = FIGURES.iter().map(|f| f.name).collect();
    names.join(", ")
}

/// The names a run without the request tap can use, comma-separated.
pub fn names_without_the_tap() -> String {
    names_unless(Needs::RequestTap)
}

/// The names a run through the request tap can use, comma-separated.
pub fn names_with_the_tap() -> String {
    names_unless(Needs::NoTap)
}

fn names_unless(unavailable: Needs) -> String {
    let names: Vec<&str> = (FIGURES.iter())
        .filter(|f| f.needs != unavailable)
        .map(|f| f.name)
        .collect();
    names.join(", ")
}

/// Refuses, before a run, a threshold on a figure of the request tap when the run goes
/// without it: such a threshold could only fail as "no data".
pub fn refuse_without_tap(thresholds: &[Threshold], with_tap: bool) -> Result<(), ThresholdError> {
    match thresholds
        .iter()
        .find(|t| t.figure.needs == Needs::RequestTap)
    {
        Some(t) if !with_tap => Err(ThresholdError::NeedsTap {
            name: t.figure.name.to_owned(),
            valid: names_without_the_tap(),
        }),
        _ => Ok(()),
    }
}

/// Refuses, before a run, a threshold on a figure of ffmpeg's own timing when the run goes
/// through the request tap, which leaves those figures out of its summary.
pub fn refuse_with_tap(thresholds: &[Threshold], with_tap: bool) -> Result<(), ThresholdError> {
    match thresholds.iter().find(|t| t.figure.needs == Needs::NoTap) {
        Some(t) if with_tap => Err(ThresholdError::NeedsNoTap {
            name: t.figure.name.to_owned(),
            valid: names_with_the_tap(),
        }),
        _ => Ok(()),
    }
}

/// A parsed threshold: a figure, a comparison and a limit in the figure's unit.
#[derive(Debug, Clone)]
pub struct Threshold {
    /// The expression as given (spaces removed).
    pub expr: String,
    /// The figure.
    pub figure: &'static Figure,
    /// The comparison.
    pub op: Comparison,
    /// The limit, in the figure's unit.
    pub limit: f64,
}

impl FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(s: &str) -> Result<Threshold, ThresholdError> {
        let expr: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let malformed = || ThresholdError::Malformed {
            expr: expr.clone(),
            valid: available_names(),
        };
        let (at, op_text, op) = (Comparison::ALL.iter())
            .filter_map(|&(text, op)| expr.find(text).map(|at| (at, text, op)))
            .min_by_key(|&(at, text, _)| (at, std::cmp::Reverse(text.len())))
            .ok_or_else(malformed)?;
        let (name, value) = (&expr[..at], &expr[at + op_text.len()..]);
        let is_name =
            |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !is_name(name) || value.is_empty() {
            return Err(malformed());
        }
        let figure = figure(name).ok_or_else(|| ThresholdError::UnknownName {
            expr: expr.clone(),
            valid: available_names(),
        })?;
        let limit = parse_limit(value, figure.unit).ok_or_else(|| ThresholdError::BadLimit {
            expr: expr.clone(),
            value: value.to_owned(),
            name: name.to_owned(),
            unit: figure.unit.as_str().to_owned(),
            forms: limit_forms(figure.unit),
        })?;
        Ok(Threshold {
            expr,
            figure,
            op,
            limit,
        })
    }
}

/// A number with one of the unit's suffixes, scaled into the unit.
fn parse_limit(value: &str, unit: Unit) -> Option<f64> {
    // The longest suffix that matches ("ms" before "s").
    let mut suffixes: Vec<&(&str, f64)> = unit.suffixes().iter().collect();
    suffixes.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
    suffixes.into_iter().find_map(|&(suffix, scale)| {
        let number = value.strip_suffix(suffix)?;
        let n: f64 = number.parse().ok()?;
        n.is_finite().then_some(n * scale)
    })
}

/// How a limit of `unit` may be written, for an error message.
fn limit_forms(unit: Unit) -> String {
    let forms: Vec<String> = (unit.suffixes().iter())
        .map(|(s, _)| format!("1.5{s}"))
        .collect();
    format!("a number like {}", forms.join(" or "))
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expr)
    }
}

impl Threshold {
    /// The verdict on a summary: the figure's value, passed when it meets the limit; no data
    /// fails.
    pub fn evaluate(&self, report: &Report) -> ThresholdResult {
        let value = (self.figure.of_report)(report);
        ThresholdResult {
            expr: self.expr.clone(),
            figure: self.figure.name.to_owned(),
            unit: self.figure.unit.as_str().to_owned(),
            op: self.op.as_str().to_owned(),
            limit: self.limit,
            value,
            passed: value.is_some_and(|v| self.op.holds(v, self.limit)),
            aborted_run: None,
        }
    }

    /// Whether the figure crosses its limit over `window` (points of the time series): the
    /// breach, or `None` when it holds or the figure is checked on the final summary only.
    pub fn breach(&self, window: &[SeriesPoint]) -> Option<WindowBreach> {
        let of_window = self.figure.of_window?;
        let (first, last) = (window.first()?, window.last()?);
        let value = of_window(window);
        let holds = value.is_some_and(|v| self.op.holds(v, self.limit));
        (!holds).then_some(WindowBreach {
            value,
            from_s: first.t_s,
            to_s: last.end_s(),
        })
    }
}

impl Report {
    /// With `thresholds` evaluated on this summary (replacing any it had): each one's measured
    /// value and verdict.
    pub fn with_thresholds(mut self, thresholds: &[Threshold]) -> Report {
        self.thresholds = thresholds.iter().map(|t| t.evaluate(&self)).collect();
        self
    }
}

#[cfg(test)]
mod tests;
