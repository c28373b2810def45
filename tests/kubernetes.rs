//! The Kubernetes manifests: deploy/kubernetes/ is what `hls-swarm kubernetes` prints, every
//! built-in object validates strictly against the Kubernetes schema (kubernetes-validate), the
//! PodMonitor against the Prometheus Operator's models, and the objects fit each other and
//! hls-swarm (shard count, run id, labels, ports, grace).
//!
//! The validators are PyPI packages that `cargo xtask deps` installs into a venv under the
//! cache; these tests fail, saying so, when they are missing.

mod common;
#[path = "kubernetes/contract.rs"]
mod contract;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use contract::{contract_violations, kind};
use serde_json::Value;

/// The arguments deploy/kubernetes/hls-swarm.yaml was made with (its header says so too).
const EXAMPLE: &[&str] = &[
    "kubernetes",
    "http://origin.example:8080/live/master.m3u8",
    "--clients",
    "300",
    "--shards",
    "3",
    "--start-at",
    "2099-01-01T00:00:00Z",
    "--ramp-rate",
    "10",
    "--duration",
    "10m",
];

/// The checked-in manifests, relative to the project root.
const CHECKED_IN: &str = "deploy/kubernetes/hls-swarm.yaml";

/// Kubernetes versions to validate against: the oldest whose Jobs take `backoffLimitPerIndex`
/// by default (beta in 1.29, GA in 1.33), and the newest the pinned kubernetes-validate knows.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.29.0", "1.37.0"];

