//! Tests for `lines`: splitting and the length cap.

use super::*;

fn split(chunks: &[&[u8]], max: usize) -> Vec<(String, bool)> {
    let mut splitter = Splitter::new(max);
    let mut out = Vec::new();
    for chunk in chunks {
        splitter.push(chunk, |l, t| {
            out.push((String::from_utf8(l.to_vec()).unwrap(), t))
        });
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

#[test]
fn a_line_cut_from_a_carried_prefix_keeps_the_prefix() {
    let got = split(&[b"01", b"23456\nab", b"c\n"], 4);
    let want = [("0123", true), ("abc", false)];
    let want: Vec<(String, bool)> = want.iter().map(|(s, t)| (s.to_string(), *t)).collect();
    assert_eq!(got, want);
}
