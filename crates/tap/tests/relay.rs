//! The tap relaying to small scripted upstreams: what the upstream receives, what the viewer
//! receives, what is recorded, and what is refused.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{
    Conn, DEADLINE, FakeUpstream, connect, exchange, proxy_get, read_until_closed, shutdown,
    start_tap,
};
use hls_swarm_tap::{RefusedReason, RequestKind};
use hls_swarm_testkit::poll;

/// Answers by path, on a kept-alive connection, until the tap closes it.
fn by_path(mut conn: Conn) {
    while let Some(request) = conn.read_request() {
        let answer: &[u8] = match request.target.as_str() {
            "/v0/ok.ts" => b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
            "/v0/range.ts" => {
                b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-4/5\r\nContent-Length: 5\r\n\r\nabcde"
            }
            "/v0/missing.ts" => b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
            "/v0/index.m3u8" => {
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"
            }
            "/v0/chunked.ts" => {
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"
            }
            _ => b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
        };
        if !conn.send(answer) {
            return;
        }
    }
}

#[test]
fn requests_and_responses_pass_byte_for_byte_but_the_request_line() {
    let upstream = FakeUpstream::start(|mut conn: Conn| {
        while conn.read_request().is_some() {
            let answer = b"HTTP/1.1 200 Fine Thanks\r\ncontent-length: 2\r\nX-Mixed-CASE: Kept\r\n\
                           Cache-Control: no-cache\r\n\r\nok";
            if !conn.send(answer) {
                return;
            }
        }
    });
    let (tap, _records) = start_tap(&upstream.url("/master.m3u8"));
    let at = upstream.addr;
    let request = format!(
        "GET http://{at}/v0/seg00001.ts?token=a%2Fb HTTP/1.1\r\nUser-Agent: hls-swarm/client-3\r\n\
         Accept: */*\r\nRange: bytes=0-\r\nConnection: keep-alive\r\nHost: {at}\r\n\
         Icy-MetaData: 1\r\nx-lower-case: v\r\n\r\n"
    );
    let mut viewer = connect(&tap);
    let reply = exchange(&mut viewer, &request).expect("a response");
    // The upstream got the viewer's request with only its target in origin form.
    let seen = upstream.seen.lock().unwrap()[0].raw.clone();
    let want = request.replacen(&format!("http://{at}/"), "/", 1);
    assert_eq!(seen, want);
    // The viewer got the upstream's head as it was: reason, header case, nothing added.
    assert_eq!(
        reply.head,
        "HTTP/1.1 200 Fine Thanks\r\ncontent-length: 2\r\nX-Mixed-CASE: Kept\r\n\
         Cache-Control: no-cache\r\n\r\n"
    );
    assert_eq!(reply.body, b"ok");
    shutdown(tap, DEADLINE);
}

#[test]
fn each_request_is_recorded_with_its_status_bytes_and_times() {
    let upstream = FakeUpstream::start(by_path);
    let (tap, records) = start_tap(&upstream.url("/master.m3u8"));
    let mut viewer = connect(&tap);
    let paths = [
        ("/v0/ok.ts", 200, 10),
        ("/v0/range.ts", 206, 5),
        ("/v0/missing.ts", 404, 9),
        ("/v0/index.m3u8", 503, 4),
        ("/v0/chunked.ts", 200, 7),
    ];
    for (path, status, bytes) in paths {
        let reply = exchange(&mut viewer, &proxy_get(&upstream.url(path), 12)).unwrap();
        assert_eq!((reply.status, reply.body.len()), (status, bytes), "{path}");
        if path.contains("chunked") {
            // Chunked upstream, chunked to the viewer: the framing is kept.
            assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
            assert_eq!(reply.body, b"abcdefg");
        }
    }
    let got = records.wait_requests(paths.len());
    for (i, ((path, status, bytes), r)) in paths.iter().zip(&got).enumerate() {
        assert_eq!(r.path.as_str(), *path);
        assert_eq!(
            (r.status, r.body_bytes),
            (Some(*status), *bytes as u64),
            "{path}"
        );
        assert_eq!(
            (r.viewer, r.connection, r.truncated, r.failure),
            (Some(12), 1, false, None)
        );
        assert_eq!(r.host, upstream.addr.to_string());
        assert_eq!(
            r.reused,
            i > 0,
            "{path}: one upstream connection, reused after the first"
        );
        assert_eq!(r.connect.is_some(), i == 0, "{path}");
        let (ttfb, download) = (r.ttfb.unwrap(), r.download.unwrap());
        assert!(
            ttfb <= download && download < DEADLINE,
            "{path}: {ttfb:?} {download:?}"
        );
    }
    assert_eq!(got[3].kind, RequestKind::Manifest);
    assert!(
        got.iter()
            .filter(|r| r.kind != RequestKind::Manifest)
            .all(|r| r.kind == RequestKind::Segment)
    );
    drop(viewer);
    let totals = shutdown(tap, DEADLINE);
    assert_eq!(
        (
            totals.requests,
            totals.upstream_connects,
            totals.client_connections
        ),
        (5, 1, 1)
    );
    assert_eq!(totals.body_bytes, 35);
    assert_eq!(upstream.accepted(), 1);
}

