//! A run split across machines: which shard this process is, the run's id, and the wait for
//! the common start time.

use std::time::{Duration, SystemTime};

use hls_swarm_supervise::Shard;

use crate::cli::DistributedArgs;
use crate::exit::{Exit, Failure};
use crate::log::Log;

/// The environment variable a Kubernetes Indexed Job sets to each pod's completion index.
pub const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";

/// What this process runs of the whole swarm, and under which run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    /// This process's shard ([`Shard::WHOLE`] when not split).
    pub shard: Shard,
    /// The run's id: given, derived from the start time and the URL, or none.
    pub run_id: Option<String>,
    /// When every shard starts.
    pub start_at: Option<SystemTime>,
    /// How late past `start_at` a shard may still join.
    pub start_tolerance: Duration,
}

impl RunPlan {
    /// The whole swarm on this machine, with no run id or start time.
    pub fn unsharded() -> RunPlan {
        RunPlan {
            shard: Shard::WHOLE,
            run_id: None,
            start_at: None,
            start_tolerance: Duration::ZERO,
        }
    }

    /// The plan from the flags (and `JOB_COMPLETION_INDEX` with `--shards`); refuses, in one
    /// sentence each, what would make the shards of one run disagree or collide.
    pub fn from_args(
        args: &DistributedArgs,
        url: &str,
        viewers: u32,
        job_index: Option<&str>,
    ) -> Result<RunPlan, Failure> {
        let shard = match (args.shard, args.shards) {
            (Some(shard), _) => shard,
            (None, Some(count)) => {
                let index = job_index.ok_or_else(|| {
                    Failure::new(
                        Exit::Config,
                        format!("--shards {count} reads this shard's index from {JOB_COMPLETION_INDEX}, which is not set: run it in a Kubernetes Indexed Job, or pass --shard I/{count}"),
                    )
                })?;
                let index: u32 = index.trim().parse().map_err(|_| {
                    Failure::new(
                        Exit::Config,
                        format!("{JOB_COMPLETION_INDEX}={index:?} is not a shard index: it should be a number from 0 to {}", count - 1),
                    )
                })?;
                Shard::new(index, count).map_err(|e| Failure::from_error(Exit::Config, e))?
            }
            (None, None) => Shard::WHOLE,
        };
        if shard.count > viewers {
            return Err(Failure::new(
                Exit::Config,
                format!(
                    "{} shards for {viewers} viewers would leave shards with no viewer: use at most {viewers} shards or more --clients",
                    shard.count
                ),
            ));
        }
        let run_id = match (&args.run_id, args.start_at) {
            (Some(id), _) if id.trim().is_empty() => {
                return Err(Failure::new(
                    Exit::Config,
                    "--run-id is empty: give every shard of the run the same non-empty id",
                ));
            }
            (Some(id), _) => Some(id.trim().to_owned()),
            (None, Some(start)) => Some(derived_run_id(start, url)),
            (None, None) if shard.is_sharded() => {
                return Err(Failure::new(
                    Exit::Config,
                    format!(
                        "shard {shard} needs a run id shared by every shard: pass --run-id ID, or --start-at TIME to derive one"
                    ),
                ));
            }
            (None, None) => None,
        };
        Ok(RunPlan {
            shard,
            run_id,
            start_at: args.start_at,
            start_tolerance: args.start_tolerance,
        })
    }

    /// Waits until `start_at`, saying so; returns how late this shard is (`None` without a start
    /// time). A shard later than the tolerance is refused: it would join a test under way.
    pub async fn wait_for_start(&self, log: &Log) -> Result<Option<Duration>, Failure> {
        let Some(start) = self.start_at else {
            return Ok(None);
        };
        match start.duration_since(SystemTime::now()) {
            Ok(ahead) => {
                log.info(
                    "waiting_for_start",
                    &[
                        (
                            "start_at",
                            humantime::format_rfc3339_millis(start).to_string(),
                        ),
                        (
                            "in",
                            humantime::format_duration(round_ms(ahead)).to_string(),
                        ),
                    ],
                );
                // The sleep runs on the monotonic clock and `start` is wall-clock time: when NTP
                // slews the wall clock the sleep can end a little early, so sleep again until the
                // wall clock has passed `start` (a shard must never start before it).
                let mut remaining = ahead;
                while !remaining.is_zero() {
                    tokio::time::sleep(remaining).await;
                    remaining = start
                        .duration_since(SystemTime::now())
                        .unwrap_or(Duration::ZERO);
                }
                Ok(Some(lateness(start)))
            }
            Err(past) => {
                let late = past.duration();
                if late > self.start_tolerance {
                    return Err(Failure::new(
                        Exit::Config,
                        format!(
                            "this shard came up {} after --start-at {}, more than --start-tolerance {}: it would join a test already under way; start a new run with a later --start-at",
                            humantime::format_duration(round_ms(late)),
                            humantime::format_rfc3339(start),
                            humantime::format_duration(self.start_tolerance)
                        ),
                    ));
                }
                log.warn(
                    "late_start",
                    &[(
                        "late_by",
                        humantime::format_duration(round_ms(late)).to_string(),
                    )],
                );
                Ok(Some(late))
            }
        }
    }

    /// The Prometheus labels every series gets: `run_id` and `shard`, when there is a run id.
    pub fn metric_labels(&self) -> Vec<(String, String)> {
        match &self.run_id {
            Some(id) => vec![
                ("run_id".to_owned(), id.clone()),
                ("shard".to_owned(), self.shard.index.to_string()),
            ],
            None => Vec::new(),
        }
    }
}

/// How far past `start` it is now (0 if not yet).
fn lateness(start: SystemTime) -> Duration {
    SystemTime::now().duration_since(start).unwrap_or_default()
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis().try_into().unwrap_or(u64::MAX))
}

