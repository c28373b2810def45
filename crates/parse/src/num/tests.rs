//! Unit tests for the number parsers.

use super::{parse_clock_us, parse_f64, parse_i64, parse_u64, trim_spaces};

#[test]
fn u64_rejects_signs_spaces_and_overflow() {
    assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
    assert_eq!(parse_u64(b"18446744073709551616"), None);
    assert_eq!(parse_u64(b""), None);
    assert_eq!(parse_u64(b"+1"), None);
    assert_eq!(parse_u64(b" 1"), None);
}

#[test]
fn i64_covers_the_whole_range() {
    assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
    assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
    assert_eq!(parse_i64(b"9223372036854775808"), None);
    assert_eq!(parse_i64(b"-"), None);
}

#[test]
fn f64_fast_path_rounds_like_std() {
    for s in [
        "0",
        "0.0",
        "-1.0",
        "74.85",
        "1.01",
        "0.989",
        "512.0",
        "123456789012345",
        "0.1",
        "2.97",
        "99999.999999",
        "-0",
        "0.000000000000000000001",
    ] {
        let expected: f64 = s.parse().unwrap();
        assert_eq!(
            parse_f64(s.as_bytes()).map(f64::to_bits),
            Some(expected.to_bits()),
            "{s}"
        );
    }
}

#[test]
fn f64_handles_exponents_and_rejects_non_finite() {
    assert_eq!(parse_f64(b"1e+05"), Some(1e5));
    assert_eq!(parse_f64(b".5"), Some(0.5));
    assert_eq!(parse_f64(b"inf"), None);
    assert_eq!(parse_f64(b"NaN"), None);
    assert_eq!(parse_f64(b"1.0x"), None);
    assert_eq!(parse_f64(b""), None);
}

#[test]
fn clock_reads_progress_and_stats_forms() {
    assert_eq!(parse_clock_us(b"00:00:03.018667"), Some(3_018_667));
    assert_eq!(parse_clock_us(b"00:00:09.01"), Some(9_010_000));
    assert_eq!(parse_clock_us(b"-00:00:00.020000"), Some(-20_000));
    assert_eq!(parse_clock_us(b"123:00:00"), Some(123 * 3_600_000_000));
    assert_eq!(parse_clock_us(b"00:00:01.1234567"), Some(1_123_456));
    assert_eq!(parse_clock_us(b"N/A"), None);
    assert_eq!(parse_clock_us(b"00:61:00"), None);
}

#[test]
fn trim_spaces_trims_both_ends() {
    assert_eq!(trim_spaces(b"  1.01x  "), b"1.01x");
    assert_eq!(trim_spaces(b"   "), b"");
}
