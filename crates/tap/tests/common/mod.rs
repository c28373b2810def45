//! What the tap's integration tests share: an observer that keeps every record, scripted
//! upstreams on raw TCP, a raw HTTP/1.1 client, and the OS's view of the tap's sockets.
#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hls_swarm_tap::{
    RefusedRecord, RequestRecord, Tap, TapConfig, TapObserver, TapTotals, TunnelRecord,
};
use hls_swarm_testkit::poll;

/// How long a test waits for anything.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Keeps every record (a test's observer; a real one adds to atomics instead of locking).
#[derive(Debug, Default)]
pub struct Collect {
    pub requests: Mutex<Vec<RequestRecord>>,
    pub refused: Mutex<Vec<RefusedRecord>>,
    pub tunnels: Mutex<Vec<TunnelRecord>>,
}

impl TapObserver for Collect {
    fn on_request(&self, record: &RequestRecord) {
        self.requests.lock().unwrap().push(record.clone());
    }
    fn on_refused(&self, record: &RefusedRecord) {
        self.refused.lock().unwrap().push(record.clone());
    }
    fn on_tunnel(&self, record: &TunnelRecord) {
        self.tunnels.lock().unwrap().push(record.clone());
    }
}

impl Collect {
    /// The request records, once there are `n` of them.
    pub fn wait_requests(&self, n: usize) -> Vec<RequestRecord> {
        poll::expect(&format!("{n} request records"), DEADLINE, || {
            let records = self.requests.lock().unwrap();
            (records.len() >= n).then(|| records.clone())
        })
    }

    /// The tunnel records, once there are `n` of them.
    pub fn wait_tunnels(&self, n: usize) -> Vec<TunnelRecord> {
        poll::expect(&format!("{n} tunnel records"), DEADLINE, || {
            let records = self.tunnels.lock().unwrap();
            (records.len() >= n).then(|| records.clone())
        })
    }
}

/// A tap for `target`'s host, keeping its records.
pub fn start_tap(target: &str) -> (Tap, Arc<Collect>) {
    let collect = Arc::new(Collect::default());
    let tap = Tap::start(TapConfig::new(target), collect.clone()).expect("start the tap");
    (tap, collect)
}

/// Runs `tap.shutdown(grace)` to its end.
pub fn shutdown(tap: Tap, grace: Duration) -> TapTotals {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(tap.shutdown(grace))
}

/// One request head as an upstream read it.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    /// The raw head, request line to blank line included.
    pub raw: String,
    /// The request target of its first line.
    pub target: String,
}

/// An upstream on 127.0.0.1 that runs `script` on each connection (its own thread), and
/// remembers every request head its scripts read with [`read_request`].
pub struct FakeUpstream {
    pub addr: SocketAddr,
    pub accepted: Arc<AtomicUsize>,
    pub seen: Arc<Mutex<Vec<SeenRequest>>>,
}

/// What a script is handed: the connection and the place to note the requests it reads.
pub struct Conn {
    pub stream: TcpStream,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
}

impl Conn {
    /// Reads one request head; `None` at EOF.
    pub fn read_request(&mut self) -> Option<SeenRequest> {
        let head = read_head(&mut self.stream)?;
        let raw = String::from_utf8_lossy(&head).into_owned();
        let target = raw.split(' ').nth(1).unwrap_or_default().to_owned();
        let seen = SeenRequest { raw, target };
        self.seen.lock().unwrap().push(seen.clone());
        Some(seen)
    }

    /// Writes `bytes`; false when the peer is gone.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok()
    }
}

impl FakeUpstream {
    pub fn start(script: impl Fn(Conn) + Send + Sync + 'static) -> FakeUpstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let (count, log) = (accepted.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                // SeqCst: a test thread reads it; simplicity over speed.
                count.fetch_add(1, Ordering::SeqCst);
                let (script, seen) = (script.clone(), log.clone());
                std::thread::spawn(move || script(Conn { stream, seen }));
            }
        });
        FakeUpstream {
            addr,
            accepted,
            seen,
        }
    }

    /// `http://ADDR` and `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Reads up to and including the blank line that ends a head; `None` on EOF or error first.
pub fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(head)
}