/// Other outputs of the command: one shard; names YAML 1.1 would read as a number and a
/// boolean; a query string with a quote; many shards, a fractional rate, no PodMonitor.
fn cases() -> Vec<Vec<&'static str>> {
    vec![
        EXAMPLE.to_vec(),
        vec![
            "kubernetes",
            "https://cdn.example/live/index.m3u8?token=a'b&x=1",
            "--clients",
            "1",
            "--shards",
            "1",
            "--start-in",
            "10m",
            "--namespace",
            "123",
            "--name",
            "yes",
            "--image",
            "registry.example:5000/team/hls-swarm@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ],
        vec![
            "kubernetes",
            "http://edge-7.cdn.test/v/master.m3u8",
            "--clients",
            "10000",
            "--shards",
            "7",
            "--start-at",
            "4102444800",
            "--ramp-rate",
            "2.5",
            "--duration",
            "1h30m",
            "--namespace",
            "load",
            "--no-pod-monitor",
        ],
    ]
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `hls-swarm ARGS…`'s stdout, which must succeed.
fn render(args: &[&str]) -> String {
    let out = run_to_end(args, Duration::from_secs(30));
    assert!(
        out.status.success(),
        "hls-swarm {args:?} failed: {}",
        stderr(&out)
    );
    stdout(&out)
}

/// The documents of a manifest stream, as text (the comment header before the first `---` is
/// not a document).
fn documents(yaml: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in yaml.lines() {
        if line == "---" {
            docs.push(String::new());
        } else {
            let doc = docs.last_mut().expect("one document");
            doc.push_str(line);
            doc.push('\n');
        }
    }
    docs.into_iter()
        .filter(|d| d.lines().any(|l| l.starts_with("kind:")))
        .collect()
}

/// Every object of a manifest stream, parsed.
fn objects(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(yaml).expect("the manifests are YAML")
}

/// A tool in the venv `cargo xtask deps` makes, or a failure saying how to get it.
fn venv_tool(name: &str) -> PathBuf {
    let xdg = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let cache = xdg
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .expect("HOME is set");
    let tool = cache.join("hls-swarm/venv/bin").join(name);
    assert!(
        tool.exists(),
        "{} is missing: run `cargo xtask deps`, which installs kubernetes-validate and the \
         Prometheus Operator models from PyPI into that venv",
        tool.display()
    );
    tool
}

/// Writes each document of the manifests of every case and of the checked-in file to its own
/// file in `dir`: built-in objects and PodMonitors apart.
fn split_into_files(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut streams: Vec<String> = cases().iter().map(|args| render(args)).collect();
    streams.push(std::fs::read_to_string(root().join(CHECKED_IN)).expect("checked-in file"));
    let (mut builtin, mut monitors) = (Vec::new(), Vec::new());
    for (i, stream) in streams.iter().enumerate() {
        for (j, doc) in documents(stream).iter().enumerate() {
            let path = dir.join(format!("case{i}-doc{j}.yaml"));
            std::fs::write(&path, doc).expect("write a document");
            if doc.contains("\nkind: PodMonitor\n") {
                monitors.push(path);
            } else {
                builtin.push(path);
            }
        }
    }
    (builtin, monitors)
}

/// Runs kubernetes-validate --strict on `files` for `version`: (success, output).
fn kubernetes_validate(version: &str, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new(venv_tool("kubernetes-validate"))
        .args(["--strict", "--kubernetes-version", version])
        .args(files)
        .output()
        .expect("run kubernetes-validate");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    (out.status.success(), text)
}

#[test]
fn deploy_kubernetes_is_what_the_command_prints() {
    let checked_in = std::fs::read_to_string(root().join(CHECKED_IN)).expect("checked-in file");
    let printed = render(EXAMPLE);
    assert!(
        checked_in == printed,
        "{CHECKED_IN} and `hls-swarm {}` have drifted apart: regenerate it with \
         `cargo run -- {} > {CHECKED_IN}`",
        EXAMPLE.join(" "),
        EXAMPLE.join(" ")
    );
    // Its header names the command that makes it again.
    assert!(printed.contains(&format!("#   hls-swarm {}", EXAMPLE.join(" "))));
}

#[test]
fn every_builtin_object_validates_strictly_against_the_kubernetes_schema() {
    let dir = Scratch::new("k8s-validate");
    let (builtin, _) = split_into_files(&dir);
    // A ConfigMap and a Job in each of the four.
    assert_eq!(builtin.len(), 8, "{builtin:?}");
    for version in KUBERNETES_VERSIONS {
        let (ok, output) = kubernetes_validate(version, &builtin);
        assert!(ok, "kubernetes-validate {version} refused:\n{output}");
        let passed = output.matches(" passed for resource ").count();
        assert_eq!(
            passed,
            builtin.len(),
            "every object must have been checked against a schema ({version}):\n{output}"
        );
    }
}

#[test]
fn the_validator_refuses_what_the_api_server_would() {
    // It must be able to fail: a misspelled field, and an unquoted name YAML 1.1 reads as a
    // boolean (which is why every string in the manifests is quoted).
    let dir = Scratch::new("k8s-validate-bad");
    let printed = render(EXAMPLE);
    let job = documents(&printed)
        .into_iter()
        .find(|d| d.contains("\nkind: Job\n"))
        .expect("a Job");
    let misspelled = job.replace("backoffLimitPerIndex:", "backoffLimitPerIndx:");
    let unquoted = job.replace("namespace: \"default\"", "namespace: yes");
    for (name, doc) in [("misspelled", misspelled), ("unquoted", unquoted)] {
        assert_ne!(doc, job, "the {name} mutation changed nothing");
        let path = dir.join(format!("{name}.yaml"));
        std::fs::write(&path, doc).expect("write");
        let (ok, output) = kubernetes_validate(KUBERNETES_VERSIONS[1], &[path]);
        assert!(
            !ok,
            "kubernetes-validate accepted the {name} Job:\n{output}"
        );
    }
}

/// Validates each `good:` file as a PodMonitor of the Prometheus Operator and expects each
/// `bad:` file to be refused. Unknown fields count as refused: the model keeps only the fields
/// the CRD defines, so a document that does not survive the round trip had one.
const POD_MONITOR_CHECK: &str = r#"
import sys, yaml
from cloudcoil.models.prometheus_operator.v1 import PodMonitor
unmet = []
for arg in sys.argv[1:]:
    expect, path = arg.split(":", 1)
    obj = yaml.safe_load(open(path))
    try:
        model = PodMonitor.model_validate(obj)
        back = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
        problem = None if back == obj else "fields the CRD does not define (round trip: %r)" % back
    except Exception as e:
        problem = str(e)
    print(expect, path, " ".join((problem or "valid").split()))
    if (expect == "good") != (problem is None):
        unmet.append(path)
sys.exit(1 if unmet else 0)
"#;

#[test]
fn the_pod_monitor_validates_against_the_prometheus_operator_crd() {
    let dir = Scratch::new("k8s-podmonitor");
    let (_, monitors) = split_into_files(&dir);
    // One in each but the --no-pod-monitor case.
    assert_eq!(monitors.len(), 3, "{monitors:?}");
    let good = std::fs::read_to_string(&monitors[0]).expect("read");
    let mut args: Vec<String> = monitors
        .iter()
        .map(|p| format!("good:{}", p.display()))
        .collect();
    for (name, bad) in [
        (
            "typo",
            good.replace("podMetricsEndpoints:", "podMetricEndpoints:"),
        ),
        (
            "interval",
            good.replace("interval: 5s", "interval: 5 seconds"),
        ),
        ("selector", good.replace("matchLabels:", "matchLabel:")),
    ] {
        assert_ne!(bad, good, "the {name} mutation changed nothing");
        let path = dir.join(format!("bad-{name}.yaml"));
        std::fs::write(&path, bad).expect("write");
        args.push(format!("bad:{}", path.display()));
    }
    let script = dir.join("check_pod_monitor.py");
    std::fs::write(&script, POD_MONITOR_CHECK).expect("write script");
    let out = Command::new(venv_tool("python"))
        .arg(&script)
        .args(&args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "PodMonitor check:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stdout(&out).lines().count(), args.len(), "{}", stdout(&out));
}

#[test]
fn the_objects_fit_each_other_and_hls_swarm() {
    for args in cases() {
        let flag = |f: &str| args.iter().position(|a| *a == f).map(|i| args[i + 1]);
        let viewers: u64 = flag("--clients").unwrap().parse().unwrap();
        let shards: u64 = flag("--shards").unwrap().parse().unwrap();
        let objs = objects(&render(&args));
        let kinds: Vec<&str> = objs.iter().map(kind).collect();
        let monitor = !args.contains(&"--no-pod-monitor");
        let expected: &[&str] = if monitor {
            &["ConfigMap", "Job", "PodMonitor"]
        } else {
            &["ConfigMap", "Job"]
        };
        assert_eq!(kinds, expected, "{args:?}");
        let bad = contract_violations(&objs, args[1], viewers, shards);
        assert!(bad.is_empty(), "{args:?}: broken: {bad:?}");
    }
}

#[test]
fn the_contract_check_can_fail() {
    let objs = objects(&render(EXAMPLE));
    let mutate = |path: &[&str], value: Value| {
        let mut objs = objs.clone();
        let kind_wanted = path[0];
        let obj = objs.iter_mut().find(|o| kind(o) == kind_wanted).unwrap();
        let mut at = obj;
        for key in &path[1..path.len() - 1] {
            at = match key.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*key],
            };
        }
        at[path[path.len() - 1]] = value;
        contract_violations(&objs, EXAMPLE[1], 300, 3)
    };
    let containers = ["Job", "spec", "template", "spec", "containers", "0"];
    for (path, value, rule) in [
        (
            vec!["Job", "spec", "parallelism"],
            Value::from(2),
            "completions = parallelism",
        ),
        (
            [&containers[..], &["env", "0", "value"]].concat(),
            Value::from("2"),
            "HLS_SWARM_SHARDS",
        ),
        (
            [
                &containers[..],
                &["env", "1", "valueFrom", "fieldRef", "fieldPath"],
            ]
            .concat(),
            Value::from("metadata.uid"),
            "HLS_SWARM_RUN_ID",
        ),
        (
            vec!["ConfigMap", "data", "JOB_COMPLETION_INDEX"],
            Value::from("0"),
            "JOB_COMPLETION_INDEX left out",
        ),
        (
            vec!["PodMonitor", "spec", "podMetricsEndpoints", "0", "port"],
            Value::from("metric"),
            "metrics port by name",
        ),
        (
            vec![
                "PodMonitor",
                "spec",
                "selector",
                "matchLabels",
                "app.kubernetes.io/component",
            ],
            Value::from("worker"),
            "selects the Job's pods",
        ),
        (
            vec![
                "Job",
                "spec",
                "template",
                "spec",
                "terminationGracePeriodSeconds",
            ],
            Value::from(5),
            "above the stop grace",
        ),
    ] {
        let bad = mutate(&path, value);
        assert!(
            bad.iter().any(|b| b.contains(rule)),
            "changing {path:?} broke no rule about {rule:?}: {bad:?}"
        );
    }
}

