//! One shard of a swarm split across machines: which of the swarm's viewers it runs, and at
//! what share of the ramp rate.

use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (counting from 0, as Kubernetes' `JOB_COMPLETION_INDEX` does): the
/// viewers whose global ids `j` have `j mod count == index`. [`Shard::WHOLE`] is an unsharded run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u32,
    /// How many shards the swarm is split into (at least 1).
    pub count: u32,
}

/// Why a shard is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// Not `I/N`.
    #[error("{0:?} is not a shard: write I/N, shard I of N counting from 0 (0/3, 1/3, 2/3)")]
    Syntax(String),
    /// `N` is 0.
    #[error("a swarm cannot be split into 0 shards: N in I/N is at least 1")]
    NoShards,
    /// `I` is not below `N`.
    #[error("shard {index} of {count} does not exist: shards count from 0 to {last}", last = count - 1)]
    IndexTooLarge {
        /// The index given.
        index: u32,
        /// The shard count.
        count: u32,
    },
}

impl Shard {
    /// The whole swarm: shard 0 of 1.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        if index >= count {
            return Err(ShardError::IndexTooLarge { index, count });
        }
        Ok(Shard { index, count })
    }

    /// Whether the swarm is split at all.
    pub fn is_sharded(self) -> bool {
        self.count > 1
    }

    /// How many of a swarm of `total` viewers this shard runs.
    pub fn viewers(self, total: u32) -> u32 {
        total.saturating_sub(self.index).div_ceil(self.count)
    }

    /// The global id of this shard's `k`-th viewer.
    pub fn viewer_id(self, k: u32) -> u32 {
        self.index + k * self.count
    }

    /// This shard's share of a whole swarm's ramp rate (viewers per second).
    pub fn ramp_rate(self, total_rate: f64) -> f64 {
        total_rate / f64::from(self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(s.to_owned());
        let (index, count) = s.trim().split_once('/').ok_or_else(syntax)?;
        let index = index.trim().parse().map_err(|_| syntax())?;
        let count = count.trim().parse().map_err(|_| syntax())?;
        Shard::new(index, count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_ids_without_overlap_or_gap() {
        for total in [1, 2, 7, 100] {
            for count in 1..=total.min(8) {
                let mut ids: Vec<u32> = (0..count)
                    .flat_map(|index| {
                        let shard = Shard::new(index, count).unwrap();
                        (0..shard.viewers(total)).map(move |k| shard.viewer_id(k))
                    })
                    .collect();
                ids.sort_unstable();
                assert_eq!(ids, (0..total).collect::<Vec<_>>(), "{total} over {count}");
            }
        }
        let shard: Shard = "2/3".parse().unwrap();
        assert_eq!(
            (shard.viewers(10), shard.viewer_id(0), shard.viewer_id(2)),
            (3, 2, 8)
        );
        assert_eq!(shard.ramp_rate(9.0), 3.0);
        assert_eq!(shard.to_string(), "2/3");
        assert!(!Shard::WHOLE.is_sharded() && shard.is_sharded());
    }

    #[test]
    fn a_bad_shard_says_what_to_write() {
        assert_eq!(
            "3/3".parse::<Shard>(),
            Err(ShardError::IndexTooLarge { index: 3, count: 3 })
        );
        assert_eq!("0/0".parse::<Shard>(), Err(ShardError::NoShards));
        let err = "two".parse::<Shard>().unwrap_err();
        assert!(err.to_string().contains("write I/N"), "{err}");
        assert_eq!(
            "3/3".parse::<Shard>().unwrap_err().to_string(),
            "shard 3 of 3 does not exist: shards count from 0 to 2"
        );
    }
}
