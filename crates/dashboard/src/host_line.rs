//! The host line: the machine hls-swarm runs on, its CPU busy of capacity and memory used of
//! its limit, with a SATURATED marker while it is; for the dashboard and the status line.

use crate::format::bytes;
use hls_swarm_aggregate::HostFigures;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// `1.83/2.00 cores (92 %)`; the busy part is `?` before the second sample.
pub(crate) fn cpu(h: &HostFigures) -> String {
    let capacity = h.sample.limits.cpu_cores;
    match (h.sample.cpu_busy_cores, h.sample.cpu_busy_share()) {
        (Some(busy), Some(share)) => {
            format!("{busy:.2}/{capacity:.2} cores ({:.0} %)", share * 100.0)
        }
        _ => format!("?/{capacity:.2} cores"),
    }
}

/// `4.10 GB/24.7 GB (17 %)`; the used part is `?` when unreadable.
pub(crate) fn memory(h: &HostFigures) -> String {
    let limit = bytes(h.sample.limits.memory_bytes as f64);
    match (h.sample.memory_used_bytes, h.sample.memory_used_share()) {
        (Some(used), Some(share)) => {
            format!("{}/{limit} ({:.0} %)", bytes(used as f64), share * 100.0)
        }
        _ => format!("?/{limit}"),
    }
}

/// The status line's part: `host cpu 1.83/2.00 cores (92 %) mem 4.10 GB/24.7 GB (17 %)`, and
/// ` SATURATED` while it is.
pub(crate) fn status(h: &HostFigures) -> String {
    format!(
        "host cpu {} mem {}{}",
        cpu(h),
        memory(h),
        if h.saturated { " SATURATED" } else { "" }
    )
}

/// The dashboard's host line for a terminal `width` wide: dim while the host has room, red
/// with what it means while it is saturated.
pub(crate) fn banner(h: &HostFigures, width: u16) -> Line<'static> {
    let figures = format!(" host  cpu {}  mem {}", cpu(h), memory(h));
    if !h.saturated {
        return Line::from(vec![
            Span::styled(figures, Style::new().fg(Color::Gray)),
            Span::styled(
                format!("  saturated {:.0} s so far", h.saturated_s),
                Style::new().fg(Color::DarkGray),
            ),
        ]);
    }
    // The marker first, so that a narrow terminal still shows it; the explanation if it fits.
    let marked = format!(" SATURATED{figures}");
    let why = "  stalls may be this machine's, not the origin's";
    let fits = marked.chars().count() + why.chars().count() <= width as usize;
    Line::from(vec![
        Span::raw(marked),
        Span::raw(if fits { why } else { "" }),
    ])
    .style(
        Style::new()
            .bg(Color::Red)
            .fg(Color::White)
            .add_modifier(Modifier::BOLD),
    )
}

#[cfg(test)]
mod tests;
