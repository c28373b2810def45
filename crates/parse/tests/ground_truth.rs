//! The parser against ground truth: each client's access log (nginx's for the ffmpeg 5.1
//! captures, the built-in origin's for the ffmpeg 9.0 ones) says what it really fetched.

use std::collections::BTreeMap;

use hls_swarm_parse::{Event, RequestKind, classify_path, parse_line, split_log_lines};

struct Fixture {
    name: &'static str,
    stderr: &'static [u8],
    access_log: &'static str,
    /// Requests the fixture README says went unanswered because the origin was stopped.
    unanswered: usize,
}

const FIXTURES: [Fixture; 3] = [
    Fixture {
        name: "first-variant",
        stderr: include_bytes!("data/ffmpeg-5.1/first-variant.stderr"),
        access_log: include_str!("data/ffmpeg-5.1/first-variant.access.log"),
        unanswered: 1,
    },
    Fixture {
        name: "http-errors",
        stderr: include_bytes!("data/ffmpeg-5.1/http-errors.stderr"),
        access_log: include_str!("data/ffmpeg-5.1/http-errors.access.log"),
        // The origin was stopped while no request was in flight (no connect failure in stderr).
        unanswered: 0,
    },
    Fixture {
        name: "origin-restart",
        stderr: include_bytes!("data/ffmpeg-5.1/origin-restart.stderr"),
        access_log: include_str!("data/ffmpeg-5.1/origin-restart.access.log"),
        unanswered: 1,
    },
];

/// ffmpeg 9.0's captures (the static build PyPI's imageio-ffmpeg ships) against the built-in
/// origin, with the command line hls-swarm gives it (`datetime` stamps, `-seg_max_retry 3`).
const FIXTURES_9: [Fixture; 3] = [
    Fixture {
        name: "9.0 healthy",
        stderr: include_bytes!("data/ffmpeg-9.0/healthy.stderr"),
        access_log: include_str!("data/ffmpeg-9.0/healthy.access.log"),
        unanswered: 0,
    },
    Fixture {
        name: "9.0 http-errors",
        stderr: include_bytes!("data/ffmpeg-9.0/http-errors.stderr"),
        access_log: include_str!("data/ffmpeg-9.0/http-errors.access.log"),
        unanswered: 0,
    },
    Fixture {
        name: "9.0 origin-restart",
        stderr: include_bytes!("data/ffmpeg-9.0/origin-restart.stderr"),
        access_log: include_str!("data/ffmpeg-9.0/origin-restart.access.log"),
        // The playlist reload in flight when the origin was killed.
        unanswered: 1,
    },
];

/// Every capture, of both ffmpegs.
fn all_fixtures() -> impl Iterator<Item = &'static Fixture> {
    FIXTURES.iter().chain(&FIXTURES_9)
}

/// One line of the access log: `msec status body_bytes_sent bytes_sent "request_uri" "user_agent" request_time`.
struct Logged<'a> {
    status: u16,
    uri: &'a str,
}

fn access_log(log: &str) -> Vec<Logged<'_>> {
    log.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut quoted = l.split('"');
            let head = quoted.next().expect("fields before the uri");
            let uri = quoted.next().expect("quoted request_uri");
            let status = head
                .split_whitespace()
                .nth(1)
                .expect("status field")
                .parse()
                .expect("numeric status");
            Logged { status, uri }
        })
        .collect()
}

/// What the parsed stderr says the client sent and got.
#[derive(Default)]
struct Parsed {
    /// Paths of every `request: GET …`, in order.
    requests: Vec<String>,
    /// `(path, status)` of every `HTTP error`, the path being the last request on that `http` context.
    errors: Vec<(String, u16)>,
    /// Requests that never got a response (see `unanswered_requests`).
    unanswered: Vec<String>,
    connect_failures: usize,
    error_messages: Vec<String>,
}

fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("/", |slash| &after_scheme[slash..])
}

