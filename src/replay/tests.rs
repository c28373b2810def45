//! The one-pass replay prints exactly what the earlier several-pass replay printed.
//!
//! `old` below is that earlier code, verbatim but for names (the recorder pass, then
//! `first_url`, `has_timestamps` and `capture_duration` each scanning the capture again, and the
//! progress lines counted in a pass of their own), kept here only as the reference; the one
//! thing added to it since is the marking of a stamped capture's latencies (`with_log_stamps`).

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::pipeline::{CaptureFacts, Replayer, UNKNOWN_URL, summarize};
use super::{output, read_lines};

mod old {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use hls_swarm_aggregate::Aggregator;
    use hls_swarm_parse::{Event, ProgressParser, parse_line, split_log_lines};
    use hls_swarm_report::Report;
    use hls_swarm_stats::{Recorder, Stream};

    /// What the earlier `replay()` printed for these arguments.
    pub fn output(url: Option<&str>, stderr: &[u8], progress: Option<&[u8]>, json: bool) -> String {
        let url = url
            .map(str::to_owned)
            .or_else(|| first_url(stderr))
            .unwrap_or_else(|| "(unknown: no URL in the capture)".to_owned());
        let report = summarize(&url, stderr, progress);
        let mut out = String::new();
        if json {
            out.push_str(&format!("{}\n", report.to_json()));
        } else {
            out.push_str(&format!("{}\n", report.render_text()));
            out.push_str(
                "Note: a replay has no arrival times, so its drift figures are not measurements.\n",
            );
            if !has_timestamps(stderr) {
                out.push_str(
                    "Note: this capture has no timestamps (ffmpeg 5.1 prints none), so its latencies \
                     read 0 ms; measure them with a live run or an ffmpeg 7 capture.\n",
                );
            }
        }
        out
    }

    pub fn summarize(url: &str, stderr: &[u8], progress: Option<&[u8]>) -> Report {
        let started = Instant::now();
        let aggregator = Aggregator::new(url, 1, started);
        let stats = aggregator.register(0);
        let mut recorder =
            Recorder::new(Arc::clone(&stats), started).with_variants(aggregator.variant_lookup());
        let mut lines = 0u64;
        for physical in stderr.split_inclusive(|&b| b == b'\n') {
            lines += 1;
            for line in split_log_lines(physical) {
                recorder.on_line(&parse_line(line), started);
            }
        }
        stats.add_lines_read(Stream::Stderr, lines);
        if let Some(progress) = progress {
            let mut parser = ProgressParser::new();
            parser.feed(progress, |block| recorder.on_progress(block, started));
            let n = progress
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
            stats.add_lines_read(Stream::Progress, n as u64);
        }
        drop(recorder);
        aggregator.set_ramp_launched(1);
        let duration = capture_duration(stderr, progress).unwrap_or(Duration::ZERO);
        let snapshot = aggregator.tick(started + duration);
        let report = Report::from_aggregator(&aggregator, &snapshot);
        if has_timestamps(stderr) {
            return report.with_log_stamps();
        }
        report
    }

    pub fn first_url(stderr: &[u8]) -> Option<String> {
        stderr
            .split(|&b| b == b'\n' || b == b'\r')
            .find_map(|line| match parse_line(line).event {
                Some(Event::Opening { url, .. }) => Some(url.to_owned()),
                _ => None,
            })
    }

    pub fn has_timestamps(stderr: &[u8]) -> bool {
        (stderr.split(|&b| b == b'\n' || b == b'\r')).any(|line| parse_line(line).time.is_some())
    }

    pub fn capture_duration(stderr: &[u8], progress: Option<&[u8]>) -> Option<Duration> {
        let mut first = None;
        let mut last = None;
        for line in stderr.split(|&b| b == b'\n' || b == b'\r') {
            if let Some(t) = parse_line(line).time {
                first.get_or_insert(t.naive_unix_ms);
                last = Some(t.naive_unix_ms);
            }
        }
        if let (Some(a), Some(b)) = (first, last)
            && b > a
        {
            return Some(Duration::from_millis((b - a).unsigned_abs()));
        }
        let mut out_time = None;
        let mut parser = ProgressParser::new();
        parser.feed(progress?, |block| {
            if let Some(us) = block.out_time_us {
                out_time = Some(us);
            }
        });
        out_time
            .filter(|us| *us > 0)
            .map(|us| Duration::from_micros(us.unsigned_abs()))
    }
}

/// Every real capture the project holds (`crates/parse/tests/data`, a copy of the shared
/// fixtures), by name.
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/parse/tests/data");
    let mut files: Vec<PathBuf> = ["ffmpeg-5.1", "upstream"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(data.join(dir)).expect("fixture folder exists"))
        .map(|entry| entry.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".access.log"))
        .collect();
    files.sort();
    let fixtures: Vec<_> = files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    let names: Vec<&String> = fixtures.iter().map(|(name, _)| name).collect();
    assert_eq!(fixtures.len(), 16, "{names:?}");
    fixtures
}

fn is_progress(name: &str) -> bool {
    name.ends_with(".progress") || name == "ffmpeg_progress.txt"
}

