//! Unit tests for the `-progress` parser.

use super::{MAX_PROGRESS_LINE, ProgressBlock, ProgressParser};

const BLOCK: &[u8] =
    b"frame=75\nfps=74.85\nstream_0_0_q=-1.0\nbitrate=512.0kbits/s\ntotal_size=51324\n\
out_time_us=3018667\nout_time_ms=3018667\nout_time=00:00:03.018667\ndup_frames=1\ndrop_frames=2\n\
speed=3.01x\nprogress=continue\n";

fn blocks(input: &[u8]) -> Vec<ProgressBlock> {
    let mut out = Vec::new();
    ProgressParser::new().feed(input, |b| out.push(*b));
    out
}

#[test]
fn reads_every_key_of_a_full_block() {
    assert_eq!(
        blocks(BLOCK),
        [ProgressBlock {
            frame: Some(75),
            fps: Some(74.85),
            first_stream_q: Some(-1.0),
            bitrate_kbps: Some(512.0),
            total_size: Some(51324),
            out_time_us: Some(3_018_667),
            dup_frames: Some(1),
            drop_frames: Some(2),
            speed: Some(3.01),
            end: false,
        }]
    );
}

#[test]
fn not_available_is_none() {
    let b = blocks(b"frame=1\nbitrate=N/A\ntotal_size=N/A\nspeed=N/A\nout_time_us=N/A\nout_time=N/A\nprogress=end\n");
    assert_eq!(b.len(), 1);
    assert_eq!(
        (
            b[0].bitrate_kbps,
            b[0].total_size,
            b[0].speed,
            b[0].out_time_us
        ),
        (None, None, None, None)
    );
    assert!(b[0].end);
}

#[test]
fn speed_forms() {
    for (line, want) in [
        (&b"speed=1.01x"[..], Some(1.01)),
        (b"speed=1e+05x", Some(1e5)),
        (b"speed=   1x", Some(1.0)),
        (b"speed= 0.989x", Some(0.989)),
        (b"speed=N/A", None),
        (b"speed=1.01", None),
    ] {
        let mut p = ProgressParser::new();
        assert_eq!(p.feed_line(line), None);
        assert_eq!(
            p.feed_line(b"progress=continue").and_then(|b| b.speed),
            want,
            "{line:?}"
        );
    }
}

#[test]
fn out_time_falls_back_to_ms_then_clock() {
    let mut p = ProgressParser::new();
    p.feed_line(b"out_time_ms=2000");
    p.feed_line(b"out_time=00:00:09.000000");
    assert_eq!(
        p.feed_line(b"progress=continue")
            .and_then(|b| b.out_time_us),
        Some(2000)
    );
    p.feed_line(b"out_time=-00:00:00.020000");
    assert_eq!(
        p.feed_line(b"progress=continue")
            .and_then(|b| b.out_time_us),
        Some(-20_000)
    );
    // Fallbacks do not leak into the next block.
    assert_eq!(
        p.feed_line(b"progress=continue")
            .and_then(|b| b.out_time_us),
        None
    );
}

#[test]
fn other_streams_q_is_ignored_and_block_resets() {
    let p = ProgressBlock {
        first_stream_q: Some(2.0),
        ..ProgressBlock::default()
    };
    let b = blocks(b"stream_0_1_q=5.0\nstream_0_0_q=2.0\nprogress=continue\nprogress=continue\n");
    assert_eq!(b, [p, ProgressBlock::default()]);
}

#[test]
fn crlf_and_garbage_lines_are_tolerated() {
    let b = blocks(b"frame=7\r\nnot a key value\r\n=\r\nframe=x\r\nfps=3\r\nprogress=continue\r\n");
    assert_eq!((b[0].frame, b[0].fps), (None, Some(3.0)));
}

#[test]
fn byte_at_a_time_gives_the_same_blocks() {
    let mut p = ProgressParser::new();
    let mut out = Vec::new();
    for byte in BLOCK.iter().chain(BLOCK) {
        p.feed(std::slice::from_ref(byte), |b| out.push(*b));
    }
    assert_eq!(out, blocks(&[BLOCK, BLOCK].concat()));
}

#[test]
fn over_long_lines_are_dropped_however_chunked() {
    let mut input = b"frame=1\nfps=".to_vec();
    input.extend(std::iter::repeat_n(b'9', MAX_PROGRESS_LINE));
    input.extend_from_slice(b"\nprogress=continue\n");
    let whole = blocks(&input);
    assert_eq!((whole[0].frame, whole[0].fps), (Some(1), None));
    let mut p = ProgressParser::new();
    let mut out = Vec::new();
    for chunk in input.chunks(1000) {
        p.feed(chunk, |b| out.push(*b));
    }
    assert_eq!(out, whole);
    assert!(p.carry.capacity() <= MAX_PROGRESS_LINE);
}

#[test]
fn line_of_exactly_the_limit_is_kept() {
    let mut line = b"frame=".to_vec();
    line.extend(std::iter::repeat_n(
        b' ',
        MAX_PROGRESS_LINE - line.len() - 1,
    ));
    line.push(b'7');
    let input = [&line[..], b"\nprogress=end\n"].concat();
    let mut p = ProgressParser::new();
    let mut out = Vec::new();
    for chunk in input.chunks(7) {
        p.feed(chunk, |b| out.push(*b));
    }
    assert_eq!(out, blocks(&input));
    assert_eq!(out[0].frame, Some(7));
}
