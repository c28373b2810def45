//! The refusals of a merge: summaries of one run only, each shard once, none missing.

use std::collections::BTreeMap;

use super::error::MergeError;
use crate::report::{Report, SCHEMA};
use crate::sections::run::ShardId;

/// Which shards a merge has: how many summaries it is, and which shards it went without.
#[derive(Debug)]
pub(crate) struct ShardPlan {
    pub(crate) shards: u32,
    pub(crate) missing: Vec<u32>,
}

/// Checks that `parts` are summaries of one run, each shard once, and that no shard is missing
/// (unless `allow_missing`). Summaries of no shard (runs without `--shard`) merge as parts of
/// one test when their URL and run id agree: nothing then tells a duplicate or a missing one.
pub(crate) fn check(parts: &[Report], allow_missing: bool) -> Result<ShardPlan, MergeError> {
    let first = parts.first().ok_or(MergeError::Empty)?;
    if let Some((part, r)) = parts.iter().enumerate().find(|(_, r)| r.schema != SCHEMA) {
        return Err(MergeError::Schema {
            part,
            schema: r.schema.clone(),
        });
    }
    if let Some((other, r)) = parts.iter().enumerate().find(|(_, r)| r.url != first.url) {
        return Err(MergeError::DifferentUrls {
            first: 0,
            other,
            first_url: first.url.clone(),
            other_url: r.url.clone(),
        });
    }
    if let Some((other, r)) = (parts.iter().enumerate()).find(|(_, r)| r.run_id != first.run_id) {
        return Err(MergeError::DifferentRuns {
            first: 0,
            other,
            first_id: first.run_id.clone(),
            other_id: r.run_id.clone(),
        });
    }
    let with_tap = parts.iter().position(|r| r.tap.is_some());
    let without_tap = parts.iter().position(|r| r.tap.is_none());
    if let (Some(with), Some(without)) = (with_tap, without_tap) {
        return Err(MergeError::MixedTap { with, without });
    }
    let sharded = parts.iter().position(|r| r.shard.is_some());
    let unsharded = parts.iter().position(|r| r.shard.is_none());
    match (sharded, unsharded) {
        (Some(sharded), Some(unsharded)) => Err(MergeError::MixedSharding {
            sharded,
            unsharded,
            shard: parts[sharded].shard.expect("found as sharded"),
        }),
        (Some(_), None) => {
            let shards: Vec<ShardId> = parts.iter().filter_map(|r| r.shard).collect();
            check_shards(&shards, allow_missing)
        }
        _ => Ok(ShardPlan {
            shards: parts.iter().map(|r| r.shards).sum(),
            missing: (parts.iter().flat_map(|r| r.missing_shards.iter().copied())).collect(),
        }),
    }
}

/// One count, every index below it, each once; the indexes no summary has are missing.
fn check_shards(shards: &[ShardId], allow_missing: bool) -> Result<ShardPlan, MergeError> {
    let count = shards[0].count;
    if let Some((other, s)) = shards.iter().enumerate().find(|(_, s)| s.count != count) {
        return Err(MergeError::ShardCounts {
            first: 0,
            other,
            first_count: count,
            other_count: s.count,
        });
    }
    let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
    for (part, shard) in shards.iter().enumerate() {
        if shard.index >= count {
            return Err(MergeError::InvalidShard {
                part,
                shard: *shard,
            });
        }
        if let Some(&first) = seen.get(&shard.index) {
            return Err(MergeError::DuplicateShard {
                first,
                other: part,
                shard: *shard,
            });
        }
        seen.insert(shard.index, part);
    }
    let missing: Vec<u32> = (0..count).filter(|i| !seen.contains_key(i)).collect();
    if !missing.is_empty() && !allow_missing {
        return Err(MergeError::MissingShards { missing, count });
    }
    Ok(ShardPlan {
        shards: shards.len() as u32,
        missing,
    })
}
