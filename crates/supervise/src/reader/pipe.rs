//! The cheaper channel between a viewer and the line reader: a pipe, whose writes the kernel
//! merges into pages, so receiving costs per read, not per write; a line's time is when the
//! reader's batch read it (at most about one batch window after ffmpeg wrote it).
//!
//! Chosen with [`LineTiming::Batched`](crate::LineTiming::Batched), when nothing needs exact
//! line times: with the request tap on, requests are timed by the tap, and the log's times only
//! feed figures of seconds (stalls, drift).

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Instant;

use nix::fcntl::OFlag;

use super::socket::{Message, Received, Receiver};

/// A pipe: `(ours, the child's)`. Ours is the non-blocking read end; both are close-on-exec
/// (the child's end is dup'ed onto its fd by the spawner).
pub(crate) fn pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    let flags = OFlag::from_bits_truncate(nix::fcntl::fcntl(&read, nix::fcntl::FcntlArg::F_GETFL)?);
    nix::fcntl::fcntl(
        &read,
        nix::fcntl::FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK),
    )?;
    Ok((read, write))
}

impl Receiver {
    /// Takes what is queued on the pipe `fd` without waiting, as one message (in buffer 0)
    /// stamped now.
    pub(crate) fn read_pipe(&mut self, fd: &OwnedFd) -> io::Result<Received> {
        let buffer = &mut self.buffers[0];
        // SAFETY: read(2) writes at most `buffer.len()` bytes into the buffer we own.
        let n = unsafe { libc::read(fd.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len()) };
        if n < 0 {
            let error = io::Error::last_os_error();
            return match error.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(Received::Messages(0)),
                _ => Err(error),
            };
        }
        if n == 0 {
            // End of file: every writer is gone.
            return Ok(Received::Closed);
        }
        // `n > 0` and at most the buffer's length: the casts are exact.
        self.messages[0] = Message {
            len: n as usize,
            written: Instant::now(),
            truncated: false,
        };
        Ok(Received::Messages(1))
    }
}
