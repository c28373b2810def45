//! Tests for `lines`: splitting, the length cap, drop counting.

use std::sync::Mutex;
use std::time::Duration;

use super::*;

fn split(chunks: &[&[u8]], max: usize) -> Vec<(String, bool)> {
    let mut splitter = Splitter::new(max);
    let mut out = Vec::new();
    for chunk in chunks {
        splitter.push(chunk, |l, t| out.push((String::from_utf8(l).unwrap(), t)));
    }
    if let Some((l, t)) = splitter.finish() {
        out.push((String::from_utf8(l).unwrap(), t));
    }
    out
}

#[test]
fn splits_on_newline_across_chunks_and_keeps_carriage_returns() {
    let got = split(&[b"frame= 1\r[info] a\n", b"b", b"c\n\n", b"tail"], 64);
    let want = [
        ("frame= 1\r[info] a", false),
        ("bc", false),
        ("", false),
        ("tail", false),
    ];
    let want: Vec<(String, bool)> = want.iter().map(|(s, t)| (s.to_string(), *t)).collect();
    assert_eq!(got, want);
}

#[test]
fn long_lines_are_cut_and_the_rest_skipped() {
    let got = split(&[b"0123", b"456789\nok\n", b"abcd\n"], 4);
    let want = [("0123", true), ("ok", false), ("abcd", false)];
    let want: Vec<(String, bool)> = want.iter().map(|(s, t)| (s.to_string(), *t)).collect();
    assert_eq!(got, want);
}

#[derive(Clone, Default)]
struct Slow {
    seen: Arc<Mutex<(u64, u64)>>,
}

impl LineConsumer for Slow {
    fn line(&mut self, _: &[u8], _: Instant) {
        std::thread::sleep(Duration::from_micros(200));
        self.seen.lock().unwrap().0 += 1;
    }
    fn dropped(&mut self, n: u64) {
        self.seen.lock().unwrap().1 += n;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_channel_drops_and_counts_without_blocking_the_writer() {
    let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    let consumer = Slow::default();
    let seen = consumer.seen.clone();
    let mut pump = Pump::start(
        std::io::Cursor::new(text.clone().into_bytes()),
        consumer,
        4,
        1024,
    );
    tokio::time::timeout(Duration::from_secs(10), pump.finished())
        .await
        .expect("the reader must not wait for the consumer");
    let stats = pump.stats();
    let (delivered, dropped) = *seen.lock().unwrap();
    assert_eq!(stats.lines, 20_000);
    assert!(dropped > 0);
    assert_eq!(dropped, stats.dropped);
    assert_eq!(delivered + dropped, 20_000);
    assert_eq!(stats.bytes, text.len() as u64);
}
