//! Upstream faults, viewers that go away or read slowly, and shutdown: what the viewer sees,
//! what is recorded, and that no socket of the tap's is left open afterwards.

mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{
    Conn, DEADLINE, FakeUpstream, assert_no_socket_left, connect, exchange, proxy_get, read_reply,
    read_until_closed, shutdown, start_tap, tap_sockets,
};
use hls_swarm_tap::{Failure, RequestRecord};
use hls_swarm_testkit::{net, poll};

/// Blocks until the tap closes `conn` (reads to EOF), and says so in `closed`.
fn hold_until_closed(mut conn: Conn, closed: &AtomicBool) {
    let mut sink = Vec::new();
    let _ = conn.stream.read_to_end(&mut sink);
    // SeqCst: read by the test thread; simplicity over speed.
    closed.store(true, Ordering::SeqCst);
}

/// The record for `path`, once it is there.
fn record_for(records: &common::Collect, path: &str) -> RequestRecord {
    poll::expect(&format!("the record of {path}"), DEADLINE, || {
        let all = records.requests.lock().unwrap();
        all.iter().find(|r| r.path.as_str() == path).cloned()
    })
}

#[test]
fn upstream_faults_reach_the_viewer_as_closely_as_a_proxy_can_and_leave_no_socket() {
    let refusing_port = net::free_port();
    let dropping = FakeUpstream::start(|mut conn: Conn| {
        conn.read_request();
    });
    let malformed = FakeUpstream::start(|mut conn: Conn| {
        conn.read_request();
        conn.send(b"THIS IS NOT HTTP\r\n\r\n");
        let mut sink = Vec::new();
        let _ = conn.stream.read_to_end(&mut sink);
    });
    let cut = FakeUpstream::start(|mut conn: Conn| {
        conn.read_request();
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
        conn.send(&[7u8; 1000]);
    });
    let delay = Duration::from_millis(300);
    let slow = FakeUpstream::start(move |mut conn: Conn| {
        while conn.read_request().is_some() {
            std::thread::sleep(delay);
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nslow..");
            std::thread::sleep(delay);
            conn.send(b"done");
        }
    });
    let (tap, records) = start_tap(&dropping.url("/"));
    for upstream in [&malformed, &cut, &slow] {
        tap.allow_host(&upstream.addr.to_string()).unwrap();
    }
    tap.allow_host(&format!("127.0.0.1:{refusing_port}"))
        .unwrap();

    // Refused, dropped, malformed: the viewer's connection closes without a byte.
    let refused_url = format!("http://127.0.0.1:{refusing_port}/refused.ts");
    for (url, failure) in [
        (refused_url, Failure::Connect),
        (dropping.url("/dropped.ts"), Failure::NoResponse),
        (malformed.url("/malformed.ts"), Failure::NoResponse),
    ] {
        let mut viewer = connect(&tap);
        viewer.write_all(proxy_get(&url, 1).as_bytes()).unwrap();
        // A clean end of stream (not a reset), and not a byte before it.
        let mut got = Vec::new();
        let read = viewer.read_to_end(&mut got).map_err(|e| e.kind());
        assert_eq!(
            read,
            Ok(0),
            "{url}: the viewer got {:?}",
            String::from_utf8_lossy(&got)
        );
        let path = url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap();
        let record = record_for(&records, &path);
        assert_eq!(
            (record.status, record.failure, record.truncated),
            (None, Some(failure), false)
        );
        assert_eq!((record.download, record.ttfb), (None, None));
    }

    // Closed mid-body: the viewer's body is cut off too.
    let mut viewer = connect(&tap);
    viewer
        .write_all(proxy_get(&cut.url("/cut.ts"), 2).as_bytes())
        .unwrap();
    let got = read_until_closed(&mut viewer);
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"),
        "{text}"
    );
    let body_start = text.find("\r\n\r\n").unwrap() + 4;
    assert_eq!(
        got.len() - body_start,
        1000,
        "the viewer gets what came, then the cut"
    );
    let record = record_for(&records, "/cut.ts");
    assert_eq!((record.status, record.body_bytes), (Some(200), 1000));
    assert_eq!(
        (record.truncated, record.failure),
        (true, Some(Failure::UpstreamCut))
    );

    // Slow: the times measure the delays.
    let mut viewer = connect(&tap);
    let reply = exchange(&mut viewer, &proxy_get(&slow.url("/slow.ts"), 3)).unwrap();
    assert_eq!(reply.body, b"slow..done");
    let record = record_for(&records, "/slow.ts");
    let (ttfb, download) = (record.ttfb.unwrap(), record.download.unwrap());
    assert!(
        ttfb >= delay && download >= 2 * delay,
        "{ttfb:?} {download:?}"
    );
    assert!(!record.truncated && record.connect.unwrap() < delay);
    drop(viewer);

    let ports = [dropping, malformed, cut, slow].map(|u| u.addr.port());
    let ports = [&ports[..], &[refusing_port]].concat();
    assert_no_socket_left(&tap, &ports);
    let totals = shutdown(tap, DEADLINE);
    assert_eq!(
        (totals.requests, totals.failed, totals.truncated),
        (5, 3, 1)
    );
    assert_eq!(totals.upstream_connect_failures, 1);
}