/// Which of the old code's branches the cases went through, so that agreeing is not vacuous.
#[derive(Default, Debug)]
struct Seen {
    cases: usize,
    timestamped: usize,
    untimestamped: usize,
    url_from_capture: usize,
    url_unknown: usize,
    duration_from_stamps: usize,
    duration_from_progress: usize,
    no_duration: usize,
}

/// Asserts the new replay prints what the old one printed, text and JSON, with and without `--url`.
fn assert_same(what: &str, stderr: &[u8], progress: Option<&[u8]>, seen: &mut Seen) {
    for url in [None, Some("http://given.example/live.m3u8")] {
        let new = summarize(url, stderr, progress);
        for json in [false, true] {
            let expected = old::output(url, stderr, progress, json);
            assert_eq!(
                output(&new, json),
                expected,
                "{what}, url {url:?}, json {json}"
            );
        }
    }
    seen.cases += 1;
    let stamped = old::has_timestamps(stderr);
    *if stamped {
        &mut seen.timestamped
    } else {
        &mut seen.untimestamped
    } += 1;
    match old::first_url(stderr) {
        Some(_) => seen.url_from_capture += 1,
        None => seen.url_unknown += 1,
    }
    match (
        old::capture_duration(stderr, None),
        old::capture_duration(stderr, progress),
    ) {
        (Some(_), _) => seen.duration_from_stamps += 1,
        (None, Some(_)) => seen.duration_from_progress += 1,
        (None, None) => seen.no_duration += 1,
    }
}

#[test]
fn one_pass_prints_what_the_several_passes_printed_for_every_fixture() {
    let fixtures = fixtures();
    let progresses: Vec<_> = fixtures.iter().filter(|(n, _)| is_progress(n)).collect();
    let mut seen = Seen::default();
    for (name, stderr) in &fixtures {
        assert_same(name, stderr, None, &mut seen);
        for (p_name, progress) in &progresses {
            assert_same(
                &format!("{name} with {p_name}"),
                stderr,
                Some(progress),
                &mut seen,
            );
        }
    }
    eprintln!("{seen:?}");
    assert!(seen.timestamped > 0 && seen.untimestamped > 0, "{seen:?}");
    assert!(
        seen.url_from_capture > 0 && seen.url_unknown > 0,
        "{seen:?}"
    );
    assert!(
        seen.duration_from_stamps > 0 && seen.duration_from_progress > 0 && seen.no_duration > 0,
        "{seen:?}"
    );
}

/// A small deterministic generator (xorshift), so a failure names a reproducible case.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// `data` with each `\n` replaced by one of the line ends ffmpeg's output may hold, then cut
/// somewhere: `\r\n` and lone `\r` split lines differently in the recorder's pass and in the old
/// helpers' (which saw an extra empty line), and a cut leaves a last line without its `\n`.
fn mangle(data: &[u8], rng: &mut Rng) -> Vec<u8> {
    const ENDS: [&[u8]; 5] = [b"\n", b"\n", b"\r\n", b"\r", b"\r\r\n"];
    let mut out = Vec::with_capacity(data.len() * 2);
    for &b in data {
        if b == b'\n' {
            out.extend_from_slice(ENDS[rng.below(ENDS.len())]);
        } else {
            out.push(b);
        }
    }
    out.truncate(rng.below(out.len() + 1));
    out
}

#[test]
fn one_pass_prints_what_the_several_passes_printed_for_mangled_captures() {
    let fixtures = fixtures();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut seen = Seen::default();
    for round in 0..3 {
        for (name, data) in &fixtures {
            let (_, other) = &fixtures[rng.below(fixtures.len())];
            let stderr = mangle(data, &mut rng);
            let progress = mangle(other, &mut rng);
            let what = format!("round {round}, {name} mangled (stderr {} B)", stderr.len());
            assert_same(&what, &stderr, Some(&progress), &mut seen);
        }
    }
    // Two captures back to back: the stamps go back in time where the second begins.
    let by_name = |n: &str| &fixtures.iter().find(|(name, _)| name == n).unwrap().1;
    let two = [
        by_name("ffmpeg_timestamped_2.txt").as_slice(),
        by_name("ffmpeg_timestamped_1.txt"),
    ]
    .concat();
    assert_same("two timestamped captures", &two, None, &mut seen);
    // One stamped line: the stamps span no time, so the progress output gives the duration.
    let first_line = two.split_inclusive(|&b| b == b'\n').next().unwrap();
    let progress = by_name("origin-restart.progress");
    assert_same("one stamped line", first_line, Some(progress), &mut seen);
    // ffmpeg stopped before the `\n` of its last `progress=` line: that line is read, not parsed.
    for (name, progress) in fixtures.iter().filter(|(n, _)| is_progress(n)) {
        let cut = &progress[..progress.len().saturating_sub(1)];
        assert_same(
            &format!("{name} without its last \\n"),
            b"",
            Some(cut),
            &mut seen,
        );
    }
    assert_same("nothing", b"", Some(b""), &mut seen);
    assert_same("a lone \\r", b"\r", Some(b"\r"), &mut seen);
    eprintln!("{seen:?}");
    assert!(seen.timestamped > 0 && seen.untimestamped > 0, "{seen:?}");
    assert!(seen.url_unknown > 0 && seen.no_duration > 0, "{seen:?}");
}

