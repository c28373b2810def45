//! What relaying costs the tap: the CPU time of the tap's own threads (not wall time) per
//! response relayed, from a local upstream answering from memory to a local client, both on
//! other threads. Criterion's "time" here is the tap's CPU time per iteration, so its
//! throughput for the 1 MiB group is MiB relayed per CPU-second.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hls_swarm_tap::{Tap, TapConfig};

/// An upstream that answers every request on a kept-alive connection with `body`.
fn upstream(body: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut response = format!("HTTP/1.1 200 OK\r\nContent-Length: {body}\r\n\r\n").into_bytes();
    response.resize(response.len() + body, b'x');
    let response = Arc::new(response);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let response = Arc::clone(&response);
            std::thread::spawn(move || answer(stream, &response));
        }
    });
    addr
}

fn answer(mut stream: TcpStream, response: &[u8]) {
    let _ = stream.set_nodelay(true);
    let mut buf = [0u8; 4096];
    let mut pending = Vec::new();
    loop {
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            pending.drain(..end + 4);
            if stream.write_all(response).is_err() {
                return;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}

/// A viewer connection through the tap that fetches `url` again and again.
struct Viewer {
    stream: TcpStream,
    request: Vec<u8>,
    buf: Vec<u8>,
}

impl Viewer {
    fn new(tap: &Tap, upstream: SocketAddr, connection: &str) -> Viewer {
        let stream = TcpStream::connect(tap.addr()).unwrap();
        stream.set_nodelay(true).unwrap();
        let request = format!(
            "GET http://{upstream}/v0/seg00001.ts HTTP/1.1\r\nUser-Agent: hls-swarm/client-1\r\n\
             Accept: */*\r\nRange: bytes=0-\r\nConnection: {connection}\r\nHost: {upstream}\r\n\
             Icy-MetaData: 1\r\n\r\n"
        );
        Viewer {
            stream,
            request: request.into_bytes(),
            buf: vec![0; 256 << 10],
        }
    }

    /// One request and its whole response (head and `body` bytes).
    fn fetch(&mut self, body: usize) {
        self.stream.write_all(&self.request).unwrap();
        let mut got = Vec::new();
        let head_end = loop {
            let n = self.stream.read(&mut self.buf).unwrap();
            assert!(n > 0, "the tap closed the connection");
            got.extend_from_slice(&self.buf[..n]);
            if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
        };
        let mut left = body - (got.len() - head_end);
        while left > 0 {
            let n = self.stream.read(&mut self.buf).unwrap();
            assert!(n > 0, "the tap closed the connection mid-body");
            left -= n;
        }
    }
}

fn start(upstream: SocketAddr) -> Tap {
    Tap::start(TapConfig::new(format!("http://{upstream}/")), Arc::new(())).unwrap()
}

/// The tap's CPU time for `iters` fetches by `fetch`.
fn cpu_of(tap: &Tap, iters: u64, mut fetch: impl FnMut()) -> Duration {
    let before = tap.cpu_time();
    for _ in 0..iters {
        fetch();
    }
    tap.cpu_time().saturating_sub(before)
}

fn relay(c: &mut Criterion) {
    let mut group = c.benchmark_group("tap_cpu");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));

    const MIB: usize = 1 << 20;
    let addr = upstream(MIB);
    let tap = start(addr);
    let mut viewer = Viewer::new(&tap, addr, "keep-alive");
    group.throughput(Throughput::Bytes(MIB as u64));
    group.bench_function("1MiB_response_kept_alive", |b| {
        b.iter_custom(|iters| cpu_of(&tap, iters, || viewer.fetch(MIB)))
    });
    drop(viewer);

    let small = 1024;
    let addr = upstream(small);
    let tap = start(addr);
    let mut viewer = Viewer::new(&tap, addr, "keep-alive");
    group.throughput(Throughput::Elements(1));
    group.bench_function("1KiB_response_kept_alive", |b| {
        b.iter_custom(|iters| cpu_of(&tap, iters, || viewer.fetch(small)))
    });
    drop(viewer);

    // A new viewer connection (and so a new upstream connection) for every request.
    group.bench_function("1KiB_response_new_connection", |b| {
        b.iter_custom(|iters| {
            cpu_of(&tap, iters, || {
                Viewer::new(&tap, addr, "close").fetch(small)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, relay);
criterion_main!(benches);
