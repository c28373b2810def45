//! The thresholds' section of a summary: each threshold checked on it with its measured value
//! and verdict ([`ThresholdResult`]), and how it renders as text.

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// A threshold's verdict on a summary: in the summary's `thresholds` list.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThresholdResult {
    /// The expression as given.
    pub expr: String,
    /// The figure's name.
    pub figure: String,
    /// Its unit.
    pub unit: String,
    /// The comparison.
    pub op: String,
    /// The limit, in the unit.
    pub limit: f64,
    /// The figure's value in the summary; `null`: no data (which fails).
    pub value: Option<f64>,
    /// Whether the figure met the limit (and, with `--abort-on-fail`, did not stop the run).
    pub passed: bool,
    /// When this threshold stopped the run (`--abort-on-fail`): its figure over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted_run: Option<WindowBreach>,
}

/// A threshold crossed over a window of the run: what stopped it under `--abort-on-fail`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct WindowBreach {
    /// The figure over the window; `null`: no data in it.
    pub value: Option<f64>,
    /// Where the window starts, seconds since the run started.
    pub from_s: f64,
    /// Where it ends.
    pub to_s: f64,
}

impl ThresholdResult {
    /// A value of this threshold's figure in its unit (`0.0300 (3.00 %)`, `412.00 ms`), or
    /// `no data`.
    pub fn show(&self, value: Option<f64>) -> String {
        let Some(v) = value else {
            return "no data".to_owned();
        };
        match self.unit.as_str() {
            "share" => format!("{v:.4} ({:.2} %)", v * 100.0),
            "count" => format!("{v:.0}"),
            "x" => format!("{v:.2}x"),
            unit => format!("{v:.2} {unit}"),
        }
    }

    /// The measured value in its unit, or `no data`.
    pub fn measured(&self) -> String {
        self.show(self.value)
    }
}

/// The "Thresholds" section: one row per threshold, PASS or FAIL with the measured value.
pub(crate) fn render(results: &[ThresholdResult], text: &mut Text) {
    if results.is_empty() {
        return;
    }
    text.section("Thresholds");
    let width = results
        .iter()
        .map(|r| r.expr.len())
        .max()
        .unwrap_or(0)
        .max(22);
    for r in results {
        let value = r.measured();
        let verdict = if r.passed { "PASS" } else { "FAIL" };
        let mut line = format!("{verdict}  measured {value}");
        if let Some(b) = &r.aborted_run {
            let over = r.show(b.value);
            line.push_str(&format!(
                "; stopped the run: {over} from {:.0} s to {:.0} s",
                b.from_s, b.to_s
            ));
        }
        text.line(&format!("  {:<width$} {line}", r.expr));
    }
}