#[test]
fn the_facts_are_learnt_from_the_lines_as_they_go_by() {
    use hls_swarm_parse::{ProgressParser, parse_line};

    let mut facts = CaptureFacts::default();
    for text in [
        &b"2024-01-02 10:00:01.500 [hls @ 0x1] [info] Opening 'http://h/a.m3u8' for reading"[..],
        b"2024-01-02 10:00:02.000 [hls @ 0x1] [info] Opening 'http://h/b.ts' for reading",
        b"no stamp here",
        b"2024-01-02 10:00:04.250 [info] done",
    ] {
        facts.see_line(&parse_line(text));
    }
    assert_eq!(facts.first_url.as_deref(), Some("http://h/a.m3u8"));
    assert!(facts.has_timestamps());
    assert_eq!(
        facts.duration(),
        Some(std::time::Duration::from_millis(2750))
    );

    // Without stamps spanning any time, the last progress `out_time` is the duration.
    let mut facts = CaptureFacts::default();
    let mut parser = ProgressParser::new();
    for line in [
        &b"out_time_us=1500000"[..],
        b"progress=continue",
        b"progress=end",
    ] {
        if let Some(block) = parser.feed_line(line) {
            facts.see_progress(&block);
        }
    }
    assert_eq!(facts.last_out_time_us, Some(1_500_000));
    assert_eq!(
        facts.duration(),
        Some(std::time::Duration::from_micros(1_500_000))
    );
    assert!(!facts.has_timestamps());
    assert_eq!(facts.first_url, None);
    assert_eq!(
        summarize(None, b"", None).report.url,
        UNKNOWN_URL,
        "no URL anywhere"
    );
}

/// A reader that hands out a few bytes a read, a varying number, and is now and then
/// interrupted, as a pipe or a slow disk may be.
struct Trickle<'a> {
    data: &'a [u8],
    most: usize,
    rng: Rng,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.rng.below(10) == 0 {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = (1 + self.rng.below(self.most))
            .min(out.len())
            .min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The chunks `read_lines` hands out of `data`, read through a buffer of `buf` bytes in reads
/// of up to `most` bytes.
fn chunks(data: &[u8], buf: usize, most: usize, seed: u64) -> Vec<Vec<u8>> {
    let input = Trickle {
        data,
        most,
        rng: Rng(seed | 1),
    };
    let mut chunks = Vec::new();
    read_lines(input, &mut vec![0; buf], |chunk| {
        chunks.push(chunk.to_vec())
    })
    .unwrap();
    chunks
}

#[test]
fn the_files_are_read_in_chunks_of_whole_lines() {
    let lines: &[u8] = b"one\ntwo\r\nthree\rfour\n\n\nfive";
    for buf in [1, 2, 5, 64] {
        for most in [1, 3, 100] {
            let chunks = chunks(lines, buf, most, (buf * most) as u64);
            assert_eq!(chunks.concat(), lines, "buf {buf}, reads of {most}");
            let (last, whole) = chunks.split_last().unwrap();
            assert!(whole.iter().all(|c| c.ends_with(b"\n")), "{chunks:?}");
            assert_eq!(last.as_slice(), b"five", "{chunks:?}");
        }
    }
    assert!(chunks(b"", 4, 4, 1).is_empty());
    let chunks = chunks(b"a\nb\n", 64, 100, 1);
    assert_eq!(chunks.last().map(Vec::as_slice), Some(&b"a\nb\n"[..]));
}

/// What the binary prints (JSON, then text) for a capture it streams through a `buf`-byte buffer.
fn streamed_output(stderr: &[u8], progress: Option<&[u8]>, buf: usize, most: usize) -> String {
    let mut replayer = Replayer::new();
    for chunk in chunks(stderr, buf, most, 7 + buf as u64) {
        replayer.stderr(&chunk);
    }
    if let Some(progress) = progress {
        for chunk in chunks(progress, buf, most, 11 + buf as u64) {
            replayer.progress(&chunk);
        }
    }
    let replayed = replayer.finish(None);
    output(&replayed, true) + &output(&replayed, false)
}

#[test]
fn a_streamed_capture_prints_what_the_whole_capture_prints() {
    let fixtures = fixtures();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for (name, data) in &fixtures {
        let (_, other) = &fixtures[rng.below(fixtures.len())];
        let progress = Some(other.as_slice());
        let mangled = mangle(data, &mut rng);
        for stderr in [data.as_slice(), &mangled] {
            let whole = summarize(None, stderr, progress);
            let expected = output(&whole, true) + &output(&whole, false);
            for (buf, most) in [(1, 7), (61, 1_000), (4096, 512), (super::CHUNK, 1 << 20)] {
                assert_eq!(
                    streamed_output(stderr, progress, buf, most),
                    expected,
                    "{name}, buffer {buf}, reads of up to {most}"
                );
            }
        }
    }
}
