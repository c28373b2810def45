//! The line reader: one thread that reads every viewer's stderr and `-progress` lines and
//! hands them to their consumers, in batches.
//!
//! Each stream is a packet socket whose messages carry the time ffmpeg wrote them
//! ([`socket`]), so the thread need not wake for every write to know when a line arrived:
//! it waits for any stream to have data, reads every stream that has, then sleeps out the
//! rest of a short window ([`BATCH_WINDOW`]) so that one wake-up serves many viewers. A
//! line's `arrived` time is the kernel's stamp of the write that ended it, exact whatever the
//! window. Nothing is dropped: a consumer that is slow holds the thread, and a viewer whose
//! socket buffer fills waits in its write, as it would on a pipe.

mod pipe;
mod socket;

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use tokio::sync::oneshot;

use crate::lines::Splitter;
use crate::observer::{LineConsumer, StreamStats};

/// How a line's arrival time is taken, and so which channel carries a viewer's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineTiming {
    /// Exact: each stream is a packet socket and every ffmpeg write carries the kernel's
    /// stamp of when it was written, whatever the batching; costs about 1 µs of the reader's
    /// CPU per ffmpeg write (three a log line). What the log-derived latencies need.
    #[default]
    Exact,
    /// Batched: each stream is a pipe, read in longer batches ([`BATCHED_WINDOW`]); a line's
    /// time is when its batch was read, at most about one window after ffmpeg wrote it.
    /// Several times cheaper; for when requests are timed elsewhere (the request tap), and the
    /// line times only feed figures of seconds (stalls, drift).
    Batched,
}

impl LineTiming {
    /// How long the reader sleeps between one batch's start and the next.
    pub fn window(self) -> Duration {
        match self {
            LineTiming::Exact => BATCH_WINDOW,
            LineTiming::Batched => BATCHED_WINDOW,
        }
    }
}

/// A channel for one of a viewer's streams: `(ours, the child's)`.
pub(crate) fn stream_pair(timing: LineTiming) -> io::Result<(OwnedFd, OwnedFd)> {
    match timing {
        LineTiming::Exact => socket::pair(),
        LineTiming::Batched => pipe::pair(),
    }
}

/// The reader sleeps this long at most between one batch's start and the next: the bound on
/// how late a line reaches its consumer (never on its `arrived` time).
pub const BATCH_WINDOW: Duration = Duration::from_millis(10);

/// The window of [`LineTiming::Batched`]: a pipe read then carries ~5 of ffmpeg's writes
/// instead of ~1, and a line's time is at most this late.
pub const BATCHED_WINDOW: Duration = Duration::from_millis(50);

/// The token of the command wake-up in the epoll set; streams count from 1.
const WAKE: u64 = 0;

/// Counters of one stream, shared by the reader thread and the stream's handle.
#[derive(Default)]
struct Shared {
    lines: AtomicU64,
    truncated: AtomicU64,
    bytes: AtomicU64,
    finished: AtomicBool,
}

