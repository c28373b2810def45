//! The HTML report: ticks, formats, escaping, and charts that carry the series' values.

use crate::chart::{Chart, Series, nice_ticks, time_ticks};
use crate::escape::escape;
use crate::format::{Scale, bytes_per_s, run_time, short};
use crate::render_html;
use hls_swarm_aggregate::Aggregator;
use hls_swarm_report::{Report, SeriesPoint, TimeSeries};
use std::time::{Duration, Instant};

#[test]
fn run_time_is_minutes_and_seconds_then_hours() {
    assert_eq!(run_time(0.0), "0:00");
    assert_eq!(run_time(65.4), "1:05");
    assert_eq!(run_time(3599.6), "1:00:00");
    assert_eq!(run_time(3723.0), "1:02:03");
}

#[test]
fn ticks_are_round_and_cover_the_values() {
    assert_eq!(nice_ticks(0.0, 7.3), [0.0, 2.0, 4.0, 6.0, 8.0]);
    assert_eq!(
        nice_ticks(0.0, 0.0),
        [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    );
    let t = nice_ticks(0.0, 1234.0);
    assert_eq!(
        (t[0], *t.last().unwrap(), t[1] - t[0]),
        (0.0, 1500.0, 500.0)
    );
    assert_eq!(time_ticks(20.0), [0.0, 5.0, 10.0, 15.0, 20.0]);
    assert_eq!(time_ticks(3600.0).len(), 7, "every 10 minutes");
    assert!(time_ticks(36_000.0).len() <= 9);
}

#[test]
fn values_are_short_and_in_their_unit() {
    assert_eq!(
        (short(0.0), short(0.25), short(12.4), short(1500.0)),
        ("0".into(), "0.25".into(), "12".into(), "1.5k".into())
    );
    assert_eq!(bytes_per_s(875_300.0), "875 kB/s");
    assert_eq!(Scale::Ms.format(2.5), "2.5 ms");
    assert_eq!(Scale::Speed.format(1.0), "1.00x");
    assert_eq!(
        escape("<a href='x'>&\"</a>"),
        "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
    );
}

#[test]
fn a_gap_breaks_the_line_and_a_lone_point_still_shows() {
    let chart = Chart {
        id: "t",
        title: "T <x>".to_owned(),
        scale: Scale::Viewers,
        caption: "what it measures".to_owned(),
        series: vec![Series::new(
            "s",
            vec![
                (0.5, Some(1.0)),
                (1.5, Some(2.0)),
                (2.5, None),
                (3.5, Some(3.0)),
            ],
        )],
    };
    let html = chart.to_html(4.0);
    let d = html
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(d.matches('M').count(), 2, "{d}");
    assert_eq!(d.matches('L').count(), 1, "{d}");
    assert!(d.ends_with("l0.1,0"), "the lone last point gets a dot: {d}");
    assert!(html.contains("data-points=\"3\""));
    assert!(html.contains("<h3>T &lt;x&gt;</h3>"), "titles are escaped");
    assert!(html.contains("<figcaption>what it measures</figcaption>"));
    assert!(
        html.contains(">viewers</text>"),
        "the y axis names its unit"
    );
}

/// A report of one viewer whose series has `points` one-second points.
fn report(points: usize) -> Report {
    let t0 = Instant::now();
    let swarm = Aggregator::new("http://o/<m>.m3u8", 1, t0);
    let s = swarm.tick(t0 + Duration::from_secs(points as u64));
    let mut series = TimeSeries::default();
    for i in 0..points {
        let mut p = SeriesPoint {
            t_s: i as f64,
            span_s: 1.0,
            ..SeriesPoint::default()
        };
        p.requests.segment = 3 + i as u64 % 2;
        p.viewers.running = 1;
        p.http_errors.insert("503".to_owned(), (i % 3) as u64);
        series.points.push(p);
    }
    Report::from_aggregator(&swarm, &s).with_timeseries(Some(series))
}

#[test]
fn the_page_charts_what_the_series_has_and_says_why_not_the_rest() {
    let html = render_html(&report(10).with_thresholds(&["requests_per_s>5".parse().unwrap()]));
    for id in ["viewers", "requests", "errors"] {
        assert!(html.contains(&format!("id=\"chart-{id}\"")), "{id}");
    }
    assert!(html.contains("data-series=\"HTTP 503\" data-points=\"10\""));
    for id in ["throughput", "latency", "host", "origin"] {
        assert!(
            !html.contains(&format!("id=\"chart-{id}\"")),
            "{id} has no data"
        );
    }
    assert!(html.contains("Not charted: Throughput: no byte figure over time"));
    assert!(html.contains("Not charted: The origin: not scraped"));
    assert!(html.contains("FAILED 1 of 1 thresholds"));
    assert!(
        html.contains("<td>requests_per_s&gt;5</td>"),
        "expressions are escaped"
    );
    assert!(html.contains("http://o/&lt;m&gt;.m3u8"), "so is the URL");
    // Nothing to fetch and nothing to run.
    assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"));
    assert!(html.contains("default-src 'none'"));
}

#[test]
fn a_summary_without_a_series_says_so() {
    let mut r = report(0);
    r.timeseries = None;
    let html = render_html(&r);
    assert!(html.contains("This summary has no time series"));
    assert!(!html.contains("<figure"));
    assert!(html.contains("no thresholds"));
}
