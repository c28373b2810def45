//! The channel between a viewer and the line reader: a `SOCK_SEQPACKET` socket pair whose
//! receiving end stamps every write with the kernel's clock.
//!
//! A pipe says nothing of *when* bytes were written, so a reader that wants exact arrival
//! times must wake for every write. With `SO_TIMESTAMPNS` on a packet socket each of ffmpeg's
//! writes (one per `av_log` part, one per `-progress` block) arrives as one message carrying
//! the time it was written, so the reader can sleep between batches and lose no timing.

use std::io;
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant, SystemTime};

use nix::sys::socket::{
    self, AddressFamily, ControlMessageOwned, MsgFlags, MultiHeaders, SockFlag, SockType, sockopt,
};
use nix::sys::time::TimeSpec;

/// Bytes the child's end may have in flight before its writes block: about 2,700 short
/// messages, many seconds of one ffmpeg's log. The kernel caps it at `net.core.wmem_max`
/// (often 208 KiB, about 270 messages: still seconds of log).
const CHILD_SEND_BUFFER: usize = 1 << 20;

/// Messages one receive call takes at most.
pub(crate) const BATCH: usize = 32;

/// Largest message kept whole: ffmpeg caps a log line at 64 KiB; a longer message is cut
/// (and counted as truncated).
const MESSAGE_MAX: usize = 64 * 1024;

/// A socket pair: `(ours, the child's)`. Ours is non-blocking and timestamps what it receives;
/// both are close-on-exec (the child's end is dup'ed onto its fd by the spawner).
pub(crate) fn pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let (ours, theirs) = socket::socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )?;
    socket::setsockopt(&ours, sockopt::ReceiveTimestampns, &true)?;
    // Best effort: the kernel silently caps it; a refusal leaves the default buffer.
    let _ = socket::setsockopt(&theirs, sockopt::SndBuf, &CHILD_SEND_BUFFER);
    set_nonblocking(&ours)?;
    Ok((ours, theirs))
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// One received message: its bytes are `buffers[index][..len]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Message {
    pub(crate) len: usize,
    /// When it was written (the kernel's stamp), on the monotonic clock.
    pub(crate) written: Instant,
    /// It was longer than the buffer and was cut.
    pub(crate) truncated: bool,
}

/// What one receive call found.
pub(crate) enum Received {
    /// Up to [`BATCH`] messages; fewer means the socket was drained.
    Messages(usize),
    /// The child's end is closed and every message was read.
    Closed,
}

/// Buffers for [`BATCH`] messages, reused for every receive call of the reader thread.
pub(crate) struct Receiver {
    headers: MultiHeaders<()>,
    pub(super) buffers: Vec<Vec<u8>>,
    pub(crate) messages: [Message; BATCH],
}

impl Receiver {
    pub(crate) fn new() -> Self {
        let now = Instant::now();
        Receiver {
            headers: MultiHeaders::preallocate(BATCH, Some(nix::cmsg_space!(TimeSpec))),
            buffers: (0..BATCH).map(|_| vec![0u8; MESSAGE_MAX]).collect(),
            messages: [Message {
                len: 0,
                written: now,
                truncated: false,
            }; BATCH],
        }
    }

    /// Message `i` of the last call filled its whole buffer.
    pub(crate) fn filled(&self, i: usize) -> bool {
        self.messages[i].len == self.buffers[i].len()
    }

    /// The bytes of message `i` of the last call.
    pub(crate) fn bytes(&self, i: usize) -> &[u8] {
        &self.buffers[i][..self.messages[i].len]
    }

    /// Takes what is queued on `fd` without waiting.
    pub(crate) fn receive(&mut self, fd: &OwnedFd) -> io::Result<Received> {
        let mut slices: Vec<[IoSliceMut<'_>; 1]> = self
            .buffers
            .iter_mut()
            .map(|b| [IoSliceMut::new(b)])
            .collect();
        let results = match socket::recvmmsg(
            fd.as_raw_fd(),
            &mut self.headers,
            slices.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        ) {
            Ok(results) => results,
            Err(nix::errno::Errno::EAGAIN) => return Ok(Received::Messages(0)),
            Err(nix::errno::Errno::EINTR) => return Ok(Received::Messages(0)),
            Err(e) => return Err(e.into()),
        };
        // One clock pair per call converts the kernel's wall-clock stamps to Instants.
        let (now, wall) = (Instant::now(), SystemTime::now());
        let mut n = 0;
        let mut closed = false;
        for message in results {
            if message.bytes == 0 {
                // A packet socket reads 0 bytes only once the writer is gone (ffmpeg never
                // writes an empty message).
                closed = true;
                break;
            }
            let stamp = message.cmsgs().ok().and_then(|mut cmsgs| {
                cmsgs.find_map(|c| match c {
                    ControlMessageOwned::ScmTimestampns(ts) => Some(ts),
                    _ => None,
                })
            });
            self.messages[n] = Message {
                len: message.bytes,
                written: stamp.map_or(now, |ts| to_instant(ts, now, wall)),
                truncated: message.flags.contains(MsgFlags::MSG_TRUNC),
            };
            n += 1;
        }
        Ok(if closed && n == 0 {
            Received::Closed
        } else {
            // Messages before the end: the next call reports the end.
            Received::Messages(n)
        })
    }
}

/// A wall-clock stamp as an `Instant`, given one reading of both clocks; a stamp from the
/// future (the wall clock stepped back) is now.
fn to_instant(stamp: TimeSpec, now: Instant, wall: SystemTime) -> Instant {
    let stamp = SystemTime::UNIX_EPOCH
        + Duration::new(
            u64::try_from(stamp.tv_sec()).unwrap_or(0),
            u32::try_from(stamp.tv_nsec()).unwrap_or(0),
        );
    match wall.duration_since(stamp) {
        Ok(ago) => now.checked_sub(ago).unwrap_or(now),
        Err(_) => now,
    }
}