/// Parses a whole stderr capture, and finds the requests nobody answered.
///
/// A request is unanswered when ffmpeg sent it on a kept-alive connection, got no response at
/// all, and retried it on a new connection. In the log that is: `request: GET P` on an `http`
/// context, then, with no `HTTP error` and no other request-level event in between, a fresh
/// `Opening 'URL'` of the same path from the demuxer's own context (`hls`, not `http`: ffmpeg
/// only reopens from `hls` when the keep-alive request failed; hls.c warns "keepalive request
/// failed" only for errors other than EOF, and a dead origin gives EOF, so there is no warning).
/// nginx logs a request when it answers it, so these are exactly the requests missing from the
/// access log; the test also pins how many the fixture README says there were.
fn parse_stderr(stderr: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let mut last_path_by_http_context: BTreeMap<u64, String> = BTreeMap::new();
    // The last request-level event: `Some(path)` if it was a request still without any answer.
    let mut pending: Option<String> = None;
    for raw in split_log_lines(stderr) {
        let line = parse_line(raw);
        let Some(event) = line.event else { continue };
        let context = line.context.map_or("", |c| c.name);
        match event {
            Event::HttpRequest { path, .. } => {
                parsed.requests.push(path.to_owned());
                if let Some(ctx) = line.context {
                    last_path_by_http_context.insert(ctx.addr, path.to_owned());
                }
                pending = Some(path.to_owned());
            }
            Event::HttpError { status, .. } => {
                let ctx = line
                    .context
                    .expect("HTTP error lines carry their http context");
                let path = last_path_by_http_context
                    .get(&ctx.addr)
                    .expect("an error follows a request")
                    .clone();
                parsed.errors.push((path, status));
                pending = None;
            }
            Event::Opening { url, .. } => {
                if context != "http" && pending.as_deref() == Some(url_path(url)) {
                    parsed.unanswered.push(url_path(url).to_owned());
                }
                pending = None;
            }
            Event::HlsSegmentRequest { .. } => pending = None,
            Event::TcpConnectFailed { .. } => parsed.connect_failures += 1,
            Event::ErrorMessage { message, .. } => parsed.error_messages.push(message.to_owned()),
            _ => {}
        }
    }
    parsed
}

fn count_by_kind<'a>(paths: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for path in paths {
        *counts
            .entry(format!("{:?}", classify_path(path)))
            .or_insert(0) += 1;
    }
    counts
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn requests_by_kind_match_the_access_log() {
    for fixture in all_fixtures() {
        let parsed = parse_stderr(fixture.stderr);
        let logged = access_log(fixture.access_log);
        assert_eq!(
            parsed.unanswered.len(),
            fixture.unanswered,
            "{}: unanswered {:?}",
            fixture.name,
            parsed.unanswered
        );

        // Every request sent, less the unanswered ones, is exactly the set nginx logged.
        let mut answered = parsed.requests.clone();
        for path in &parsed.unanswered {
            let idx = answered
                .iter()
                .rposition(|p| p == path)
                .expect("unanswered request was parsed");
            answered.remove(idx);
        }
        let logged_uris: Vec<String> = logged.iter().map(|l| l.uri.to_owned()).collect();
        assert_eq!(
            count_by_kind(answered.iter().map(String::as_str)),
            count_by_kind(logged_uris.iter().map(String::as_str)),
            "{}",
            fixture.name
        );
        assert_eq!(sorted(answered), sorted(logged_uris), "{}", fixture.name);
    }
}

#[test]
fn request_counts_are_stated_numbers() {
    // The figures from the fixtures README, so a regression in both parser and test cannot hide.
    let expect = [
        ("first-variant", 23, 22),
        ("http-errors", 100, 100),
        ("origin-restart", 38, 37),
    ];
    for (fixture, (name, sent, logged)) in FIXTURES.iter().zip(expect) {
        assert_eq!(fixture.name, name);
        assert_eq!(parse_stderr(fixture.stderr).requests.len(), sent, "{name}");
        assert_eq!(access_log(fixture.access_log).len(), logged, "{name}");
    }
}