#[test]
fn every_variable_the_pods_get_is_a_run_flag() {
    // A misspelt HLS_SWARM_ name would be ignored by `run` without a word: each one the pods
    // get must be one that `hls-swarm run --help` lists.
    let help = render(&["run", "--help"]);
    let objs = objects(&render(EXAMPLE));
    let cm = objs.iter().find(|o| kind(o) == "ConfigMap").unwrap();
    let job = objs.iter().find(|o| kind(o) == "Job").unwrap();
    let mut names: Vec<String> = cm["data"].as_object().unwrap().keys().cloned().collect();
    names.extend(
        job["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned()),
    );
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| !help.contains(&format!("{n}=")))
        .collect();
    assert!(
        unknown.is_empty(),
        "not read by `hls-swarm run`: {unknown:?}"
    );
}

#[test]
fn user_errors_are_one_sentence_with_the_documented_exit_code() {
    let url = "http://origin.example/live/master.m3u8";
    for (extra, code, says) in [
        (&["--clients", "10", "--shards", "0"][..], 2, "--shards"),
        (
            &["--clients", "2", "--shards", "3"],
            3,
            "2 viewers cannot fill 3 shards",
        ),
        (
            &["--clients", "9", "--shards", "3", "--start-at", "soon"],
            2,
            "write RFC 3339",
        ),
        (
            &[
                "--clients",
                "9",
                "--shards",
                "3",
                "--start-at",
                "2001-01-01T00:00:00Z",
            ],
            3,
            "already past",
        ),
    ] {
        let mut args = vec!["kubernetes", url];
        args.extend(extra);
        let out = run_to_end(&args, Duration::from_secs(30));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(stdout(&out).is_empty(), "no manifests on a failure");
        if code == 3 {
            assert_eq!(err.lines().count(), 1, "one sentence: {err}");
            assert!(err.starts_with("hls-swarm: "), "{err}");
        }
    }
}

