//! Reading a summary back: a summary file, or a saved log whose last line is the summary JSON.

use serde_json::Value;
use thiserror::Error;

use crate::report::{Report, SCHEMA, SCHEMA_V1};

/// Why a text is not a summary [`Report::from_json`] can read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SummaryReadError {
    /// Neither the whole text nor its last non-empty line is JSON.
    #[error(
        "neither the file nor its last line is JSON: pass a summary written by --summary-json, \
         or a saved log whose last line is the summary"
    )]
    NotJson,
    /// JSON without a `schema` string.
    #[error(
        "this JSON is not an hls-swarm summary (it has no \"schema\"): pass a summary written by \
         --summary-json"
    )]
    NotASummary,
    /// A `hls-swarm.summary.v1` summary: it has no histograms to merge.
    #[error(
        "this is a hls-swarm.summary.v1 summary, which has no latency histograms to merge: \
         re-run that shard with this version of hls-swarm"
    )]
    V1,
    /// A schema this version does not know.
    #[error(
        "this summary has schema {0}, which this version of hls-swarm cannot read: merge it \
         with the hls-swarm that wrote it"
    )]
    UnknownSchema(String),
    /// Says it is v2, but is not.
    #[error(
        "this is not a valid hls-swarm.summary.v2 summary ({0}): pass the file hls-swarm wrote, \
         unedited"
    )]
    Invalid(#[source] serde_json::Error),
}

impl Report {
    /// The summary in `text`: the whole text when it is JSON (a `--summary-json` file), else its
    /// last non-empty line (a saved log, such as `kubectl logs` of a shard, that ends with the
    /// summary on one line, as [`Report::to_json_line`] writes it). Only schema
    /// `hls-swarm.summary.v2` is read.
    pub fn from_json(text: &str) -> Result<Report, SummaryReadError> {
        let value = match serde_json::from_str::<Value>(text) {
            Ok(value) => value,
            Err(_) => {
                let last = text.lines().rev().map(str::trim).find(|l| !l.is_empty());
                (last.and_then(|line| serde_json::from_str::<Value>(line).ok()))
                    .ok_or(SummaryReadError::NotJson)?
            }
        };
        match value.get("schema").and_then(Value::as_str) {
            None => Err(SummaryReadError::NotASummary),
            Some(SCHEMA_V1) => Err(SummaryReadError::V1),
            Some(SCHEMA) => serde_json::from_value(value).map_err(SummaryReadError::Invalid),
            Some(other) => Err(SummaryReadError::UnknownSchema(other.to_owned())),
        }
    }
}