#[test]
fn a_viewer_that_goes_away_is_recorded_and_its_upstream_closed() {
    let head_closed = Arc::new(AtomicBool::new(false));
    let body_closed = Arc::new(AtomicBool::new(false));
    let (h, b) = (head_closed.clone(), body_closed.clone());
    let upstream = FakeUpstream::start(move |mut conn: Conn| {
        let Some(request) = conn.read_request() else {
            return;
        };
        if request.target == "/body.ts" {
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
            conn.send(&[1u8; 500]);
            hold_until_closed(conn, &b);
        } else {
            hold_until_closed(conn, &h);
        }
    });
    let (tap, records) = start_tap(&upstream.url("/"));

    // Gone while waiting for the head.
    let mut viewer = connect(&tap);
    viewer
        .write_all(proxy_get(&upstream.url("/head.ts"), 4).as_bytes())
        .unwrap();
    assert!(poll::until(DEADLINE, || upstream
        .seen
        .lock()
        .unwrap()
        .len()
        == 1));
    drop(viewer);
    let record = record_for(&records, "/head.ts");
    assert_eq!(
        (record.status, record.truncated, record.failure),
        (None, true, Some(Failure::ViewerGone))
    );
    assert!(
        poll::until(DEADLINE, || head_closed.load(Ordering::SeqCst)),
        "upstream left open"
    );

    // Gone mid-body.
    let mut viewer = connect(&tap);
    viewer
        .write_all(proxy_get(&upstream.url("/body.ts"), 4).as_bytes())
        .unwrap();
    let mut first = [0u8; 64];
    let _ = viewer.read(&mut first).unwrap();
    drop(viewer);
    let record = record_for(&records, "/body.ts");
    assert_eq!(
        (record.status, record.truncated, record.failure),
        (Some(200), true, Some(Failure::ViewerGone))
    );
    assert!(record.body_bytes <= 500);
    assert!(
        poll::until(DEADLINE, || body_closed.load(Ordering::SeqCst)),
        "upstream left open"
    );
    assert_no_socket_left(&tap, &[upstream.addr.port()]);
}

