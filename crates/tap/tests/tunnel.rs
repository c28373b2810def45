//! `CONNECT` tunnels on raw TCP (the TLS case with ffmpeg and nginx is in `nginx.rs`): the
//! exact request ffmpeg 5.1 sends, bytes both ways, refusals, failures, and the tap's threads.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{
    Conn, DEADLINE, FakeUpstream, assert_no_socket_left, connect, read_head, read_until_closed,
    shutdown, start_tap,
};
use hls_swarm_tap::{Failure, RefusedReason, THREAD_NAME};
use hls_swarm_testkit::{net, poll};

/// What ffmpeg 5.1 sends a proxy for `https://HOST:PORT/…` (libavformat/http.c,
/// `http_proxy_open`): no User-Agent, and `Connection: close`.
fn ffmpeg_connect(host_port: &str) -> String {
    format!("CONNECT {host_port} HTTP/1.1\r\nHost: {host_port}\r\nConnection: close\r\n\r\n")
}

#[test]
fn a_tunnel_copies_bytes_both_ways_and_is_recorded_when_it_closes() {
    // An upstream that echoes what it reads, upper-cased, until the tap closes its side.
    let echo = FakeUpstream::start(|mut conn: Conn| {
        let mut buf = [0u8; 4096];
        loop {
            match conn.stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if !conn.send(&buf[..n].to_ascii_uppercase()) {
                        return;
                    }
                }
            }
        }
    });
    let at = echo.addr.to_string();
    let (tap, records) = start_tap(&format!("https://{at}/master.m3u8"));
    let mut viewer = connect(&tap);
    viewer.write_all(ffmpeg_connect(&at).as_bytes()).unwrap();
    let head = String::from_utf8(read_head(&mut viewer).unwrap()).unwrap();
    // hyper adds `connection: close` because ffmpeg's CONNECT asked for it; the tunnel works.
    assert_eq!(
        head,
        "HTTP/1.1 200 Connection established\r\nconnection: close\r\n\r\n"
    );
    viewer.write_all(b"hello through the tunnel").unwrap();
    let mut echoed = [0u8; 24];
    viewer.read_exact(&mut echoed).unwrap();
    assert_eq!(&echoed, b"HELLO THROUGH THE TUNNEL");
    // The viewer closes its side: the upstream's is closed, then the tunnel ends.
    viewer.shutdown(std::net::Shutdown::Write).unwrap();
    assert!(read_until_closed(&mut viewer).is_empty());
    let tunnel = records.wait_tunnels(1).remove(0);
    assert_eq!((tunnel.bytes_up, tunnel.bytes_down), (24, 24));
    assert_eq!(
        (tunnel.host.as_str(), tunnel.viewer, tunnel.failure),
        (at.as_str(), None, None)
    );
    assert!(tunnel.connect.is_some() && tunnel.duration < DEADLINE);
    assert_no_socket_left(&tap, &[echo.addr.port()]);
    let totals = shutdown(tap, DEADLINE);
    assert_eq!(
        (
            totals.tunnels,
            totals.tunnel_bytes,
            totals.upstream_connects
        ),
        (1, 48, 1)
    );
    assert_eq!(totals.requests, 0, "requests inside a tunnel are not seen");
}

#[test]
fn a_user_agent_on_connect_names_the_viewer() {
    let quiet = FakeUpstream::start(|mut conn: Conn| {
        let _ = conn.stream.read(&mut [0u8; 16]);
    });
    let at = quiet.addr.to_string();
    let (tap, records) = start_tap(&format!("https://{at}/"));
    let mut viewer = connect(&tap);
    let request =
        format!("CONNECT {at} HTTP/1.1\r\nHost: {at}\r\nUser-Agent: hls-swarm/client-8\r\n\r\n");
    viewer.write_all(request.as_bytes()).unwrap();
    read_head(&mut viewer).unwrap();
    drop(viewer);
    assert_eq!(records.wait_tunnels(1)[0].viewer, Some(8));
    assert_no_socket_left(&tap, &[quiet.addr.port()]);
}

#[test]
fn connect_to_a_host_not_allowed_is_refused_and_a_failed_connect_closes_without_response() {
    let allowed_port = net::free_port();
    let (tap, records) = start_tap(&format!("https://127.0.0.1:{allowed_port}/"));
    let mut viewer = connect(&tap);
    viewer
        .write_all(ffmpeg_connect("127.0.0.1:1").as_bytes())
        .unwrap();
    let head = String::from_utf8(read_head(&mut viewer).unwrap()).unwrap();
    assert!(head.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{head}");
    let refused = records.refused.lock().unwrap()[0].clone();
    assert_eq!(
        (refused.reason, refused.target.as_str()),
        (RefusedReason::HostNotAllowed, "127.0.0.1:1")
    );

    // Allowed, but nothing listens there: closed without a response, like a refused origin.
    let mut viewer = connect(&tap);
    viewer
        .write_all(ffmpeg_connect(&format!("127.0.0.1:{allowed_port}")).as_bytes())
        .unwrap();
    assert!(read_until_closed(&mut viewer).is_empty());
    let tunnel = records.wait_tunnels(1).remove(0);
    assert_eq!(
        (tunnel.failure, tunnel.connect),
        (Some(Failure::Connect), None)
    );
    assert_no_socket_left(&tap, &[allowed_port]);
    let totals = shutdown(tap, DEADLINE);
    assert_eq!(
        (
            totals.refused,
            totals.upstream_connect_failures,
            totals.tunnels
        ),
        (1, 1, 0)
    );
}

#[test]
fn the_tap_runs_on_named_threads_of_its_own_whose_cpu_time_is_measured() {
    let upstream = FakeUpstream::start(|mut conn: Conn| {
        while conn.read_request().is_some() {
            let body = vec![b'x'; 1 << 20];
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
            if !conn.send(head.as_bytes()) || !conn.send(&body) {
                return;
            }
        }
    });
    let (tap, _records) = start_tap(&upstream.url("/"));
    // A thread takes its name once it runs (std names it from inside): wait for it.
    let named = || {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .flatten()
            .filter(|t| {
                std::fs::read_to_string(t.path().join("comm"))
                    .is_ok_and(|c| c.trim() == THREAD_NAME)
            })
            .count()
    };
    assert!(
        poll::until(Duration::from_secs(10), || named() >= 1),
        "no thread named {THREAD_NAME}"
    );
    let before = tap.cpu_time();
    let mut viewer = connect(&tap);
    for _ in 0..64 {
        let reply = common::exchange(&mut viewer, &common::proxy_get(&upstream.url("/mb.ts"), 0));
        assert_eq!(reply.unwrap().body.len(), 1 << 20);
    }
    let used = tap.cpu_time() - before;
    // Relaying 64 MiB costs the tap's threads some CPU, and less than the test's wall time.
    assert!(used > Duration::ZERO, "no CPU time seen");
    eprintln!("the tap used {used:?} of CPU to relay 64 MiB in 64 requests");
    drop(viewer);
    shutdown(tap, DEADLINE);
}
