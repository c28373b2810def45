//! Tests of `hls-swarm kubernetes`: sizing, the start time, and errors in one sentence.

use super::*;
use clap::Parser;

use crate::cli::{Cli, Command};

/// `--clients 10 --shards 2` and `extra`.
fn two_shards(extra: &[&str]) -> KubernetesArgs {
    let mut argv = vec!["--clients", "10", "--shards", "2"];
    argv.extend(extra);
    args(&argv)
}

fn args(extra: &[&str]) -> KubernetesArgs {
    let mut argv = vec![
        "hls-swarm",
        "kubernetes",
        "http://origin.test:8080/live/master.m3u8",
    ];
    argv.extend(extra);
    match Cli::try_parse_from(argv).expect("parses").command {
        Command::Kubernetes(args) => args,
        other => panic!("expected kubernetes, got {other:?}"),
    }
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2040-06-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn sizing_follows_the_measured_cost_per_viewer() {
    // 300 viewers over 3 pods: 100 each.
    let s = Sizing::for_run(300, 3, false);
    assert_eq!(s.viewers_per_pod, 100);
    assert_eq!(s.memory_mb, 2275); // (100 × 18 + 20) × 1.25
    assert_eq!(s.cpu_millis, 550); // 100 × 4.5m + 100m
    assert_eq!(s.cpu_limit_millis, 1100);
    // The fullest shard decides: 301 over 3 is 101, 101, 99.
    let s = Sizing::for_run(301, 3, false);
    assert_eq!(s.viewers_per_pod, 101);
    assert_eq!(s.memory_mb, 2298); // (101 × 18 + 20) × 1.25 = 2297.5 rounds up
    assert_eq!(s.cpu_millis, 455 + 100); // 101 × 4.5 = 454.5 rounds up
    // One viewer a pod still asks for hls-swarm's own share.
    let s = Sizing::for_run(1, 1, false);
    assert_eq!((s.memory_mb, s.cpu_millis), (48, 105));
    // Through the request tap (an http:// stream), each viewer adds the tap's share.
    let s = Sizing::for_run(300, 3, true);
    assert_eq!(s.memory_mb, 2400); // (100 × (18 + 1) + 20) × 1.25
    assert_eq!(s.cpu_millis, 610); // 100 × (2.25m + 0.3m) × 2 + 100m
}

#[test]
fn the_start_is_either_given_or_from_now() {
    let a = two_shards(&["--start-at", "2040-06-01T14:30:00+02:00"]);
    let p = plan(&a, now()).expect("valid");
    assert_eq!(rfc3339(p.start), "2040-06-01T12:30:00Z");
    assert_eq!(p.name, "hls-swarm-20400601-123000");
    let a = two_shards(&["--start-in", "90s"]);
    assert_eq!(
        rfc3339(plan(&a, now()).unwrap().start),
        "2040-06-01T12:01:30Z"
    );
    // A fraction of a second rounds up, so a short --start-in is never already past.
    let a = two_shards(&["--start-in", "500ms"]);
    let later = now() + TimeDelta::milliseconds(700);
    assert_eq!(
        rfc3339(plan(&a, later).unwrap().start),
        "2040-06-01T12:00:02Z"
    );
    let a = two_shards(&[]);
    assert_eq!(
        rfc3339(plan(&a, now()).unwrap().start),
        "2040-06-01T12:02:00Z"
    );
    let a = two_shards(&["--start-at", "2240000000"]);
    assert_eq!(
        rfc3339(plan(&a, now()).unwrap().start),
        "2040-12-24T22:13:20Z"
    );
}

#[test]
fn inconsistent_flags_are_one_sentence_and_exit_3() {
    let a = args(&["--clients", "2", "--shards", "3"]);
    let e = plan(&a, now()).unwrap_err();
    assert_eq!(e.exit, Exit::Config);
    assert_eq!(
        e.message,
        "2 viewers cannot fill 3 shards: pass at most --shards 2, or more --clients"
    );
    let a = args(&[
        "--clients",
        "2",
        "--shards",
        "1",
        "--start-at",
        "2040-06-01T11:59:59Z",
    ]);
    let e = plan(&a, now()).unwrap_err();
    assert_eq!(e.exit, Exit::Config);
    assert!(e.message.contains("is already past"), "{}", e.message);
    let mut a = args(&["--clients", "2", "--shards", "1"]);
    a.url = "ftp://origin/x.m3u8".to_owned();
    assert_eq!(plan(&a, now()).unwrap_err().exit, Exit::Config);
    a.url = "http://origin/x.m3u8\n# injected".to_owned();
    assert_eq!(plan(&a, now()).unwrap_err().exit, Exit::Config);
}

#[test]
fn bad_values_are_usage_errors() {
    for bad in [
        &["--clients", "10", "--shards", "0"][..],
        &["--clients", "0", "--shards", "1"],
        &["--clients", "10", "--shards", "2", "--start-at", "tomorrow"],
        &[
            "--clients",
            "10",
            "--shards",
            "2",
            "--start-at",
            "2040-06-01T12:00:00Z",
            "--start-in",
            "2m",
        ],
        &["--clients", "10", "--shards", "2", "--duration", "0"],
        &["--clients", "10", "--shards", "2", "--name", "Load_Test"],
        &["--clients", "10", "--shards", "2", "--namespace", "-x"],
        &["--clients", "10", "--shards", "2", "--image", "a b"],
    ] {
        let mut argv = vec!["hls-swarm", "kubernetes", "http://h/x.m3u8"];
        argv.extend(bad);
        let err = Cli::try_parse_from(&argv).expect_err("refused");
        assert_eq!(err.exit_code(), 2, "{bad:?}: {err}");
    }
}

#[test]
fn the_command_line_in_the_header_makes_the_same_manifests() {
    let a = args(&[
        "--clients",
        "7",
        "--shards",
        "3",
        "--start-in",
        "5m",
        "--duration",
        "1h30m",
        "--no-pod-monitor",
    ]);
    let p = plan(&a, now()).unwrap();
    let line = command_line(&p);
    assert!(line.contains("--duration '1h 30m'"), "{line}");
    // Parse the header's own command line back (unquoting the one quoted word) and render again.
    let words: Vec<String> = line
        .replace("'1h 30m'", "1h30m")
        .split(' ')
        .map(str::to_owned)
        .collect();
    let again = match Cli::try_parse_from(&words).unwrap().command {
        Command::Kubernetes(args) => args,
        other => panic!("{other:?}"),
    };
    assert_eq!(render(&plan(&again, now()).unwrap()), render(&p));
    assert!(!render(&p).contains("PodMonitor"));
}
