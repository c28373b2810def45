//! Unit tests of the fault bodies: the rate is kept, a cut body fails after its half, and each
//! says how far it got, also when dropped early.

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::*;

/// A body over `len` bytes and where its `on_end` writes.
fn body(len: usize, fault: BodyFault) -> (FaultBody, Arc<Mutex<Option<u64>>>) {
    let ended = Arc::new(Mutex::new(None));
    let seen = ended.clone();
    let on_end: OnEnd = Box::new(move |sent| *seen.lock().unwrap() = Some(sent));
    (
        FaultBody::new(Bytes::from(vec![7u8; len]), fault, on_end),
        ended,
    )
}

async fn next(body: &mut FaultBody) -> Option<Result<Bytes, Cut>> {
    poll_fn(|cx| Pin::new(&mut *body).poll_next(cx)).await
}

#[tokio::test]
async fn a_rate_limited_body_keeps_to_its_rate_in_twentieths_of_a_second() {
    let (mut b, ended) = body(4000, BodyFault::Rate(20_000));
    let start = Instant::now();
    let mut chunks = Vec::new();
    while let Some(chunk) = next(&mut b).await {
        chunks.push(chunk.unwrap().len());
    }
    // 1000 bytes a chunk; the last is due when 3000 have gone at 20,000 B/s: 150 ms.
    assert_eq!(chunks, [1000; 4]);
    assert!(
        start.elapsed() >= Duration::from_millis(150),
        "{:?}",
        start.elapsed()
    );
    drop(b);
    assert_eq!(*ended.lock().unwrap(), Some(4000));
}

#[tokio::test]
async fn a_cut_body_hands_over_half_then_fails() {
    let (mut b, ended) = body(1001, BodyFault::Cut);
    assert_eq!(next(&mut b).await.unwrap().unwrap().len(), 500);
    let start = Instant::now();
    assert!(matches!(next(&mut b).await, Some(Err(Cut))));
    assert!(start.elapsed() >= CUT_PAUSE);
    assert_eq!(
        *ended.lock().unwrap(),
        None,
        "not ended before it is dropped"
    );
    drop(b);
    assert_eq!(*ended.lock().unwrap(), Some(500));
}

#[tokio::test]
async fn a_body_dropped_early_says_how_far_it_got() {
    let (mut b, ended) = body(100_000, BodyFault::Rate(10_000));
    assert_eq!(next(&mut b).await.unwrap().unwrap().len(), 500);
    drop(b);
    assert_eq!(*ended.lock().unwrap(), Some(500));
}
