//! [`MergeError`]: why summaries were not merged, one sentence each, naming the summaries.

use std::fmt;

use thiserror::Error;

use crate::sections::run::ShardId;

/// Why [`crate::merge`] refused. Positions (`first`, `other`, `part`) index the slice of
/// summaries given; [`MergeError::describe`] names them as the caller does (file names), and
/// `Display` as `summary 1`, `summary 2`, … .
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MergeError {
    /// Nothing to merge.
    Empty,
    /// A summary of another schema than [`crate::SCHEMA`].
    Schema {
        /// Which summary.
        part: usize,
        /// Its schema.
        schema: String,
    },
    /// Two summaries of different streams.
    DifferentUrls {
        /// The first summary.
        first: usize,
        /// The one that differs.
        other: usize,
        /// The first one's URL.
        first_url: String,
        /// The other one's.
        other_url: String,
    },
    /// Two summaries of different runs (their run ids differ).
    DifferentRuns {
        /// The first summary.
        first: usize,
        /// The one that differs.
        other: usize,
        /// The first one's run id.
        first_id: Option<String>,
        /// The other one's.
        other_id: Option<String>,
    },
    /// One summary was measured through the request tap, another was not: their requests,
    /// errors and bytes are counted differently.
    MixedTap {
        /// A summary with the tap.
        with: usize,
        /// A summary without.
        without: usize,
    },
    /// One summary is a shard, another is not.
    MixedSharding {
        /// A shard's summary.
        sharded: usize,
        /// A summary of no shard.
        unsharded: usize,
        /// The shard.
        shard: ShardId,
    },
    /// Two shards disagree on how many shards the run has.
    ShardCounts {
        /// The first summary.
        first: usize,
        /// The one that differs.
        other: usize,
        /// The first one's shard count.
        first_count: u32,
        /// The other one's.
        other_count: u32,
    },
    /// A shard index at or above its shard count.
    InvalidShard {
        /// Which summary.
        part: usize,
        /// What it says it is.
        shard: ShardId,
    },
    /// The same shard twice.
    DuplicateShard {
        /// The first summary of it.
        first: usize,
        /// The second.
        other: usize,
        /// The shard.
        shard: ShardId,
    },
    /// Shards of the run have no summary (merge with `allow_missing` to go without them).
    MissingShards {
        /// Their indexes, ascending.
        missing: Vec<u32>,
        /// How many shards the run has.
        count: u32,
    },
}

const ONE_RUN: &str = "merge the shards of one run only";

impl MergeError {
    /// The one sentence, with each summary called `name(position)` (for example its file name).
    pub fn describe(&self, name: impl Fn(usize) -> String) -> String {
        match self {
            MergeError::Empty => {
                "no summaries to merge: pass the summary of every shard of the run".to_owned()
            }
            MergeError::Schema { part, schema } if schema == crate::report::SCHEMA_V1 => format!(
                "{} is a {schema} summary, which has no latency histograms to merge: re-run that \
                 shard with this version of hls-swarm",
                name(*part)
            ),
            MergeError::Schema { part, schema } => format!(
                "{} has schema {schema}, not {}: merge summaries of this version of hls-swarm",
                name(*part),
                crate::SCHEMA
            ),
            MergeError::DifferentUrls {
                first,
                other,
                first_url,
                other_url,
            } => format!(
                "{} and {} are of different streams ({first_url} and {other_url}): {ONE_RUN}",
                name(*first),
                name(*other)
            ),
            MergeError::DifferentRuns {
                first,
                other,
                first_id,
                other_id,
            } => {
                let id = |id: &Option<String>| {
                    id.as_deref()
                        .map_or_else(|| "no run id".to_owned(), |id| format!("run id {id}"))
                };
                format!(
                    "{} and {} are of different runs ({} and {}): {ONE_RUN}",
                    name(*first),
                    name(*other),
                    id(first_id),
                    id(other_id)
                )
            }
            MergeError::MixedTap { with, without } => format!(
                "{} was measured through the request tap but {} was not (--tap off), so their \
                 requests and bytes are counted differently: {ONE_RUN}",
                name(*with),
                name(*without)
            ),
            MergeError::MixedSharding {
                sharded,
                unsharded,
                shard,
            } => format!(
                "{} is shard {shard} but {} is of no shard: {ONE_RUN}",
                name(*sharded),
                name(*unsharded)
            ),
            MergeError::ShardCounts {
                first,
                other,
                first_count,
                other_count,
            } => format!(
                "{} and {} disagree on the shard count ({first_count} and {other_count}): {ONE_RUN}",
                name(*first),
                name(*other)
            ),
            MergeError::InvalidShard { part, shard } => format!(
                "{} says it is shard {shard}, which does not exist (shards count from 0): pass \
                 the summaries hls-swarm run --shard wrote",
                name(*part)
            ),
            MergeError::DuplicateShard {
                first,
                other,
                shard,
            } => format!(
                "{} and {} are both shard {shard}: pass each shard's summary once",
                name(*first),
                name(*other)
            ),
            MergeError::MissingShards { missing, count } => {
                let list: Vec<String> = missing.iter().map(|i| format!("{i}/{count}")).collect();
                let (noun, verb, them, summaries) = if missing.len() == 1 {
                    ("shard", "is", "it", "its summary")
                } else {
                    ("shards", "are", "them", "their summaries")
                };
                format!(
                    "{noun} {} of the run {verb} missing: pass {summaries} too, or \
                     --allow-missing to merge without {them}",
                    list.join(", ")
                )
            }
        }
    }
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(|i| format!("summary {}", i + 1)))
    }
}
