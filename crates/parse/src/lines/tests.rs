//! Unit tests for line splitting.

use super::{find_eol, find_newline, split_log_lines};

fn split(buf: &[u8]) -> Vec<&[u8]> {
    split_log_lines(buf).collect()
}

#[test]
fn splits_on_lf_crlf_and_lone_cr() {
    assert_eq!(split(b"a\nb\r\nc\rd"), [&b"a"[..], b"b", b"c", b"d"]);
}

#[test]
fn final_terminator_makes_no_empty_line() {
    assert_eq!(split(b"a\n"), [&b"a"[..]]);
    assert_eq!(split(b"a\r"), [&b"a"[..]]);
    assert_eq!(split(b"a\r\n"), [&b"a"[..]]);
    assert!(split(b"").is_empty());
}

#[test]
fn blank_lines_in_the_middle_are_kept() {
    // What ffmpeg prints after the HTTP request headers: `\r\n\r\n\n`.
    assert_eq!(
        split(b"Icy-MetaData: 1\r\n\r\n\nx"),
        [&b"Icy-MetaData: 1"[..], b"", b"", b"x"]
    );
}

#[test]
fn cr_then_cr_lf_is_an_empty_line() {
    assert_eq!(split(b"a\r\r\nb"), [&b"a"[..], b"", b"b"]);
}

#[test]
fn find_eol_agrees_with_a_naive_scan_at_every_offset() {
    let mut buf = [b'x'; 40];
    for i in 0..buf.len() {
        for &c in b"\n\r" {
            buf[i] = c;
            assert_eq!(find_eol(&buf), Some(i));
            assert_eq!(find_newline(&buf), (c == b'\n').then_some(i));
            buf[i] = b'x';
        }
    }
    assert_eq!(find_eol(&buf), None);
    // Bytes just above and below the targets must not be mistaken for them.
    assert_eq!(
        find_eol(&[0x0b, 0x0c, 0x0e, 0x09, 0x8a, 0x8d, 0xff, 0x00, 0x0a]),
        Some(8)
    );
}
