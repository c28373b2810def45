//! The deadline helpers: conditions seen, deadlines kept, async without a runtime.

use super::*;
use std::task::Wake;

#[test]
fn until_sees_a_condition_that_comes_true_and_gives_up_at_the_deadline() {
    let begin = Instant::now();
    let mut calls = 0;
    assert!(until(Duration::from_secs(10), || {
        calls += 1;
        calls == 3
    }));
    assert!(begin.elapsed() < Duration::from_secs(5));

    let begin = Instant::now();
    let mut checks = 0;
    assert!(!until(Duration::from_millis(50), || {
        checks += 1;
        false
    }));
    assert!(begin.elapsed() >= Duration::from_millis(50));
    assert!(checks >= 2, "checked {checks} times");
}

#[test]
fn expect_names_what_it_waited_for() {
    let panic =
        std::panic::catch_unwind(|| expect::<()>("the moon", Duration::from_millis(10), || None))
            .unwrap_err();
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(
        text.starts_with("gave up waiting for the moon after"),
        "{text}"
    );
}

/// Wakes the thread that blocks on the future.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A one-future executor: polls, parks until woken.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        std::thread::park();
    }
}

#[test]
fn the_async_versions_wait_without_a_runtime() {
    let begin = Instant::now();
    block_on(sleep(Duration::from_millis(30)));
    assert!(begin.elapsed() >= Duration::from_millis(30));

    let mut n = 0;
    let got = block_on(expect_async("three", Duration::from_secs(10), || {
        n += 1;
        let n = n;
        async move { (n == 3).then_some(n) }
    }));
    assert_eq!(got, 3);
    assert!(!block_on(until_async(
        Duration::from_millis(20),
        || async { false }
    )));
}