/// A response as a raw client read it.
#[derive(Debug)]
pub struct Reply {
    pub head: String,
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// A viewer connection to the tap.
pub fn connect(tap: &Tap) -> TcpStream {
    let stream = TcpStream::connect(tap.addr()).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream
}

/// An ffmpeg-like proxy request for `url` from viewer `viewer`.
pub fn proxy_get(url: &str, viewer: u32) -> String {
    let host = url.split('/').nth(2).unwrap();
    format!(
        "GET {url} HTTP/1.1\r\nUser-Agent: hls-swarm/client-{viewer}\r\nAccept: */*\r\n\
         Range: bytes=0-\r\nConnection: keep-alive\r\nHost: {host}\r\nIcy-MetaData: 1\r\n\r\n"
    )
}

/// Sends `request` and reads one response (a `Content-Length` body, or to EOF); `None` when
/// the connection closes before a whole head.
pub fn exchange(stream: &mut TcpStream, request: &str) -> Option<Reply> {
    stream.write_all(request.as_bytes()).ok()?;
    read_reply(stream)
}

/// Reads one response from `stream`.
pub fn read_reply(stream: &mut TcpStream) -> Option<Reply> {
    let head = String::from_utf8(read_head(stream)?).unwrap();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let mut reply = Reply {
        head,
        status,
        body: Vec::new(),
    };
    let chunked = reply
        .header("transfer-encoding")
        .is_some_and(|te| te.eq_ignore_ascii_case("chunked"));
    match reply
        .header("content-length")
        .map(|n| n.parse::<usize>().unwrap())
    {
        _ if chunked => reply.body = read_chunked(stream)?,
        Some(n) => {
            reply.body = vec![0; n];
            let mut got = 0;
            while got < n {
                match stream.read(&mut reply.body[got..]) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => got += k,
                }
            }
            reply.body.truncate(got);
        }
        None => {
            let _ = stream.read_to_end(&mut reply.body);
        }
    }
    Some(reply)
}

/// A chunked body, decoded (trailers ignored); `None` when it is cut.
fn read_chunked(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            (stream.read(&mut byte).ok()? == 1).then_some(())?;
            line.push(byte[0]);
        }
        let size = std::str::from_utf8(&line).ok()?.trim().split(';').next()?;
        let size = usize::from_str_radix(size, 16).ok()?;
        let mut chunk = vec![0u8; size + 2];
        stream.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// Everything the peer sends until it closes (EOF or reset).
pub fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                panic!("the tap did not close the connection within {DEADLINE:?}")
            }
            Err(_) => return all,
        }
    }
}

/// The OS's count of this process's sockets that belong to the tap listening on `tap_port`:
/// connections accepted on that port, and connections to any of `upstream_ports`.
pub fn tap_sockets(tap_port: u16, upstream_ports: &[u16]) -> usize {
    let mine: HashSet<u64> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let link = std::fs::read_link(e.path()).ok()?;
            let link = link.to_str()?;
            link.strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect();
    let mut n = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(state), Some(inode)) =
                (f.get(1), f.get(2), f.get(3), f.get(9))
            else {
                continue;
            };
            let port = |a: &str| u16::from_str_radix(a.rsplit(':').next().unwrap_or(""), 16).ok();
            let Ok(inode) = inode.parse::<u64>() else {
                continue;
            };
            if !mine.contains(&inode) {
                continue;
            }
            let accepted = port(local) == Some(tap_port) && *state != "0A";
            let upstream = port(remote).is_some_and(|p| upstream_ports.contains(&p));
            if accepted || upstream {
                n += 1;
            }
        }
    }
    n
}

/// Waits until neither the tap's gauges nor the OS show a socket of the tap's open.
pub fn assert_no_socket_left(tap: &Tap, upstream_ports: &[u16]) {
    let port = tap.addr().port();
    let closed = poll::until(DEADLINE, || {
        let t = tap.totals();
        t.open_client_connections == 0
            && t.open_upstream_connections == 0
            && t.open_tunnels == 0
            && tap_sockets(port, upstream_ports) == 0
    });
    assert!(
        closed,
        "sockets left open: gauges {:?}, the OS counts {}",
        tap.totals(),
        tap_sockets(port, upstream_ports)
    );
}
