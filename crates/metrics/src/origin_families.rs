//! The origin's figures (from the exporter scraper) as `hls_swarm_origin_*` families.

use crate::encode::Families;
use crate::origin::{OriginSnapshot, SourceHealth};
use std::fmt::Error;

pub(crate) fn encode(out: &mut Families<'_>, o: &OriginSnapshot) -> Result<(), Error> {
    out.gauge_opt(
        "hls_swarm_origin_cpu_percent",
        "Origin CPU busy %, all CPUs, over the last scrape interval (node_cpu_seconds_total, 100 - idle).",
        o.cpu_percent,
    )?;
    out.gauge_opt(
        "hls_swarm_origin_memory_used_bytes",
        "Origin memory in use: MemTotal - MemAvailable.",
        o.memory_used_bytes,
    )?;
    out.gauge_opt(
        "hls_swarm_origin_memory_total_bytes",
        "Origin MemTotal.",
        o.memory_total_bytes,
    )?;
    out.gauge_opt(
        "hls_swarm_origin_network_receive_bytes_per_second",
        "Origin network bytes received per second over the last scrape interval (selected devices).",
        o.net_rx_bytes_per_s,
    )?;
    out.gauge_opt(
        "hls_swarm_origin_network_transmit_bytes_per_second",
        "Origin network bytes sent per second over the last scrape interval (selected devices).",
        o.net_tx_bytes_per_s,
    )?;
    out.gauge_opt(
        "hls_swarm_origin_nginx_connections_active",
        "nginx active client connections (nginx_connections_active).",
        o.nginx_connections_active,
    )?;
    out.gauge_opt(
        "hls_swarm_origin_nginx_requests_per_second",
        "nginx requests per second over the last scrape interval (from nginx_http_requests_total).",
        o.nginx_requests_per_s,
    )?;
    let sources = [("node_exporter", &o.node), ("nginx_exporter", &o.nginx)];
    let configured = || sources.iter().filter(|(_, h)| h.configured);
    out.gauge_family(
        "hls_swarm_origin_scrape_up",
        "1 if the last scrape of the origin exporter succeeded, else 0.",
        configured().map(|(name, h)| ([("source", *name)], i64::from(h.is_up()))),
    )?;
    out.counter_family(
        "hls_swarm_origin_scrape_failures",
        "Failed scrapes of the origin exporter.",
        configured().map(|(name, h): &(&str, &SourceHealth)| ([("source", *name)], h.failures)),
    )
}