/// A run id every shard derives alike: the start time in Unix seconds and a hash of the URL.
pub fn derived_run_id(start: SystemTime, url: &str) -> String {
    let secs = start
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    format!("{secs}-{:08x}", fnv1a(url.as_bytes()) as u32)
}

/// FNV-1a, 64-bit: a hash that is the same in every build (std's is not promised to be).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn plan(argv: &[&str], job_index: Option<&str>) -> Result<RunPlan, Failure> {
        let mut full = vec!["hls-swarm", "run", "http://h/x.m3u8", "--clients", "6"];
        full.extend_from_slice(argv);
        let Command::Run(run) = Cli::try_parse_from(full).expect("parses").command else {
            unreachable!()
        };
        RunPlan::from_args(
            &run.distributed,
            "http://h/x.m3u8",
            run.swarm.viewers,
            job_index,
        )
    }

    #[test]
    fn the_shard_comes_from_the_flag_or_the_job_index() {
        let p = plan(&["--shard", "1/3", "--run-id", "r1"], None).unwrap();
        assert_eq!(
            (p.shard, p.run_id.as_deref()),
            (Shard { index: 1, count: 3 }, Some("r1"))
        );
        let p = plan(&["--shards", "3", "--run-id", "r1"], Some("2")).unwrap();
        assert_eq!(p.shard, Shard { index: 2, count: 3 });
        assert_eq!(
            p.metric_labels(),
            [
                ("run_id".to_owned(), "r1".to_owned()),
                ("shard".to_owned(), "2".to_owned())
            ]
        );
        let p = plan(&[], Some("2")).unwrap();
        assert_eq!(
            (p.shard, p.run_id.clone(), p.metric_labels()),
            (Shard::WHOLE, None, vec![])
        );
    }

    #[test]
    fn every_shard_derives_the_same_run_id_from_the_start_and_the_url() {
        let a = plan(
            &["--shard", "0/2", "--start-at", "2026-12-02T17:30:00Z"],
            None,
        )
        .unwrap();
        let b = plan(&["--shard", "1/2", "--start-at", "1796232600"], None).unwrap();
        assert_eq!(a.start_at, b.start_at);
        assert_eq!(a.run_id, b.run_id);
        assert!(
            a.run_id.as_deref().unwrap().starts_with("1796232600-"),
            "{:?}",
            a.run_id
        );
        assert_ne!(
            derived_run_id(a.start_at.unwrap(), "http://h/x.m3u8"),
            derived_run_id(a.start_at.unwrap(), "http://h/y.m3u8")
        );
    }

    #[test]
    fn a_run_that_would_collide_or_disagree_is_refused_in_one_sentence() {
        for (argv, job, says) in [
            (&["--shard", "0/2"][..], None, "needs a run id"),
            (
                &["--shards", "2", "--run-id", "r"][..],
                None,
                "JOB_COMPLETION_INDEX",
            ),
            (
                &["--shards", "2", "--run-id", "r"][..],
                Some("x"),
                "is not a shard index",
            ),
            (
                &["--shards", "2", "--run-id", "r"][..],
                Some("2"),
                "does not exist",
            ),
            (&["--shard", "0/7", "--run-id", "r"][..], None, "no viewer"),
            (&["--run-id", " "][..], None, "empty"),
        ] {
            let err = plan(argv, job).unwrap_err();
            assert_eq!(err.exit, Exit::Config, "{argv:?}");
            let text = crate::exit::describe(&err);
            assert!(text.contains(says), "{argv:?}: {text}");
            assert!(!text.contains('\n'), "{text}");
        }
        let err =
            Cli::try_parse_from(["hls-swarm", "run", "u", "--start-at", "tomorrow"]).unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }

    #[tokio::test]
    async fn a_late_shard_starts_at_once_within_the_tolerance_and_is_refused_past_it() {
        let log = Log::new(crate::cli::LogFormat::Text, false);
        let mut p = plan(&[], None).unwrap();
        assert_eq!(p.wait_for_start(&log).await.unwrap(), None);
        p.start_at = Some(SystemTime::now() - Duration::from_secs(2));
        let late = p.wait_for_start(&log).await.unwrap().unwrap();
        assert!(
            late >= Duration::from_secs(2) && late < Duration::from_secs(5),
            "{late:?}"
        );
        p.start_at = Some(SystemTime::now() - Duration::from_secs(60));
        let err = p.wait_for_start(&log).await.unwrap_err();
        assert!(err.message.contains("already under way"), "{}", err.message);
        let start = SystemTime::now() + Duration::from_millis(300);
        p.start_at = Some(start);
        let late = p.wait_for_start(&log).await.unwrap().unwrap();
        assert!(SystemTime::now() >= start);
        assert!(late < Duration::from_millis(200), "{late:?}");
    }

    /// The wait sleeps on the monotonic clock towards a wall-clock time; however the two drift,
    /// it never returns before that time. (CI once saw a shard start 69 µs early after a wait of
    /// seconds: the wall clock was slewed; this test cannot slew it, so it guards the loop only.)
    #[tokio::test]
    async fn the_wait_never_ends_before_the_start_time() {
        let log = Log::new(crate::cli::LogFormat::Text, false);
        let mut p = plan(&[], None).unwrap();
        for i in 0..40u64 {
            // Offsets with sub-millisecond parts, which the timer's millisecond ticks round.
            let start = SystemTime::now() + Duration::from_micros(2_000 + i * 137);
            p.start_at = Some(start);
            p.wait_for_start(&log).await.unwrap();
            let now = SystemTime::now();
            assert!(
                now >= start,
                "woke {:?} early",
                start.duration_since(now).unwrap()
            );
        }
    }
}