#[test]
fn a_host_not_allowed_gets_403_and_nothing_is_forwarded() {
    let allowed = FakeUpstream::start(by_path);
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    other.set_nonblocking(true).unwrap();
    let other_url = format!("http://{}/v0/ok.ts", other.local_addr().unwrap());
    let (tap, records) = start_tap(&allowed.url("/master.m3u8"));
    let mut viewer = connect(&tap);
    let reply = exchange(&mut viewer, &proxy_get(&other_url, 1)).unwrap();
    assert_eq!(reply.status, 403);
    // The tap answers only after it would have connected: nothing reached the other host.
    assert_eq!(
        other.accept().map_err(|e| e.kind()).err(),
        Some(std::io::ErrorKind::WouldBlock),
        "the tap connected to a host not allowed"
    );
    // The connection stays usable for allowed hosts.
    let reply = exchange(&mut viewer, &proxy_get(&allowed.url("/v0/ok.ts"), 1)).unwrap();
    assert_eq!(reply.status, 200);
    // A request in origin form (not a proxy request) is refused too, with 400.
    let reply = exchange(&mut viewer, "GET /v0/ok.ts HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(reply.status, 400);
    records.wait_requests(1);
    let refused = records.refused.lock().unwrap().clone();
    assert_eq!(refused.len(), 2);
    assert_eq!(
        (refused[0].reason, refused[0].status),
        (RefusedReason::HostNotAllowed, 403)
    );
    assert_eq!(refused[0].target, other_url);
    assert_eq!(
        (refused[1].reason, refused[1].status),
        (RefusedReason::NotAProxyRequest, 400)
    );
    assert!(!tap.is_allowed(&other.local_addr().unwrap().to_string()));
    let totals = shutdown(tap, DEADLINE);
    assert_eq!(
        (totals.refused, totals.requests, totals.upstream_connects),
        (2, 1, 1)
    );
}

#[test]
fn playlists_teach_segment_durations_and_allow_the_hosts_they_name() {
    let second = FakeUpstream::start(by_path);
    let media = format!(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"header.mp4\"\n#EXTINF:1.5,\nok.ts\n\
         #EXTINF:2.000,\n{}\n",
        second.url("/v0/ok.ts")
    );
    let first = FakeUpstream::start(move |mut conn: Conn| {
        while let Some(request) = conn.read_request() {
            let answer = match request.target.as_str() {
                "/v0/index.m3u8" => format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{media}",
                    media.len()
                ),
                _ => "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nseg".to_owned(),
            };
            if !conn.send(answer.as_bytes()) {
                return;
            }
        }
    });
    let (tap, records) = start_tap(&first.url("/master.m3u8"));
    assert!(!tap.is_allowed(&second.addr.to_string()));
    let mut viewer = connect(&tap);
    for url in [
        first.url("/v0/index.m3u8"),
        first.url("/v0/ok.ts"),
        first.url("/v0/header.mp4"),
        first.url("/v0/unlisted.ts"),
        second.url("/v0/ok.ts"),
    ] {
        let reply = exchange(&mut viewer, &proxy_get(&url, 0)).unwrap();
        assert_eq!(reply.status, 200, "{url}");
    }
    let got = records.wait_requests(5);
    let kinds: Vec<_> = got.iter().map(|r| (r.kind, r.segment_duration)).collect();
    let secs = Duration::from_secs_f64;
    assert_eq!(
        kinds,
        [
            (RequestKind::Manifest, None),
            (RequestKind::Segment, Some(secs(1.5))),
            (RequestKind::Init, None),
            (RequestKind::Segment, None),
            (RequestKind::Segment, Some(secs(2.0))),
        ]
    );
    // The second host, named by the playlist, was allowed; on the same viewer connection it
    // took a new upstream connection (the first one closed).
    assert!(tap.is_allowed(&second.addr.to_string()));
    assert_eq!((got[4].reused, got[4].connect.is_some()), (false, true));
    let totals = shutdown(tap, DEADLINE);
    assert_eq!(
        (totals.upstream_connects, totals.upstream_host_switches),
        (2, 1)
    );
}

#[test]
fn the_origin_closing_a_kept_alive_connection_closes_the_viewers() {
    let upstream = FakeUpstream::start(|mut conn: Conn| {
        if conn.read_request().is_some() {
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
        // Then the origin closes the idle connection (as a keep-alive timeout would).
    });
    let (tap, records) = start_tap(&upstream.url("/"));
    let mut viewer = connect(&tap);
    let reply = exchange(&mut viewer, &proxy_get(&upstream.url("/a.ts"), 0)).unwrap();
    assert_eq!(reply.body, b"ok");
    assert!(read_until_closed(&mut viewer).is_empty());
    assert!(!records.wait_requests(1)[0].truncated);
    common::assert_no_socket_left(&tap, &[upstream.addr.port()]);
}

#[test]
fn a_connection_close_exchange_is_complete_and_closes_both_sides() {
    let upstream = FakeUpstream::start(|mut conn: Conn| {
        if conn.read_request().is_some() {
            conn.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbody");
        }
    });
    let (tap, records) = start_tap(&upstream.url("/"));
    let mut viewer = connect(&tap);
    let request = proxy_get(&upstream.url("/master.m3u8"), 5).replace("keep-alive", "close");
    viewer.write_all(request.as_bytes()).unwrap();
    let all = read_until_closed(&mut viewer);
    assert!(
        String::from_utf8_lossy(&all).ends_with("\r\n\r\nbody"),
        "{all:?}"
    );
    let record = &records.wait_requests(1)[0];
    assert_eq!(
        (record.status, record.body_bytes, record.truncated),
        (Some(200), 4, false)
    );
    common::assert_no_socket_left(&tap, &[upstream.addr.port()]);
    assert!(poll::until(DEADLINE, || upstream
        .seen
        .lock()
        .unwrap()
        .len()
        == 1));
}
