//! Line pumps: read a child's pipe into a bounded channel without ever blocking the child.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::observer::{LineConsumer, StreamStats};

/// One line in flight.
struct Line {
    bytes: Vec<u8>,
    arrived: Instant,
}

/// Counters shared by a pump's reader and consumer tasks.
#[derive(Default)]
struct Shared {
    lines: AtomicU64,
    dropped: AtomicU64,
    truncated: AtomicU64,
    bytes: AtomicU64,
}

/// A running pump: a reader task (pipe → channel) and a consumer task (channel → consumer).
pub(crate) struct Pump {
    reader: JoinHandle<()>,
    consumer: JoinHandle<()>,
    shared: Arc<Shared>,
}

impl Pump {
    /// Starts pumping `source` into `consumer` through a channel of `capacity` lines,
    /// cutting lines at `max_line` bytes.
    pub(crate) fn start<R, C>(source: R, consumer: C, capacity: usize, max_line: usize) -> Pump
    where
        R: AsyncRead + Unpin + Send + 'static,
        C: LineConsumer,
    {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let shared = Arc::new(Shared::default());
        let reader = tokio::spawn(read_lines(source, tx, shared.clone(), max_line.max(1)));
        let consumer = tokio::spawn(consume_lines(rx, consumer, shared.clone()));
        Pump {
            reader,
            consumer,
            shared,
        }
    }

    /// Waits for the consumer to see the end of the stream.
    pub(crate) async fn finished(&mut self) {
        let _ = (&mut self.reader).await;
        let _ = (&mut self.consumer).await;
    }

    /// Stops both tasks where they are (after a drain timeout).
    pub(crate) fn abort(&self) {
        self.reader.abort();
        self.consumer.abort();
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> StreamStats {
        // Relaxed: plain counters; read after the tasks finished or were aborted.
        StreamStats {
            lines: self.shared.lines.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            truncated: self.shared.truncated.load(Ordering::Relaxed),
            bytes: self.shared.bytes.load(Ordering::Relaxed),
        }
    }
}

/// Reads until end of file, splitting on `\n`. Never waits on the channel: a full channel
/// drops the line (counted), so the child's pipe is always drained.
async fn read_lines<R: AsyncRead + Unpin>(
    mut source: R,
    tx: mpsc::Sender<Line>,
    shared: Arc<Shared>,
    max_line: usize,
) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut splitter = Splitter::new(max_line);
    loop {
        let n = match source.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let arrived = Instant::now();
        // Relaxed: independent counters, only summed up in reports.
        shared.bytes.fetch_add(n as u64, Ordering::Relaxed);
        splitter.push(&buf[..n], |bytes, truncated| {
            send(&tx, &shared, bytes, truncated, arrived)
        });
    }
    if let Some((bytes, truncated)) = splitter.finish() {
        send(&tx, &shared, bytes, truncated, Instant::now());
    }
}

fn send(
    tx: &mpsc::Sender<Line>,
    shared: &Shared,
    bytes: Vec<u8>,
    truncated: bool,
    arrived: Instant,
) {
    // Relaxed: independent counters; the consumer tolerates seeing a drop late.
    shared.lines.fetch_add(1, Ordering::Relaxed);
    if truncated {
        shared.truncated.fetch_add(1, Ordering::Relaxed);
    }
    if tx.try_send(Line { bytes, arrived }).is_err() {
        shared.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

async fn consume_lines<C: LineConsumer>(
    mut rx: mpsc::Receiver<Line>,
    mut consumer: C,
    shared: Arc<Shared>,
) {
    let mut reported = 0u64;
    let mut report_drops = |consumer: &mut C| {
        // Relaxed: a late view only delays the report to the next line or the end.
        let dropped = shared.dropped.load(Ordering::Relaxed);
        if dropped > reported {
            consumer.dropped(dropped - reported);
            reported = dropped;
        }
    };
    while let Some(line) = rx.recv().await {
        consumer.line(&line.bytes, line.arrived);
        report_drops(&mut consumer);
    }
    report_drops(&mut consumer);
}

/// Splits a byte stream into lines of at most `max_line` bytes.
pub(crate) struct Splitter {
    current: Vec<u8>,
    max_line: usize,
    /// The current line was cut; skip bytes until its `\n`.
    skipping: bool,
}

impl Splitter {
    pub(crate) fn new(max_line: usize) -> Self {
        Splitter {
            current: Vec::new(),
            max_line,
            skipping: false,
        }
    }

    /// Feeds bytes; `emit(line, truncated)` is called for every completed line.
    pub(crate) fn push(&mut self, mut bytes: &[u8], mut emit: impl FnMut(Vec<u8>, bool)) {
        while !bytes.is_empty() {
            let newline = bytes.iter().position(|&b| b == b'\n');
            let (chunk, rest, ends_line) = match newline {
                Some(i) => (&bytes[..i], &bytes[i + 1..], true),
                None => (bytes, &[][..], false),
            };
            if !self.skipping {
                let room = self.max_line - self.current.len();
                if chunk.len() > room {
                    self.current.extend_from_slice(&chunk[..room]);
                    emit(std::mem::take(&mut self.current), true);
                    self.skipping = true;
                } else {
                    self.current.extend_from_slice(chunk);
                    if ends_line {
                        emit(std::mem::take(&mut self.current), false);
                    }
                }
            }
            if ends_line {
                self.skipping = false;
            }
            bytes = rest;
        }
    }

    /// The unterminated last line, if any.
    pub(crate) fn finish(&mut self) -> Option<(Vec<u8>, bool)> {
        (!self.current.is_empty()).then(|| (std::mem::take(&mut self.current), false))
    }
}

#[cfg(test)]
mod tests;
