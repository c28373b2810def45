//! One line chart as inline SVG: axes with ticks and units, run time in mm:ss along the bottom,
//! one path per series (broken where a value is missing), a legend and a caption.

use std::fmt::Write as _;

use crate::escape::escape;
use crate::format::{Scale, run_time};

/// The colours of a chart's series, in order.
pub(crate) const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// The SVG's size in user units (it scales to the page's width).
const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 34.0;

/// One line of a chart: `(run time s, value)`, `None` where there is no value.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) points: Vec<(f64, Option<f64>)>,
    /// Drawn dashed (a reference, such as the target).
    pub(crate) dashed: bool,
}

impl Series {
    pub(crate) fn new(name: impl Into<String>, points: Vec<(f64, Option<f64>)>) -> Series {
        Series {
            name: name.into(),
            points,
            dashed: false,
        }
    }

    pub(crate) fn dashed(mut self) -> Series {
        self.dashed = true;
        self
    }

    fn has_data(&self) -> bool {
        self.points.iter().any(|(_, v)| v.is_some())
    }
}

/// A chart: what it shows, in what unit, and what it measures.
#[derive(Debug, Clone)]
pub(crate) struct Chart {
    /// The HTML id (`chart-ID`).
    pub(crate) id: &'static str,
    pub(crate) title: String,
    /// How the y axis' values are written, with their unit.
    pub(crate) scale: Scale,
    /// What the figures measure, in one line under the chart.
    pub(crate) caption: String,
    pub(crate) series: Vec<Series>,
}

impl Chart {
    /// Whether any series has a value.
    pub(crate) fn has_data(&self) -> bool {
        self.series.iter().any(Series::has_data)
    }

    /// The chart as a `<figure>`: its title, the SVG, the legend and the caption.
    pub(crate) fn to_html(&self, run_end_s: f64) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<figure class=\"chart\" id=\"chart-{}\">\n<h3>{}</h3>\n",
            self.id,
            escape(&self.title)
        );
        out.push_str(&self.svg(run_end_s));
        out.push_str("<ul class=\"legend\">");
        for (i, s) in self.series.iter().enumerate() {
            let _ = write!(
                out,
                "<li><span class=\"swatch{}\" style=\"background:{}\"></span>{}</li>",
                if s.dashed { " dashed" } else { "" },
                PALETTE[i % PALETTE.len()],
                escape(&s.name)
            );
        }
        let _ = write!(
            out,
            "</ul>\n<figcaption>{}</figcaption>\n</figure>\n",
            escape(&self.caption)
        );
        out
    }

    fn svg(&self, run_end_s: f64) -> String {
        let x_max = run_end_s.max(1.0);
        let values = (self.series.iter()).flat_map(|s| s.points.iter().filter_map(|p| p.1));
        let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let y_ticks = nice_ticks(lo, hi);
        let (y_lo, y_hi) = (y_ticks[0], *y_ticks.last().expect("at least two ticks"));
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let x = |t: f64| LEFT + plot_w * (t / x_max).clamp(0.0, 1.0);
        let y = |v: f64| TOP + plot_h * (1.0 - (v - y_lo) / (y_hi - y_lo));
        let mut out = String::new();
        let _ = write!(
            out,
            "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\" \
             xmlns=\"http://www.w3.org/2000/svg\">\n<g class=\"grid\">",
            escape(&self.title)
        );
        for &v in &y_ticks {
            let _ = write!(
                out,
                "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
                 <text class=\"ytick\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                WIDTH - RIGHT,
                y(v),
                y(v),
                LEFT - 6.0,
                y(v) + 4.0,
                escape(&self.scale.format(v)),
            );
        }
        for t in time_ticks(x_max) {
            let _ = write!(
                out,
                "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/>\
                 <text class=\"xtick\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x(t),
                x(t),
                TOP + plot_h,
                x(t),
                HEIGHT - BOTTOM + 16.0,
                run_time(t),
            );
        }
        let _ = write!(
            out,
            "</g>\n<g class=\"axis\"><line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{:.1}\"/>\
             <line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <text class=\"xlabel\" x=\"{:.1}\" y=\"{:.1}\">run time (mm:ss)</text>\
             <text class=\"ylabel\" transform=\"translate(14 {:.1}) rotate(-90)\">{}</text></g>\n",
            TOP + plot_h,
            WIDTH - RIGHT,
            TOP + plot_h,
            TOP + plot_h,
            LEFT + plot_w / 2.0,
            HEIGHT - 2.0,
            TOP + plot_h / 2.0,
            escape(self.scale.unit()),
        );
        // The first series is the one that matters most: drawn last, on top of the others.
        for (i, s) in self.series.iter().enumerate().rev() {
            out.push_str(&path(s, PALETTE[i % PALETTE.len()], &x, &y));
        }
        out.push_str("</svg>\n");
        out
    }
}

/// A series as one `<path>`: a new subpath after each missing value, a dot for a lone point.
fn path(s: &Series, colour: &str, x: &impl Fn(f64) -> f64, y: &impl Fn(f64) -> f64) -> String {
    let mut d = String::new();
    let mut drawn = 0;
    // Points in the current subpath: one alone gets a tiny segment, so its round cap shows.
    let mut run = 0;
    let lone = |d: &mut String, run: usize| {
        if run == 1 {
            d.push_str("l0.1,0 ");
        }
    };
    for &(t, v) in &s.points {
        match v {
            Some(v) => {
                let pen = if run > 0 { "L" } else { "M" };
                let _ = write!(d, "{pen}{:.1},{:.1} ", x(t), y(v));
                run += 1;
                drawn += 1;
            }
            None => {
                lone(&mut d, run);
                run = 0;
            }
        }
    }
    lone(&mut d, run);
    let dash = if s.dashed {
        " stroke-dasharray=\"6 4\""
    } else {
        ""
    };
    format!(
        "<path class=\"line\" data-series=\"{}\" data-points=\"{drawn}\" stroke=\"{colour}\"{dash} \
         d=\"{}\"/>\n",
        escape(&s.name),
        d.trim_end()
    )
}

/// Between 2 and about 6 round ticks (1, 2 or 5 × 10^k apart) covering `lo..=hi`, from 0 when
/// every value is positive.
pub(crate) fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = if hi - lo <= f64::EPSILON {
        (lo.min(0.0), lo.max(0.0) + 1.0)
    } else {
        (lo, hi)
    };
    let raw = (hi - lo) / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).floor() * step;
    let mut ticks = vec![first];
    while *ticks.last().expect("not empty") < hi - step * 1e-9 {
        let next = first + step * ticks.len() as f64;
        ticks.push(next);
    }
    if ticks.len() < 2 {
        ticks.push(first + step);
    }
    ticks
}

/// Run-time ticks from 0 to `end_s`: at most about 8, at a round step (seconds, then minutes,
/// then hours).
pub(crate) fn time_ticks(end_s: f64) -> Vec<f64> {
    const STEPS: [f64; 14] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    ];
    let step = (STEPS.iter().copied())
        .find(|s| end_s / s <= 8.0)
        .unwrap_or_else(|| (end_s / 8.0 / 3600.0).ceil() * 3600.0);
    (0..)
        .map(|i| i as f64 * step)
        .take_while(|&t| t <= end_s + 1e-9)
        .collect()
}
