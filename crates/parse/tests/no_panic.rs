//! No input panics the parsers, and `-progress` parsing does not depend on how bytes are chunked.
//!
//! Case count: `PROPTEST_CASES` (default 4096 per property, about 4 s in a debug build).
//! A long run: `PROPTEST_CASES=1000000 cargo test --release -p hls-swarm-parse --test no_panic`.

use hls_swarm_parse::{ProgressBlock, ProgressParser, parse_line, split_log_lines};
use proptest::prelude::*;

const DEFAULT_CASES: u32 = 4096;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Real lines to splice bytes into, so the fuzzing reaches deep into every pattern.
fn real_lines() -> &'static [&'static [u8]] {
    static LINES: std::sync::OnceLock<Vec<&'static [u8]>> = std::sync::OnceLock::new();
    LINES.get_or_init(|| {
        let mut lines: Vec<&[u8]> = [
            &include_bytes!("data/ffmpeg-5.1/http-errors.stderr")[..],
            include_bytes!("data/ffmpeg-5.1/refused.stderr"),
            include_bytes!("data/upstream/ffmpeg_timestamped_1.txt"),
            include_bytes!("data/upstream/ffmpeg_debug_comprehensive.txt"),
        ]
        .into_iter()
        .flat_map(split_log_lines)
        .filter(|l| parse_line(l).event.is_some())
        .collect();
        lines.sort();
        lines.dedup();
        lines
    })
}

const PROGRESS: &[u8] = include_bytes!("data/ffmpeg-5.1/first-variant.progress");

fn parse_everything(bytes: &[u8]) {
    for line in split_log_lines(bytes) {
        let _ = parse_line(line);
    }
    let _ = parse_line(bytes);
    let mut parser = ProgressParser::new();
    parser.feed(bytes, |_| {});
    let _ = parser.feed_line(bytes);
}

fn blocks_in_chunks(input: &[u8], cuts: &[usize]) -> Vec<ProgressBlock> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut parser = ProgressParser::new();
    let mut out = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([input.len()]) {
        parser.feed(&input[start..cut], |b| out.push(*b));
        start = cut;
    }
    out
}

/// Bytes that are mostly what ffmpeg prints: the characters of its patterns, digits, separators.
///
/// Drawn as plain bytes and mapped through a table (a `prop_oneof!` per byte is ten times slower
/// to generate in debug builds); one byte value in five passes through unchanged.
fn ffmpeg_ish(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    const ALPHABET: &[u8] = b"[]@ 0x:./'=-_\r\n\tNA/xkbits0123456789eE+reqtcphlsfame";
    prop::collection::vec(any::<u8>(), 0..max_len).prop_map(|bytes| {
        bytes
            .into_iter()
            .map(|b| {
                if b % 5 == 0 {
                    b
                } else {
                    ALPHABET[usize::from(b) % ALPHABET.len()]
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_do_not_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_everything(&bytes);
    }

    #[test]
    fn ffmpeg_like_bytes_do_not_panic(bytes in ffmpeg_ish(300)) {
        parse_everything(&bytes);
    }

    #[test]
    fn bytes_spliced_into_real_lines_do_not_panic(
        idx in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        cut in 0usize..8,
        insert in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let lines = real_lines();
        let line = lines[idx.index(lines.len())];
        let at = at.index(line.len() + 1);
        let end = (at + cut).min(line.len());
        let spliced = [&line[..at], &insert[..], &line[end..]].concat();
        parse_everything(&spliced);
        // Cut short anywhere: every prefix of a real line is safe too.
        parse_everything(&line[..at]);
    }

    #[test]
    fn progress_chunking_never_changes_the_blocks(
        cuts in prop::collection::vec(any::<usize>(), 0..40),
        noise in prop::collection::vec(any::<u8>(), 0..64),
        noise_at in any::<prop::sample::Index>(),
    ) {
        let at = noise_at.index(PROGRESS.len() + 1);
        let input = [&PROGRESS[..at], &noise[..], &PROGRESS[at..]].concat();
        let whole = blocks_in_chunks(&input, &[]);
        prop_assert_eq!(blocks_in_chunks(&input, &cuts), whole);
    }

    #[test]
    fn progress_chunking_is_invariant_on_arbitrary_bytes(
        input in ffmpeg_ish(600),
        cuts in prop::collection::vec(any::<usize>(), 0..20),
    ) {
        prop_assert_eq!(blocks_in_chunks(&input, &cuts), blocks_in_chunks(&input, &[]));
    }

    #[test]
    fn split_lines_lose_no_bytes_but_terminators(bytes in ffmpeg_ish(300)) {
        let kept: usize = split_log_lines(&bytes).map(<[u8]>::len).sum();
        let terminators = bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
        prop_assert_eq!(kept + terminators, bytes.len());
        for line in split_log_lines(&bytes) {
            prop_assert!(!line.contains(&b'\n') && !line.contains(&b'\r'));
        }
    }
}

#[test]
fn progress_fixture_in_one_go_gives_every_block() {
    let blocks = blocks_in_chunks(PROGRESS, &[]);
    assert_eq!(blocks.len(), 10);
    assert_eq!(blocks.iter().filter(|b| b.end).count(), 1);
    assert!(blocks.last().is_some_and(|b| b.end));
}
