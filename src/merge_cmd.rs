//! `hls-swarm merge`: the summaries of a run's shards, read from files, merged into one.

use std::path::Path;

use anyhow::Result;
use hls_swarm_report::{Report, merge};

use crate::cli::MergeArgs;
use crate::exit::{Exit, Failure};
use crate::report::{threshold_verdict, write_json};

/// `hls-swarm merge`.
pub fn merge_summaries(args: &MergeArgs) -> Result<Exit> {
    let parts = (args.files.iter())
        .map(|path| read_summary(path))
        .collect::<Result<Vec<Report>, Failure>>()?;
    let merged = merge(&parts, args.allow_missing)
        .map_err(|e| {
            let sentence = e.describe(|i| args.files[i].display().to_string());
            Failure::summarizing(Exit::Config, sentence, e)
        })?
        .with_thresholds(&args.thresholds);
    if let Some(path) = &args.output {
        write_json(&merged, path, "merged summary")?;
    }
    if args.json {
        println!("{}", merged.to_json());
    } else {
        println!("{}", merged.render_text());
    }
    Ok(threshold_verdict(&merged))
}

/// One summary: a `--summary-json` file, or a saved log whose last line is the summary.
pub fn read_summary(path: &Path) -> Result<Report, Failure> {
    let text = std::fs::read(path).map_err(|e| {
        Failure::caused_by(
            Exit::Config,
            format!("cannot read the summary {}", path.display()),
            e,
        )
    })?;
    let text = String::from_utf8_lossy(&text);
    Report::from_json(&text)
        .map_err(|e| Failure::summarizing(Exit::Config, format!("{}: {e}", path.display()), e))
}
