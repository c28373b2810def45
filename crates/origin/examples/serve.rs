//! Renders the default loop, serves it for a while and prints the origin's CPU time: `cargo run --release -p hls-swarm-origin --example serve -- [PORT] [SECS] [LOG]`.

use std::time::{Duration, Instant};

use hls_swarm_origin::{AccessLog, OriginConfig, render, serve};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().map_or(Ok(8080), |p| p.parse())?;
    let secs: u64 = args.next().map_or(Ok(60), |s| s.parse())?;
    let cfg = OriginConfig {
        addr: ([127, 0, 0, 1], port).into(),
        access_log: args
            .next()
            .map_or(AccessLog::None, |p| AccessLog::File(p.into())),
        ..OriginConfig::default()
    };
    let started = Instant::now();
    let rendition = render(&cfg).await?;
    eprintln!(
        "rendered/loaded in {:.2?}: {}",
        started.elapsed(),
        rendition.dir().display()
    );
    let origin = serve(&cfg, rendition).await?;
    eprintln!("serving {}", origin.url());
    let cpu_before = cpu_secs();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let cpu = cpu_secs() - cpu_before;
    let stats = origin.stats();
    origin.shutdown().await;
    eprintln!(
        "served {} requests, {} body bytes in {secs} s; origin CPU {cpu:.2} s ({:.1}% of one core)",
        stats.requests,
        stats.body_bytes,
        100.0 * cpu / secs as f64
    );
    Ok(())
}

/// utime + stime of this process from `/proc/self/stat`, in seconds (Linux; 0 elsewhere).
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        fields[11].parse::<f64>().unwrap_or(0.0) + fields[12].parse::<f64>().unwrap_or(0.0);
    ticks / 100.0
}
