//! `hls-swarm replay`: a captured ffmpeg run through parse → stats → aggregate, as one viewer.

mod pipeline;

use anyhow::Result;

use crate::cli::ReplayArgs;
use crate::exit::{Exit, Failure};

use pipeline::{Replayed, summarize};

/// `hls-swarm replay`.
pub fn replay(args: &ReplayArgs) -> Result<Exit> {
    let stderr = read(&args.stderr, "--stderr")?;
    let progress = match &args.progress {
        Some(path) => Some(read(path, "--progress")?),
        None => None,
    };
    let replayed = summarize(args.url.as_deref(), &stderr, progress.as_deref());
    print!("{}", output(&replayed, args.json));
    Ok(Exit::Ok)
}

/// What `hls-swarm replay` prints: the summary JSON, or the text summary and its notes.
fn output(replayed: &Replayed, json: bool) -> String {
    if json {
        return format!("{}\n", replayed.report.to_json());
    }
    let mut text = replayed.report.render_text();
    text.push_str(
        "\nNote: a replay has no arrival times, so its drift figures are not measurements.\n",
    );
    if !replayed.has_timestamps {
        text.push_str(
            "Note: this capture has no timestamps (ffmpeg 5.1 prints none), so its latencies \
             read 0 ms; measure them with a live run or an ffmpeg 7 capture.\n",
        );
    }
    text
}

fn read(path: &std::path::Path, flag: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        Failure::caused_by(
            Exit::Config,
            format!("cannot read {flag} {}", path.display()),
            e,
        )
    })
}

#[cfg(test)]
mod tests;
