//! `hls-swarm origin` and the origin half of `hls-swarm demo`: the built-in live test origin.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Result;
use hls_swarm_origin::{
    AccessLog, FaultRule, OriginConfig, OriginError, OriginHandle, render, serve,
};

use crate::cli::{OriginArgs, OriginFaults};
use crate::exit::{Exit, Failure};

/// Renders (or loads the cached render) and starts serving.
pub async fn start_origin(
    listen: SocketAddr,
    ffmpeg: &Path,
    access_log: Option<&Path>,
    faults: &OriginFaults,
) -> Result<OriginHandle, Failure> {
    let rules = faults
        .rules
        .iter()
        .map(|f| {
            f.parse::<FaultRule>()
                .map_err(|e| Failure::caused_by(Exit::Config, format!("--fault {f:?}"), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cfg = OriginConfig {
        addr: listen,
        ffmpeg: ffmpeg.to_path_buf(),
        access_log: match access_log {
            None => AccessLog::None,
            Some(p) if p == Path::new("-") => AccessLog::Stdout,
            Some(p) => AccessLog::File(PathBuf::from(p)),
        },
        faults: rules,
        seed: faults.seed,
        stale_after: faults.stale_after,
        end_after: faults.end_after,
        ..OriginConfig::default()
    };
    cfg.validate()
        .map_err(|e| Failure::from_error(Exit::Config, e))?;
    let rendition = render(&cfg).await.map_err(origin_failure)?;
    serve(&cfg, rendition).await.map_err(origin_failure)
}

/// An origin that cannot start: exit code 4 when ffmpeg is to blame, else 1.
fn origin_failure(e: OriginError) -> Failure {
    let exit = match e {
        OriginError::FfmpegNotFound { .. } | OriginError::FfmpegFailed { .. } => Exit::Ffmpeg,
        _ => Exit::Runtime,
    };
    Failure::from_error(exit, e)
}

/// `hls-swarm origin`: serve until Ctrl-C (or `--duration`).
pub async fn origin(args: &OriginArgs) -> Result<Exit> {
    let handle = start_origin(
        args.listen,
        &args.ffmpeg,
        args.access_log.as_deref(),
        &args.faults,
    )
    .await?;
    eprintln!("hls-swarm origin: serving {}", handle.url());
    eprintln!(
        "hls-swarm origin: segment sizes at http://{}/segments.json; Ctrl-C stops",
        handle.local_addr()
    );
    if args.duration.is_zero() {
        let _ = tokio::signal::ctrl_c().await;
    } else {
        tokio::select! {
            _ = tokio::time::sleep(args.duration) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    handle.shutdown().await;
    Ok(Exit::Ok)
}
