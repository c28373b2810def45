//! Pure derivations from two node_exporter / nginx-prometheus-exporter scrapes: CPU %, memory,
//! network and request rates.

use prometheus_parse::{Sample, Scrape, Value};

/// Cumulative CPU seconds summed over every CPU.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CpuTimes {
    /// Every mode except `idle`.
    pub(crate) busy: f64,
    /// Every mode.
    pub(crate) total: f64,
}

/// What one node_exporter scrape says.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct NodeReading {
    pub(crate) cpu: Option<CpuTimes>,
    pub(crate) mem_total: Option<f64>,
    pub(crate) mem_available: Option<f64>,
    pub(crate) rx_bytes: Option<f64>,
    pub(crate) tx_bytes: Option<f64>,
}

/// What one nginx-prometheus-exporter scrape says.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct NginxReading {
    /// `nginx_up`: 0 when the exporter could not read nginx's stub_status.
    pub(crate) up: Option<f64>,
    pub(crate) connections_active: Option<f64>,
    pub(crate) requests_total: Option<f64>,
}

/// Parses a text exposition with prometheus-parse. It skips lines it does not recognise, so a
/// body that is no exposition at all gives an empty scrape (which the readings then reject).
pub(crate) fn parse(body: &str) -> std::io::Result<Scrape> {
    Scrape::parse(body.lines().map(|l| Ok(l.to_owned())))
}

fn value(sample: &Sample) -> Option<f64> {
    match sample.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => Some(v),
        Value::Histogram(_) | Value::Summary(_) => None,
    }
}

fn samples<'a>(scrape: &'a Scrape, metric: &'a str) -> impl Iterator<Item = &'a Sample> + 'a {
    scrape.samples.iter().filter(move |s| s.metric == metric)
}

/// The sum of a metric's samples that pass `keep`, or `None` when there is none.
fn sum_where(scrape: &Scrape, metric: &str, keep: impl Fn(&Sample) -> bool) -> Option<f64> {
    samples(scrape, metric)
        .filter(|s| keep(s))
        .filter_map(value)
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

/// `include_device` says which network devices the byte counters add up.
pub(crate) fn node_reading(scrape: &Scrape, include_device: impl Fn(&str) -> bool) -> NodeReading {
    let total = sum_where(scrape, "node_cpu_seconds_total", |_| true);
    let idle = sum_where(scrape, "node_cpu_seconds_total", |s| {
        s.labels.get("mode") == Some("idle")
    });
    let on_device = |s: &Sample| s.labels.get("device").is_some_and(&include_device);
    NodeReading {
        cpu: total.map(|total| CpuTimes {
            busy: total - idle.unwrap_or(0.0),
            total,
        }),
        mem_total: sum_where(scrape, "node_memory_MemTotal_bytes", |_| true),
        mem_available: sum_where(scrape, "node_memory_MemAvailable_bytes", |_| true)
            .or_else(|| sum_where(scrape, "node_memory_MemFree_bytes", |_| true)),
        rx_bytes: sum_where(scrape, "node_network_receive_bytes_total", on_device),
        tx_bytes: sum_where(scrape, "node_network_transmit_bytes_total", on_device),
    }
}

pub(crate) fn nginx_reading(scrape: &Scrape) -> NginxReading {
    NginxReading {
        up: sum_where(scrape, "nginx_up", |_| true),
        connections_active: sum_where(scrape, "nginx_connections_active", |_| true),
        requests_total: sum_where(scrape, "nginx_http_requests_total", |_| true),
    }
}

/// CPU busy % between two readings: Δbusy / Δtotal × 100. `None` if no time passed or the
/// counters went backwards (exporter or host restarted).
pub(crate) fn cpu_percent(prev: CpuTimes, cur: CpuTimes) -> Option<f64> {
    let d_total = cur.total - prev.total;
    let d_busy = cur.busy - prev.busy;
    if d_total <= 0.0 || d_busy < 0.0 {
        return None;
    }
    Some((d_busy / d_total * 100.0).clamp(0.0, 100.0))
}

/// Per-second rate of a counter between two readings `secs` apart; `None` when a reading is
/// missing, no time passed, or the counter went backwards (a reset).
pub(crate) fn per_second(prev: Option<f64>, cur: Option<f64>, secs: f64) -> Option<f64> {
    let (prev, cur) = (prev?, cur?);
    if secs <= 0.0 || cur < prev {
        return None;
    }
    Some((cur - prev) / secs)
}

/// Memory in use: total − available.
pub(crate) fn memory_used(r: &NodeReading) -> Option<f64> {
    Some((r.mem_total? - r.mem_available?).max(0.0))
}