impl Shared {
    fn stats(&self) -> StreamStats {
        // Relaxed: plain counters, read after the stream finished or was abandoned.
        StreamStats {
            lines: self.lines.load(Ordering::Relaxed),
            truncated: self.truncated.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

enum Command<C> {
    Add {
        id: u64,
        fd: OwnedFd,
        consumer: C,
        shared: Arc<Shared>,
        done: oneshot::Sender<()>,
    },
    Abandon(u64),
}

/// The handle of the reader thread; dropping the last clone lets the thread end once its
/// streams have.
pub(crate) struct LineReader<C> {
    commands: std_mpsc::Sender<Command<C>>,
    wake: Arc<EventFd>,
    closing: Arc<AtomicBool>,
    next_id: AtomicU64,
}

impl<C: LineConsumer> LineReader<C> {
    /// Starts the thread, reading streams made by [`stream_pair`] with `timing`; lines longer
    /// than `max_line` bytes are cut.
    pub(crate) fn start(max_line: usize, timing: LineTiming) -> io::Result<Self> {
        let (commands, receive) = std_mpsc::channel();
        let wake = Arc::new(EventFd::from_value_and_flags(
            0,
            EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK,
        )?);
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        epoll.add(wake.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, WAKE))?;
        let thread_wake = Arc::clone(&wake);
        let closing = Arc::new(AtomicBool::new(false));
        let thread_closing = Arc::clone(&closing);
        let max_line = max_line.max(1);
        std::thread::Builder::new()
            .name("hls-swarm-lines".to_owned())
            .spawn(move || {
                Thread {
                    epoll,
                    wake: thread_wake,
                    closing: thread_closing,
                    commands: receive,
                    streams: HashMap::new(),
                    receiver: socket::Receiver::new(),
                    max_line,
                    timing,
                }
                .run()
            })?;
        Ok(LineReader {
            commands,
            wake,
            closing,
            next_id: AtomicU64::new(1),
        })
    }

    /// Reads `fd` (our end of a [`stream_pair`]) into `consumer` until the writer closes it.
    pub(crate) fn add(&self, fd: OwnedFd, consumer: C) -> StreamHandle<C> {
        // Relaxed: only uniqueness matters.
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(Shared::default());
        let (done, finished) = oneshot::channel();
        let sent = self.commands.send(Command::Add {
            id,
            fd,
            consumer,
            shared: Arc::clone(&shared),
            done,
        });
        if sent.is_ok() {
            self.poke();
        }
        StreamHandle {
            id,
            shared,
            finished: Some(finished),
            commands: self.commands.clone(),
            wake: Arc::clone(&self.wake),
        }
    }

    fn poke(&self) {
        let _ = self.wake.write(1);
    }
}

impl<C> Drop for LineReader<C> {
    fn drop(&mut self) {
        // The thread ends once the streams it still reads have ended.
        // Release: pairs with the thread's Acquire load after the wake-up.
        self.closing.store(true, Ordering::Release);
        let _ = self.wake.write(1);
    }
}

/// One stream being read.
pub(crate) struct StreamHandle<C> {
    id: u64,
    shared: Arc<Shared>,
    finished: Option<oneshot::Receiver<()>>,
    commands: std_mpsc::Sender<Command<C>>,
    wake: Arc<EventFd>,
}

impl<C> StreamHandle<C> {
    /// Resolves once the consumer got the stream's last line and was dropped.
    pub(crate) async fn finished(&mut self) {
        if let Some(finished) = self.finished.as_mut() {
            let _ = finished.await;
            self.finished = None;
        }
    }

    /// Stops reading where it is (after a drain timeout): the consumer gets no more lines.
    pub(crate) fn abandon(&self) {
        // Relaxed: a hint; a late view only lets the command run on a finished stream.
        if !self.shared.finished.load(Ordering::Relaxed)
            && self.commands.send(Command::Abandon(self.id)).is_ok()
        {
            let _ = self.wake.write(1);
        }
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> StreamStats {
        self.shared.stats()
    }
}

struct Stream<C> {
    fd: OwnedFd,
    consumer: C,
    splitter: Splitter,
    shared: Arc<Shared>,
    done: oneshot::Sender<()>,
}

struct Thread<C> {
    epoll: Epoll,
    wake: Arc<EventFd>,
    closing: Arc<AtomicBool>,
    commands: std_mpsc::Receiver<Command<C>>,
    streams: HashMap<u64, Stream<C>>,
    receiver: socket::Receiver,
    max_line: usize,
    timing: LineTiming,
}

impl<C: LineConsumer> Thread<C> {
    fn run(mut self) {
        let mut events = vec![EpollEvent::empty(); 256];
        loop {
            // Acquire: pairs with the Release store in `LineReader::drop`.
            if self.closing.load(Ordering::Acquire) && self.streams.is_empty() {
                // Streams added just before the reader was dropped are still read.
                self.take_commands();
                if self.streams.is_empty() {
                    return;
                }
            }
            let n = match self.epoll.wait(&mut events, EpollTimeout::NONE) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                // Cannot happen with a valid epoll fd and buffer; end every stream rather
                // than spin.
                Err(_) => {
                    self.end_all();
                    return;
                }
            };
            let woke = Instant::now();
            for event in &events[..n] {
                match event.data() {
                    WAKE => self.take_commands(),
                    id => self.read(id),
                }
            }
            // Let more viewers' writes gather before the next wait.
            let elapsed = woke.elapsed();
            let window = self.timing.window();
            if elapsed < window {
                std::thread::sleep(window - elapsed);
            }
        }
    }

    /// Runs the queued commands.
    fn take_commands(&mut self) {
        let _ = self.wake.read();
        loop {
            match self.commands.try_recv() {
                Ok(Command::Add {
                    id,
                    fd,
                    consumer,
                    shared,
                    done,
                }) => {
                    let interest =
                        EpollEvent::new(EpollFlags::EPOLLIN | EpollFlags::EPOLLRDHUP, id);
                    let stream = Stream {
                        fd,
                        consumer,
                        splitter: Splitter::new(self.max_line),
                        shared,
                        done,
                    };
                    if self.epoll.add(stream.fd.as_fd(), interest).is_ok() {
                        self.streams.insert(id, stream);
                    } else {
                        // Cannot watch it: end it at once rather than leave its handle waiting.
                        finish(stream);
                    }
                }
                Ok(Command::Abandon(id)) => {
                    if let Some(stream) = self.streams.remove(&id) {
                        let _ = self.epoll.delete(stream.fd.as_fd());
                        finish(stream);
                    }
                }
                Err(_) => return,
            }
        }
    }

    /// Reads what `id` has queued, up to its end.
    fn read(&mut self, id: u64) {
        let Some(stream) = self.streams.get_mut(&id) else {
            return;
        };
        let closed = loop {
            let received = match self.timing {
                LineTiming::Exact => self.receiver.receive(&stream.fd),
                LineTiming::Batched => self.receiver.read_pipe(&stream.fd),
            };
            match received {
                Ok(socket::Received::Messages(n)) => {
                    for i in 0..n {
                        let message = self.receiver.messages[i];
                        deliver(stream, self.receiver.bytes(i), message);
                    }
                    // Drained: fewer messages than a batch, or a pipe read short of the buffer.
                    let drained = match self.timing {
                        LineTiming::Exact => n < socket::BATCH,
                        LineTiming::Batched => n == 0 || !self.receiver.filled(0),
                    };
                    if drained {
                        break false;
                    }
                }
                Ok(socket::Received::Closed) | Err(_) => break true,
            }
        };
        if closed && let Some(mut stream) = self.streams.remove(&id) {
            let _ = self.epoll.delete(stream.fd.as_fd());
            if let Some((line, truncated)) = stream.splitter.finish() {
                count_line(&stream.shared, truncated);
                stream.consumer.line(&line, Instant::now());
            }
            finish(stream);
        }
    }

    fn end_all(&mut self) {
        for (_, stream) in self.streams.drain() {
            finish(stream);
        }
    }
}

fn deliver<C: LineConsumer>(stream: &mut Stream<C>, bytes: &[u8], message: socket::Message) {
    // Relaxed: independent counters, only summed up in reports.
    stream
        .shared
        .bytes
        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
    let Stream {
        consumer,
        splitter,
        shared,
        ..
    } = stream;
    let mut emit = |line: &[u8], truncated: bool| {
        count_line(shared, truncated);
        consumer.line(line, message.written);
    };
    splitter.push(bytes, &mut emit);
    if message.truncated {
        // The kernel dropped the message's tail, and with it any line end: the next message
        // starts afresh.
        splitter.cut(&mut emit);
    }
}

fn count_line(shared: &Shared, truncated: bool) {
    // Relaxed: independent counters.
    shared.lines.fetch_add(1, Ordering::Relaxed);
    if truncated {
        shared.truncated.fetch_add(1, Ordering::Relaxed);
    }
}

/// Drops the consumer (its last line delivered), then tells the handle.
fn finish<C>(stream: Stream<C>) {
    let Stream {
        consumer,
        shared,
        done,
        ..
    } = stream;
    drop(consumer);
    // Relaxed: the oneshot below orders what the handle reads.
    shared.finished.store(true, Ordering::Relaxed);
    let _ = done.send(());
}

#[cfg(test)]
mod tests;
