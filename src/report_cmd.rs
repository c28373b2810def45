//! `hls-swarm report`: a saved (or merged) summary's HTML report, and thresholds checked on it.

use anyhow::Result;

use crate::cli::ReportArgs;
use crate::exit::Exit;
use crate::merge_cmd::read_summary;
use crate::report::{threshold_verdict, write_html};

/// `hls-swarm report SUMMARY [-o report.html] [--threshold EXPR …]`: with thresholds, they
/// replace those the summary was saved with; without `-o`, the text summary is printed.
pub fn report(args: &ReportArgs) -> Result<Exit> {
    let mut report = read_summary(&args.summary)?;
    if !args.thresholds.is_empty() {
        report = report.with_thresholds(&args.thresholds);
    }
    match &args.output {
        Some(path) => write_html(&report, path)?,
        None => println!("{}", report.render_text()),
    }
    // Only thresholds checked now decide the exit code: a saved verdict was the run's own.
    Ok(if args.thresholds.is_empty() {
        Exit::Ok
    } else {
        threshold_verdict(&report)
    })
}