#[test]
fn a_viewer_that_reads_slowly_slows_its_own_download() {
    const BODY: u64 = 256 << 20;
    let written = Arc::new(AtomicU64::new(0));
    let w = written.clone();
    let upstream = FakeUpstream::start(move |mut conn: Conn| {
        conn.read_request();
        conn.send(format!("HTTP/1.1 200 OK\r\nContent-Length: {BODY}\r\n\r\n").as_bytes());
        let chunk = vec![0u8; 64 << 10];
        let mut sent = 0;
        while sent < BODY && conn.send(&chunk) {
            sent += chunk.len() as u64;
            // SeqCst: read by the test thread.
            w.store(sent, Ordering::SeqCst);
        }
    });
    let (tap, records) = start_tap(&upstream.url("/"));
    let mut viewer = connect(&tap);
    viewer
        .write_all(proxy_get(&upstream.url("/big.ts"), 9).as_bytes())
        .unwrap();
    let mut head = [0u8; 16];
    viewer.read_exact(&mut head).unwrap();
    // The viewer reads no more: the upstream must stall once the buffers on the way are full.
    let mut last = (0, Instant::now());
    let stalled = poll::until(DEADLINE, || {
        let now = written.load(Ordering::SeqCst);
        if now != last.0 {
            last = (now, Instant::now());
        }
        now > 0 && last.1.elapsed() > Duration::from_secs(1)
    });
    let stalled_at = written.load(Ordering::SeqCst);
    eprintln!("the upstream stalled after {stalled_at} bytes");
    assert!(stalled, "the upstream kept writing ({stalled_at} bytes)");
    // Loopback socket buffers (a few MB each way) and hyper's 64 KiB: far from the whole body.
    assert!(
        stalled_at < 64 << 20,
        "{stalled_at} bytes buffered for a viewer that reads nothing"
    );
    assert!(tap.totals().body_bytes <= stalled_at);
    drop(viewer);
    let record = record_for(&records, "/big.ts");
    assert!(record.truncated && record.body_bytes <= stalled_at);
    assert_no_socket_left(&tap, &[upstream.addr.port()]);
}

#[test]
fn shutdown_lets_requests_finish_within_the_grace_then_cuts_and_records_the_rest() {
    let upstream = FakeUpstream::start(|mut conn: Conn| {
        while let Some(request) = conn.read_request() {
            if request.target == "/finishes.ts" {
                std::thread::sleep(Duration::from_millis(300));
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast");
            } else if request.target == "/stalls.ts" {
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart");
                let mut sink = Vec::new();
                let _ = conn.stream.read_to_end(&mut sink);
                return;
            } else {
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        }
    });
    let (tap, records) = start_tap(&upstream.url("/"));
    let tap_port = tap.addr().port();
    let mut idle = connect(&tap);
    assert_eq!(
        exchange(&mut idle, &proxy_get(&upstream.url("/idle.ts"), 1))
            .unwrap()
            .status,
        200
    );
    let mut finishing = connect(&tap);
    finishing
        .write_all(proxy_get(&upstream.url("/finishes.ts"), 2).as_bytes())
        .unwrap();
    let mut stalled = connect(&tap);
    stalled
        .write_all(proxy_get(&upstream.url("/stalls.ts"), 3).as_bytes())
        .unwrap();
    assert!(poll::until(DEADLINE, || upstream
        .seen
        .lock()
        .unwrap()
        .len()
        == 3));
    assert!(
        poll::until(DEADLINE, || tap.totals().body_bytes >= 6),
        "the stalled body began"
    );

    let grace = Duration::from_secs(2);
    let started = Instant::now();
    let stopping = std::thread::spawn(move || shutdown(tap, grace));
    // The idle connection is closed at once; the request in flight completes.
    assert!(read_until_closed(&mut idle).is_empty());
    assert!(
        started.elapsed() < grace,
        "an idle connection waited for the grace"
    );
    assert_eq!(read_reply(&mut finishing).unwrap().body, b"last");
    let totals = stopping.join().unwrap();
    assert!(started.elapsed() >= grace);
    // What stalled past the grace was cut, and recorded as cut by the shutdown.
    let cut = record_for(&records, "/stalls.ts");
    assert_eq!((cut.status, cut.body_bytes), (Some(200), 4));
    assert_eq!(
        (cut.truncated, cut.failure),
        (true, Some(Failure::Shutdown))
    );
    assert!(!record_for(&records, "/finishes.ts").truncated);
    assert_eq!((totals.requests, totals.truncated), (3, 1));
    assert_eq!(
        (
            totals.open_client_connections,
            totals.open_upstream_connections
        ),
        (0, 0)
    );
    assert_eq!(tap_sockets(tap_port, &[upstream.addr.port()]), 0);
    assert_eq!(
        String::from_utf8_lossy(&read_until_closed(&mut stalled))
            .matches("part")
            .count(),
        1
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", tap_port)).is_err(),
        "still accepting"
    );
}
