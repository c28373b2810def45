//! Waiting for a condition with a deadline: the condition is checked again and again, never
//! slept on and hoped for.
//!
//! The pause between two checks starts at 5 ms and doubles up to 100 ms: a condition that holds
//! soon is seen soon, and one that takes seconds costs little CPU on a loaded machine. The
//! condition is always checked once more when the deadline is reached.
//!
//! The blocking functions ([`until`], [`until_some`], [`expect`]) suit plain `#[test]`s and the
//! body of a multi-threaded `#[tokio::test]` (which runs on its own thread, not on a worker).
//! Where the condition must await, or the runtime has a single thread that the awaited work
//! needs, use the `_async` versions: they pause with [`sleep`], which needs no runtime.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

/// The pauses between checks up to a deadline: 5 ms, doubling up to 100 ms, never past the
/// deadline; `None` once it has passed.
struct Pauses {
    end: Instant,
    next: Duration,
}

impl Pauses {
    fn new(deadline: Duration) -> Pauses {
        Pauses {
            end: Instant::now() + deadline,
            next: FIRST_PAUSE,
        }
    }

    fn next(&mut self) -> Option<Duration> {
        let left = self.end.checked_duration_since(Instant::now())?;
        if left.is_zero() {
            return None;
        }
        let pause = self.next.min(left);
        self.next = (self.next * 2).min(LONGEST_PAUSE);
        Some(pause)
    }
}

/// Checks `cond` until it holds (`true`) or `deadline` has passed (`false`).
pub fn until(deadline: Duration, mut cond: impl FnMut() -> bool) -> bool {
    until_some(deadline, || cond().then_some(())).is_some()
}

/// Calls `f` until it returns `Some` (that value), or `None` once `deadline` has passed.
pub fn until_some<T>(deadline: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let mut pauses = Pauses::new(deadline);
    loop {
        if let Some(value) = f() {
            return Some(value);
        }
        std::thread::sleep(pauses.next()?);
    }
}

/// Calls `f` until it returns `Some`; panics with "gave up waiting for `what`" at the deadline.
pub fn expect<T>(what: &str, deadline: Duration, f: impl FnMut() -> Option<T>) -> T {
    until_some(deadline, f)
        .unwrap_or_else(|| panic!("gave up waiting for {what} after {deadline:?}"))
}

/// [`until`] for a condition that awaits.
pub async fn until_async<F, Fut>(deadline: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let mut pauses = Pauses::new(deadline);
    loop {
        if cond().await {
            return true;
        }
        match pauses.next() {
            Some(pause) => sleep(pause).await,
            None => return false,
        }
    }
}

/// [`expect`] for a check that awaits.
pub async fn expect_async<T, F, Fut>(what: &str, deadline: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let mut pauses = Pauses::new(deadline);
    loop {
        if let Some(value) = f().await {
            return value;
        }
        match pauses.next() {
            Some(pause) => sleep(pause).await,
            None => panic!("gave up waiting for {what} after {deadline:?}"),
        }
    }
}

/// A future that is ready once `pause` has passed. It needs no runtime: the first poll starts a
/// thread that sleeps and then wakes the task that polled last.
pub fn sleep(pause: Duration) -> impl Future<Output = ()> {
    Sleep {
        until: Instant::now() + pause,
        waker: None,
    }
}

struct Sleep {
    until: Instant,
    /// The waker of the last poll, shared with the timer thread once it runs.
    waker: Option<Arc<Mutex<Waker>>>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.until {
            return Poll::Ready(());
        }
        match &self.waker {
            Some(shared) => shared
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone_from(cx.waker()),
            None => {
                let shared = Arc::new(Mutex::new(cx.waker().clone()));
                let (until, timer) = (self.until, Arc::clone(&shared));
                std::thread::spawn(move || {
                    // `sleep` may return early on some platforms: sleep until the instant is past.
                    while let Some(left) = until.checked_duration_since(Instant::now()) {
                        if left.is_zero() {
                            break;
                        }
                        std::thread::sleep(left);
                    }
                    timer
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .wake_by_ref();
                });
                self.waker = Some(shared);
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests;
