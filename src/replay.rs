//! `hls-swarm replay`: a captured ffmpeg run through parse → stats → aggregate, as one viewer.

mod pipeline;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use anyhow::Result;

use crate::cli::ReplayArgs;
use crate::exit::{Exit, Failure};

use pipeline::{Replayed, Replayer};

/// How much of a capture is held at once: a replay's memory does not grow with the capture
/// (reading a 6 MB capture whole cost more than parsing it, in page faults on the fresh buffer).
const CHUNK: usize = 128 * 1024;

/// `hls-swarm replay`.
pub fn replay(args: &ReplayArgs) -> Result<Exit> {
    // Both files open before any is read, so a wrong path is reported at once.
    let stderr = open(&args.stderr, "--stderr")?;
    let progress = match &args.progress {
        Some(path) => Some((open(path, "--progress")?, path)),
        None => None,
    };
    let mut replayer = Replayer::new();
    let mut buf = vec![0; CHUNK];
    read_lines(stderr, &mut buf, |chunk| replayer.stderr(chunk))
        .map_err(|e| cannot_read("--stderr", &args.stderr, e))?;
    if let Some((file, path)) = progress {
        read_lines(file, &mut buf, |chunk| replayer.progress(chunk))
            .map_err(|e| cannot_read("--progress", path, e))?;
    }
    let replayed = replayer.finish(args.url.as_deref());
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

/// Reads `input` to its end through `buf` (doubled only for a line longer than it), handing
/// `feed` chunks of whole lines: each ends just after a `\n`, but the last.
fn read_lines(
    mut input: impl Read,
    buf: &mut Vec<u8>,
    mut feed: impl FnMut(&[u8]),
) -> io::Result<()> {
    if buf.is_empty() {
        buf.resize(CHUNK, 0);
    }
    // `buf[..filled]` holds the start of a line not yet fed.
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            buf.resize(2 * buf.len(), 0);
        }
        let n = match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let end = filled + n;
        // Only the bytes just read can hold a newline that was not there before.
        if let Some(i) = buf[filled..end].iter().rposition(|&b| b == b'\n') {
            let cut = filled + i + 1;
            feed(&buf[..cut]);
            buf.copy_within(cut..end, 0);
            filled = end - cut;
        } else {
            filled = end;
        }
    }
    if filled > 0 {
        feed(&buf[..filled]);
    }
    Ok(())
}

fn open(path: &Path, flag: &str) -> Result<File, Failure> {
    File::open(path).map_err(|e| cannot_read(flag, path, e))
}

fn cannot_read(flag: &str, path: &Path, e: io::Error) -> Failure {
    Failure::caused_by(
        Exit::Config,
        format!("cannot read {flag} {}", path.display()),
        e,
    )
}

#[cfg(test)]
mod tests;
