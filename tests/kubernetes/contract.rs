//! What the objects of one run must agree on, among themselves and with hls-swarm.

use serde_json::Value;

/// The fieldPath that gives each pod its Job's uid (the Job controller labels its pods with it).
const JOB_UID_FIELD: &str = "metadata.labels['batch.kubernetes.io/controller-uid']";

/// An object's kind.
pub fn kind(obj: &Value) -> &str {
    obj["kind"].as_str().unwrap_or_default()
}

/// What a run's objects must agree on; each broken rule is one line.
pub fn contract_violations(objs: &[Value], url: &str, viewers: u64, shards: u64) -> Vec<String> {
    let mut bad = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            bad.push(what);
        }
    };
    let find = |k: &str| objs.iter().find(|o| kind(o) == k);
    let (Some(cm), Some(job)) = (find("ConfigMap"), find("Job")) else {
        return vec!["a ConfigMap and a Job".to_owned()];
    };
    let data = &cm["data"];
    let spec = &job["spec"];
    let pod = &spec["template"];
    let container = &pod["spec"]["containers"][0];
    let env_value = |name: &str| {
        container["env"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["name"] == name)
            .cloned()
    };
    for o in objs {
        check(
            o["metadata"]["namespace"] == cm["metadata"]["namespace"],
            format!("{} in the ConfigMap's namespace", kind(o)),
        );
    }
    check(
        container["envFrom"][0]["configMapRef"]["name"] == cm["metadata"]["name"],
        "envFrom names the ConfigMap".into(),
    );
    check(spec["completionMode"] == "Indexed", "an Indexed Job".into());
    check(
        spec["completions"] == shards && spec["parallelism"] == shards,
        format!("completions = parallelism = {shards}"),
    );
    check(
        spec["backoffLimitPerIndex"] == 0,
        "backoffLimitPerIndex 0".into(),
    );
    check(
        spec["maxFailedIndexes"]
            .as_u64()
            .is_some_and(|m| m <= shards),
        "maxFailedIndexes at most the shards".into(),
    );
    check(
        spec["ttlSecondsAfterFinished"]
            .as_u64()
            .is_some_and(|t| t >= 3600),
        "ttlSecondsAfterFinished long enough to collect the logs".into(),
    );
    check(
        pod["spec"]["restartPolicy"] == "Never",
        "restartPolicy Never".into(),
    );
    check(
        env_value("HLS_SWARM_SHARDS")
            .is_some_and(|e| e["value"].as_str() == Some(&*spec["completions"].to_string())),
        "HLS_SWARM_SHARDS equal to completions".into(),
    );
    check(
        env_value("HLS_SWARM_RUN_ID")
            .is_some_and(|e| e["valueFrom"]["fieldRef"]["fieldPath"] == JOB_UID_FIELD),
        "HLS_SWARM_RUN_ID from the Job's uid".into(),
    );
    // The index is the pod's own (Kubernetes sets JOB_COMPLETION_INDEX), the run id the Job's.
    for left in [
        "JOB_COMPLETION_INDEX",
        "HLS_SWARM_SHARD",
        "HLS_SWARM_RUN_ID",
    ] {
        check(
            data.get(left).is_none(),
            format!("{left} left out of the ConfigMap"),
        );
    }
    for left in ["JOB_COMPLETION_INDEX", "HLS_SWARM_SHARD"] {
        check(
            env_value(left).is_none(),
            format!("{left} left to Kubernetes"),
        );
    }
    check(data["HLS_SWARM_URL"] == url, "the URL".into());
    check(
        data["HLS_SWARM_CLIENTS"].as_str() == Some(&*viewers.to_string()),
        "the whole run's viewers".into(),
    );
    check(
        data["HLS_SWARM_SUMMARY_JSON"] == "-",
        "the summary on stdout".into(),
    );
    check(
        data["HLS_SWARM_START_AT"].is_string(),
        "a start time".into(),
    );
    let grace = data["HLS_SWARM_STOP_GRACE"]
        .as_str()
        .and_then(|g| humantime::parse_duration(g).ok());
    check(
        grace.is_some_and(|g| {
            pod["spec"]["terminationGracePeriodSeconds"]
                .as_u64()
                .is_some_and(|t| t > g.as_secs())
        }),
        "terminationGracePeriodSeconds above the stop grace".into(),
    );
    let port = &container["ports"][0];
    check(
        data["HLS_SWARM_METRICS"] == format!("0.0.0.0:{}", port["containerPort"]),
        "metrics on all interfaces, on the container's port".into(),
    );
    let mb = |q: &Value| q.as_str()?.strip_suffix('M')?.parse::<u64>().ok();
    let per_pod = viewers.div_ceil(shards);
    let res = &container["resources"];
    check(
        mb(&res["requests"]["memory"]).is_some_and(|m| m >= per_pod * 18)
            && res["requests"]["memory"] == res["limits"]["memory"],
        format!("memory for {per_pod} viewers of 18 MB, request = limit"),
    );
    let pod_labels = &pod["metadata"]["labels"];
    check(
        pod_labels["app.kubernetes.io/instance"] == job["metadata"]["name"],
        "the pods labelled with their run".into(),
    );
    if let Some(pm) = find("PodMonitor") {
        let selected = pm["spec"]["selector"]["matchLabels"].as_object();
        check(
            selected.is_some_and(|m| !m.is_empty() && m.iter().all(|(k, v)| pod_labels[k] == *v)),
            "the PodMonitor selects the Job's pods".into(),
        );
        check(
            pm["spec"]["podMetricsEndpoints"][0]["port"] == port["name"],
            "the PodMonitor scrapes the container's metrics port by name".into(),
        );
    }
    bad
}
