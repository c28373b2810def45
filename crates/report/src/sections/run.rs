//! Which run and shard a report is of and when it ran: the identity the binary hands over
//! ([`RunIdentity`]), its JSON form (RFC 3339 UTC times) and the header rows that show it.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// One shard of a sharded run: shard `index` of `count`, `index` counting from 0 (as a
/// Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` does). Shown as `index/count`, as
/// `--shard I/N` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ShardId {
    /// Which shard, from 0.
    pub index: u32,
    /// How many shards the run has.
    pub count: u32,
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What the binary knows about the run a report is of, handed to [`crate::Report::with_run`].
/// A report built without it (a replay, a test) says `null` for each of these: it cannot know
/// them, and makes none up.
#[derive(Debug, Clone, PartialEq)]
pub struct RunIdentity {
    /// The `--run-id` every shard of one run shares.
    pub run_id: Option<String>,
    /// Which shard this run was, when it was one (`--shard I/N`).
    pub shard: Option<ShardId>,
    /// When the run started (wall clock).
    pub started_at: SystemTime,
    /// When the run ended (wall clock), after its last viewer was reaped.
    pub ended_at: SystemTime,
    /// How long after `--start-at` the run started, when it was given one.
    pub start_late: Option<Duration>,
}

/// The JSON form of an optional wall-clock time: RFC 3339 UTC with milliseconds, or `null`.
pub(crate) mod rfc3339 {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    /// The last instant RFC 3339 can write (9999-12-31T23:59:59.999Z).
    fn latest() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(253_402_300_799_999)
    }

    /// The time as RFC 3339, kept between 1970 and 9999 (what the format can say).
    pub(crate) fn format(t: SystemTime) -> String {
        humantime::format_rfc3339_millis(t.clamp(UNIX_EPOCH, latest())).to_string()
    }

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format(*t)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        humantime::parse_rfc3339(&text).map(Some).map_err(|e| {
            serde::de::Error::custom(format!(
                "{text:?} is not an RFC 3339 UTC time like 2026-01-31T12:00:00.000Z ({e})"
            ))
        })
    }
}

/// The identity rows of the header: run id, shard or merge, start, lateness, end.
pub(crate) struct IdentityRows<'a> {
    pub(crate) run_id: Option<&'a str>,
    pub(crate) shard: Option<ShardId>,
    pub(crate) shards: u32,
    pub(crate) missing_shards: &'a [u32],
    pub(crate) started_at: Option<SystemTime>,
    pub(crate) ended_at: Option<SystemTime>,
    pub(crate) start_late_s: Option<f64>,
}

impl IdentityRows<'_> {
    /// What the title says after "hls-swarm summary": the merge it is, if it is one.
    pub(crate) fn title_suffix(&self) -> String {
        if self.shards <= 1 && self.missing_shards.is_empty() {
            return String::new();
        }
        let total = self.shards as usize + self.missing_shards.len();
        let noun = if total == 1 { "shard" } else { "shards" };
        if self.missing_shards.is_empty() {
            format!(": merge of {total} {noun}")
        } else {
            let missing: Vec<String> = (self.missing_shards.iter())
                .map(|i| format!("{i}/{total}"))
                .collect();
            format!(
                ": merge of {} of {total} {noun} (missing: {})",
                self.shards,
                missing.join(", ")
            )
        }
    }

    /// The rows, each only when known.
    pub(crate) fn render(&self, text: &mut Text) {
        if let Some(id) = self.run_id {
            text.row("run id", id);
        }
        if let Some(shard) = self.shard {
            text.row("shard", &format!("{shard} (shards count from 0)"));
        }
        if let Some(t) = self.started_at {
            text.row("started", &rfc3339::format(t));
        }
        if let Some(late) = self.start_late_s {
            text.row("started late", &format!("{late:.1} s after --start-at"));
        }
        if let Some(t) = self.ended_at {
            text.row("ended", &rfc3339::format(t));
        }
    }
}