#[test]
fn ffmpeg_9_request_counts_are_stated_numbers() {
    // Counted with grep when the captures were made (`data/README.md`).
    let expect = [
        ("9.0 healthy", 87, 87),
        ("9.0 http-errors", 25, 25),
        ("9.0 origin-restart", 46, 45),
    ];
    for (fixture, (name, sent, logged)) in FIXTURES_9.iter().zip(expect) {
        assert_eq!(fixture.name, name);
        assert_eq!(parse_stderr(fixture.stderr).requests.len(), sent, "{name}");
        assert_eq!(access_log(fixture.access_log).len(), logged, "{name}");
    }
    // The http-errors capture has both injected statuses; the outage shows as refused connects.
    let errors = parse_stderr(FIXTURES_9[1].stderr).errors;
    assert_eq!(errors.iter().filter(|(_, s)| *s == 404).count(), 4);
    assert_eq!(errors.iter().filter(|(_, s)| *s == 503).count(), 3);
    assert_eq!(parse_stderr(FIXTURES_9[2].stderr).connect_failures, 5);
}

#[test]
fn http_errors_match_the_access_log_by_path_and_status() {
    for fixture in all_fixtures() {
        let parsed = parse_stderr(fixture.stderr);
        let logged: Vec<(String, u16)> = access_log(fixture.access_log)
            .iter()
            .filter(|l| !(200..300).contains(&l.status))
            .map(|l| (l.uri.to_owned(), l.status))
            .collect();
        let mut by_status = BTreeMap::new();
        for (_, status) in &logged {
            *by_status.entry(*status).or_insert(0) += 1;
        }
        let mut parsed_by_status = BTreeMap::new();
        for (_, status) in &parsed.errors {
            *parsed_by_status.entry(*status).or_insert(0) += 1;
        }
        assert_eq!(parsed_by_status, by_status, "{}", fixture.name);
        assert_eq!(sorted(parsed.errors), sorted(logged), "{}", fixture.name);
    }
    // And the http-errors fixture really has them: 3 × 404 and 72 × 500.
    let errors = parse_stderr(FIXTURES[1].stderr).errors;
    assert_eq!(errors.iter().filter(|(_, s)| *s == 404).count(), 3);
    assert_eq!(errors.iter().filter(|(_, s)| *s == 500).count(), 72);
}

#[test]
fn outages_show_as_connect_failures() {
    assert_eq!(parse_stderr(FIXTURES[0].stderr).connect_failures, 2);
    assert_eq!(parse_stderr(FIXTURES[1].stderr).connect_failures, 0);
    assert_eq!(parse_stderr(FIXTURES[2].stderr).connect_failures, 5);
}

#[test]
fn refused_client_made_no_request_and_says_why() {
    let stderr = include_bytes!("data/ffmpeg-5.1/refused.stderr");
    let parsed = parse_stderr(stderr);
    assert!(parsed.requests.is_empty());
    assert_eq!(parsed.connect_failures, 4);
    assert_eq!(
        parsed.error_messages,
        ["http://127.0.0.1:18089/master.m3u8: Connection refused"]
    );
    let reconnects = split_log_lines(stderr)
        .filter(|l| matches!(parse_line(l).event, Some(Event::ReconnectScheduled { .. })))
        .count();
    assert_eq!(reconnects, 3);
}

#[test]
fn http_errors_fixture_reports_why_the_master_failed() {
    let parsed = parse_stderr(FIXTURES[1].stderr);
    assert_eq!(
        parsed.error_messages,
        ["http://127.0.0.1:18084/master.m3u8: Server returned 5XX Server Error reply"]
    );
}

#[test]
fn request_kinds_in_the_fixtures_are_manifests_and_segments() {
    // Guards `classify_path` on the fixture data itself: nothing lands in Init or Other.
    for fixture in all_fixtures() {
        for line in split_log_lines(fixture.stderr) {
            if let Some(Event::HttpRequest { kind, path, .. }) = parse_line(line).event {
                assert!(
                    matches!(kind, RequestKind::Manifest | RequestKind::Segment),
                    "{path}"
                );
            }
        }
    }
}