#[test]
fn the_pods_environment_is_a_valid_run() {
    // What a pod of shard 2 gets: the ConfigMap's variables, the Job's (the run id resolved as
    // the downward API would), and JOB_COMPLETION_INDEX from Kubernetes; then `hls-swarm run`.
    // --print-cmd stops it before it waits for the start time or reaches for the origin.
    let objs = objects(&render(EXAMPLE));
    let cm = objs.iter().find(|o| kind(o) == "ConfigMap").unwrap();
    let job = objs.iter().find(|o| kind(o) == "Job").unwrap();
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("JOB_COMPLETION_INDEX", "2");
    for (name, value) in cm["data"].as_object().unwrap() {
        cmd.env(name, value.as_str().expect("ConfigMap values are strings"));
    }
    for e in container["env"].as_array().unwrap() {
        // The one without a value is the run id, which the pod gets from the Job's uid.
        let value = e["value"]
            .as_str()
            .unwrap_or("0b5ec0de-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
        cmd.env(e["name"].as_str().unwrap(), value);
    }
    let argv: Vec<&str> = container["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(argv, ["hls-swarm", "run"]);
    let child = Guarded::spawn(
        cmd.args(&argv[1..])
            .arg("--print-cmd")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped()),
    );
    let out = child.wait_output(Duration::from_secs(30));
    assert!(
        out.status.success(),
        "the pod's environment is not a valid run: {}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("-i http://origin.example:8080/live/master.m3u8"),
        "{}",
        stdout(&out)
    );
}
