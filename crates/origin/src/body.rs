//! Bodies sent by a fault rather than in one piece: rate-limited ([`BodyFault::Rate`]) and cut
//! mid-way ([`BodyFault::Cut`]), each reporting how many bytes it handed over when it ends.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use futures_core::Stream;
use tokio::time::{Instant, Sleep};

use crate::faults::BodyFault;

/// The largest chunk a rate-limited body hands over at once.
const MAX_RATE_CHUNK: u64 = 64 * 1024;

/// How long a cut body waits, after handing over its first half, before it fails (and the
/// server closes the connection): time for the server to write that half to the socket,
/// which it would otherwise drop with the connection.
const CUT_PAUSE: Duration = Duration::from_millis(50);

/// Why a cut body ends: the connection is closed on purpose.
#[derive(Debug, thiserror::Error)]
#[error("body cut by an injected fault")]
pub(crate) struct Cut;

/// Called once, when the body ends or is dropped, with the bytes handed to the connection.
pub(crate) type OnEnd = Box<dyn FnOnce(u64) + Send>;

/// A body streamed by a fault. Dropped by the server when it has been sent, when it failed
/// (a cut), or when the client went away; its `on_end` learns how far it got.
pub(crate) struct FaultBody {
    data: Bytes,
    sent: usize,
    mode: Mode,
    sleep: Option<Pin<Box<Sleep>>>,
    on_end: Option<OnEnd>,
}

enum Mode {
    /// At most `bytes_per_sec`, counted from `started`.
    Rate {
        bytes_per_sec: u64,
        started: Instant,
    },
    /// The first `at` bytes, a pause, then the failure.
    Cut { at: usize },
}

impl FaultBody {
    /// `data` sent as `fault` says (`Rate` or `Cut`; anything else is sent whole at once).
    pub(crate) fn new(data: Bytes, fault: BodyFault, on_end: OnEnd) -> Self {
        let mode = match fault {
            BodyFault::Rate(bytes_per_sec) => Mode::Rate {
                bytes_per_sec: bytes_per_sec.max(1),
                started: Instant::now(),
            },
            BodyFault::Cut => Mode::Cut { at: data.len() / 2 },
            BodyFault::Short | BodyFault::Empty => Mode::Cut { at: data.len() },
        };
        Self {
            data,
            sent: 0,
            mode,
            sleep: None,
            on_end: Some(on_end),
        }
    }

    /// Waits out `deadline`; `Ready` once it has passed.
    fn wait_until(&mut self, deadline: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        sleep.as_mut().poll(cx)
    }

    fn hand_over(&mut self, n: usize) -> Poll<Option<Result<Bytes, Cut>>> {
        let chunk = self.data.slice(self.sent..self.sent + n);
        self.sent += n;
        Poll::Ready(Some(Ok(chunk)))
    }
}

impl Stream for FaultBody {
    type Item = Result<Bytes, Cut>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let left = this.data.len() - this.sent;
        match this.mode {
            Mode::Rate {
                bytes_per_sec,
                started,
            } => {
                if left == 0 {
                    return Poll::Ready(None);
                }
                // Never ahead of the rate: the bytes sent so far are due at `due`.
                let due =
                    started + Duration::from_secs_f64(this.sent as f64 / bytes_per_sec as f64);
                if this.wait_until(due, cx).is_pending() {
                    return Poll::Pending;
                }
                let chunk = (bytes_per_sec / 20).clamp(1, MAX_RATE_CHUNK);
                this.hand_over(left.min(chunk as usize))
            }
            Mode::Cut { at } => {
                if this.sent < at {
                    return this.hand_over(at - this.sent);
                }
                if at == this.data.len() {
                    return Poll::Ready(None);
                }
                let deadline = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(CUT_PAUSE)))
                    .deadline();
                if this.wait_until(deadline, cx).is_pending() {
                    return Poll::Pending;
                }
                Poll::Ready(Some(Err(Cut)))
            }
        }
    }
}

impl Drop for FaultBody {
    fn drop(&mut self) {
        if let Some(on_end) = self.on_end.take() {
            on_end(self.sent as u64);
        }
    }
}

#[cfg(test)]
mod tests;
