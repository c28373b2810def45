//! Tests for the line reader: lines across messages, cut messages, abandoning, write times.

use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

use super::*;

/// Each line the consumer got, with its `arrived` time.
type SeenLines = Vec<(Vec<u8>, Instant)>;

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<SeenLines>>);

impl LineConsumer for Seen {
    fn line(&mut self, line: &[u8], arrived: Instant) {
        self.0.lock().unwrap().push((line.to_vec(), arrived));
    }
}

impl Seen {
    fn texts(&self) -> Vec<String> {
        let lines = self.0.lock().unwrap();
        lines
            .iter()
            .map(|(l, _)| String::from_utf8_lossy(l).into_owned())
            .collect()
    }
}

async fn finished(handle: &mut StreamHandle<Seen>) {
    tokio::time::timeout(Duration::from_secs(10), handle.finished())
        .await
        .expect("the stream finishes");
}

#[tokio::test]
async fn lines_split_over_messages_are_joined_and_the_end_flushes_the_last() {
    let reader = LineReader::start(1024, LineTiming::Exact).unwrap();
    let (ours, theirs) = stream_pair(LineTiming::Exact).unwrap();
    let mut writer = File::from(theirs);
    let parts = [
        "[hls @ 0x1] ",
        "[debug] ",
        "Opening 'a.ts'\n",
        "b\nc\n",
        "tail",
    ];
    for part in parts {
        writer.write_all(part.as_bytes()).unwrap();
    }
    let seen = Seen::default();
    let mut handle = reader.add(ours, seen.clone());
    drop(writer);
    finished(&mut handle).await;
    assert_eq!(
        seen.texts(),
        ["[hls @ 0x1] [debug] Opening 'a.ts'", "b", "c", "tail"]
    );
    let stats = handle.stats();
    assert_eq!((stats.lines, stats.truncated), (4, 0));
    assert_eq!(
        stats.bytes,
        parts.iter().map(|p| p.len() as u64).sum::<u64>()
    );
}

#[tokio::test]
async fn long_lines_and_oversized_messages_are_cut_and_counted() {
    let reader = LineReader::start(100, LineTiming::Exact).unwrap();
    let (ours, theirs) = stream_pair(LineTiming::Exact).unwrap();
    let mut writer = File::from(theirs);
    writer.write_all(&[b'x'; 300]).unwrap();
    writer.write_all(b"\nshort\n").unwrap();
    // Longer than a receive buffer: the kernel cuts the message itself.
    let mut huge = vec![b'y'; 70 * 1024];
    huge.push(b'\n');
    writer.write_all(&huge).unwrap();
    writer.write_all(b"after\n").unwrap();
    let seen = Seen::default();
    let mut handle = reader.add(ours, seen.clone());
    drop(writer);
    finished(&mut handle).await;
    let texts = seen.texts();
    assert_eq!(
        texts.len(),
        4,
        "{:?}",
        texts.iter().map(String::len).collect::<Vec<_>>()
    );
    assert_eq!(texts[0], "x".repeat(100));
    assert_eq!(texts[1], "short");
    assert_eq!(texts[2], "y".repeat(100));
    assert_eq!(texts[3], "after");
    assert_eq!(handle.stats().truncated, 2);
}

#[tokio::test]
async fn an_abandoned_stream_finishes_although_its_writer_stays_open() {
    let reader = LineReader::start(1024, LineTiming::Exact).unwrap();
    let (ours, theirs) = stream_pair(LineTiming::Exact).unwrap();
    let mut writer = File::from(theirs);
    writer.write_all(b"one\n").unwrap();
    let seen = Seen::default();
    let mut handle = reader.add(ours, seen.clone());
    assert!(
        hls_swarm_testkit::poll::until(Duration::from_secs(10), || seen.texts().len() == 1),
        "the first line is read"
    );
    handle.abandon();
    finished(&mut handle).await;
    // The consumer is gone: a later write reaches nobody.
    let _ = writer.write_all(b"two\n");
    assert_eq!(seen.texts(), ["one"]);
}

#[tokio::test]
async fn a_line_arrives_when_it_was_written_not_when_it_was_read() {
    let reader = LineReader::start(1024, LineTiming::Exact).unwrap();
    let (ours, theirs) = stream_pair(LineTiming::Exact).unwrap();
    let mut writer = File::from(theirs);
    let written = Instant::now();
    writer.write_all(b"early\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let seen = Seen::default();
    let mut handle = reader.add(ours, seen.clone());
    drop(writer);
    finished(&mut handle).await;
    let lines = seen.0.lock().unwrap();
    let (_, arrived) = lines[0];
    let off = if arrived > written {
        arrived - written
    } else {
        written - arrived
    };
    assert!(
        off < Duration::from_millis(50),
        "written at {written:?}, arrived {arrived:?}: {off:?} apart though read 200 ms later"
    );
}

#[tokio::test]
async fn a_dropped_reader_still_reads_its_streams_to_the_end() {
    let reader = LineReader::<Seen>::start(1024, LineTiming::Exact).unwrap();
    let (ours, theirs) = stream_pair(LineTiming::Exact).unwrap();
    let seen = Seen::default();
    let mut handle = reader.add(ours, seen.clone());
    drop(reader);
    let mut writer = File::from(theirs);
    writer.write_all(b"still read\n").unwrap();
    drop(writer);
    finished(&mut handle).await;
    assert_eq!(seen.texts(), ["still read"]);
}

#[tokio::test]
async fn batched_pipes_deliver_every_line_in_order_timed_when_read() {
    let reader = LineReader::start(1024, LineTiming::Batched).unwrap();
    let (ours, theirs) = stream_pair(LineTiming::Batched).unwrap();
    let seen = Seen::default();
    let mut handle = reader.add(ours, seen.clone());
    let writer = std::thread::spawn(move || {
        let mut writer = File::from(theirs);
        // More than a pipe holds (64 KiB): the writer waits for the reader, nothing is lost.
        let mut before_last_write = Instant::now();
        for i in 0..5_000 {
            for part in [
                "[http @ 0x1] ",
                "[debug] ",
                &format!("request: GET /seg{i}.ts\n"),
            ] {
                before_last_write = Instant::now();
                writer.write_all(part.as_bytes()).unwrap();
            }
        }
        before_last_write
    });
    let wrote_last = writer.join().unwrap();
    finished(&mut handle).await;
    let texts = seen.texts();
    assert_eq!(texts.len(), 5_000);
    for (i, text) in texts.iter().enumerate() {
        assert_eq!(
            text,
            &format!("[http @ 0x1] [debug] request: GET /seg{i}.ts")
        );
    }
    // A line's time is when it was read: the last one no earlier than its last write began.
    let lines = seen.0.lock().unwrap();
    let last = lines.last().unwrap().1;
    assert!(last >= wrote_last, "read before it was written");
    assert!(
        lines.windows(2).all(|w| w[0].1 <= w[1].1),
        "times go backwards"
    );
    assert_eq!(handle.stats().lines, 5_000);
}
