//! What `merge` refuses, one sentence each, and what `--allow-missing` lets through.

use super::feed;
use crate::{MergeError, Report, ShardId, merge};

fn shard(index: u32, count: u32) -> Report {
    // Viewer `index` of the run, as shard `index` of `count` runs it.
    feed::run(&[index], Some(ShardId { index, count }))
}

fn refused(parts: &[Report]) -> MergeError {
    merge(parts, false).expect_err("refused")
}

#[test]
fn an_empty_list_and_another_schema_are_refused() {
    assert_eq!(refused(&[]), MergeError::Empty);
    assert_eq!(
        MergeError::Empty.to_string(),
        "no summaries to merge: pass the summary of every shard of the run"
    );
    let mut old = shard(0, 1);
    old.schema = "hls-swarm.summary.v1".to_owned();
    let err = refused(&[old]);
    assert_eq!(
        err.describe(|i| format!("shard-{i}.json")),
        "shard-0.json is a hls-swarm.summary.v1 summary, which has no latency histograms to \
         merge: re-run that shard with this version of hls-swarm"
    );
}

#[test]
fn summaries_of_different_runs_or_streams_are_refused() {
    let (a, mut b) = (shard(0, 2), shard(1, 2));
    b.run_id = Some("run-43".to_owned());
    let err = refused(&[a.clone(), b]);
    assert!(
        matches!(
            err,
            MergeError::DifferentRuns {
                first: 0,
                other: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.describe(|i| ["a.json", "b.json"][i].to_owned()),
        "a.json and b.json are of different runs (run id run-42 and run id run-43): merge the \
         shards of one run only"
    );
    let mut c = shard(1, 2);
    c.url = "http://elsewhere/master.m3u8".to_owned();
    assert_eq!(
        refused(&[a.clone(), c]).to_string(),
        "summary 1 and summary 2 are of different streams (http://origin/master.m3u8 and \
         http://elsewhere/master.m3u8): merge the shards of one run only"
    );
    let mut unsharded = shard(1, 2);
    unsharded.shard = None;
    assert_eq!(
        refused(&[a, unsharded]).to_string(),
        "summary 1 is shard 0/2 but summary 2 is of no shard: merge the shards of one run only"
    );
}

#[test]
fn duplicate_shards_disagreeing_counts_and_impossible_indexes_are_refused() {
    let a = shard(0, 3);
    assert_eq!(
        refused(&[a.clone(), shard(1, 3), a.clone()]).to_string(),
        "summary 1 and summary 3 are both shard 0/3: pass each shard's summary once"
    );
    assert_eq!(
        refused(&[a.clone(), shard(1, 4)]).to_string(),
        "summary 1 and summary 2 disagree on the shard count (3 and 4): merge the shards of one \
         run only"
    );
    assert_eq!(
        refused(&[a, shard(3, 3)]).to_string(),
        "summary 2 says it is shard 3/3, which does not exist (shards count from 0): pass the \
         summaries hls-swarm run --shard wrote"
    );
}

#[test]
fn missing_shards_are_named_and_merged_around_only_when_allowed() {
    let parts = [shard(1, 4), shard(3, 4)];
    let err = refused(&parts);
    assert_eq!(
        err,
        MergeError::MissingShards {
            missing: vec![0, 2],
            count: 4
        }
    );
    assert_eq!(
        err.to_string(),
        "shards 0/4, 2/4 of the run are missing: pass their summaries too, or --allow-missing to \
         merge without them"
    );
    let merged = merge(&parts, true).expect("allowed");
    assert_eq!(
        (merged.shards, merged.missing_shards.clone()),
        (2, vec![0, 2])
    );
    assert_eq!(
        merged.requests.total,
        parts[0].requests.total + parts[1].requests.total
    );
    let json: serde_json::Value = serde_json::from_str(&merged.to_json()).unwrap();
    assert_eq!(json["missing_shards"], serde_json::json!([0, 2]));
    assert_eq!(json["shards"], 2);
}

#[test]
fn summaries_of_no_shard_merge_as_parts_of_one_test() {
    // Runs without --shard (replays, hand-started machines) of one URL and run id merge; their
    // times, when unknown, leave the merged times unknown and the duration the longest.
    let mut a = shard(0, 1);
    let mut b = shard(1, 1);
    for r in [&mut a, &mut b] {
        r.shard = None;
        r.started_at = None;
    }
    b.duration_s = 20.0;
    let merged = merge(&[a.clone(), b.clone()], false).unwrap();
    assert_eq!((merged.shards, merged.started_at), (2, None));
    assert!(merged.ended_at.is_some());
    assert_eq!(merged.duration_s, 20.0);
    assert_eq!(
        merged.requests.per_s,
        (a.requests.total + b.requests.total) as f64 / 20.0
    );
}
