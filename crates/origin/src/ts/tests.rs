//! Unit tests of the timestamp and continuity-counter patching.

use super::*;

/// A video PES start packet on PID 0x100 with a PCR, PTS and DTS, CC = `cc`.
fn packet(cc: u8, pcr: u64, pts: u64, dts: u64) -> Vec<u8> {
    let mut p = vec![0xffu8; PACKET];
    p[0] = 0x47;
    p[1] = 0x40 | 0x01; // PUSI, PID high bits
    p[2] = 0x00;
    p[3] = 0x30 | cc; // adaptation field + payload
    p[4] = 7; // adaptation field length
    p[5] = 0x10; // PCR flag
    let mut pcr_bytes = [0u8, 0, 0, 0, 0x7e, 0];
    shift_pcr(&mut pcr_bytes, pcr);
    p[6..12].copy_from_slice(&pcr_bytes);
    let pes = &mut p[12..];
    pes[..9].copy_from_slice(&[0, 0, 1, 0xe0, 0, 0, 0x80, 0xc0, 10]);
    let mut pts_bytes = [0x31u8, 0, 1, 0, 1];
    shift_timestamp(&mut pts_bytes, pts);
    let mut dts_bytes = [0x11u8, 0, 1, 0, 1];
    shift_timestamp(&mut dts_bytes, dts);
    pes[9..14].copy_from_slice(&pts_bytes);
    pes[14..19].copy_from_slice(&dts_bytes);
    p
}

fn read_ts(b: &[u8]) -> u64 {
    (u64::from(b[0] >> 1) & 0x7) << 30
        | u64::from(b[1]) << 22
        | u64::from(b[2] >> 1) << 15
        | u64::from(b[3]) << 7
        | u64::from(b[4] >> 1)
}

fn read_pcr(b: &[u8]) -> u64 {
    u64::from(b[0]) << 25
        | u64::from(b[1]) << 17
        | u64::from(b[2]) << 9
        | u64::from(b[3]) << 1
        | u64::from(b[4] >> 7)
}

#[test]
fn shifts_pcr_pts_dts_and_cc() {
    let p = packet(14, 126_000, 129_600, 126_000);
    let out = shifted(&p, 1_440_000, &[(0x100, 5)]);
    assert_eq!(out[3] & 0x0f, (14 + 5) % 16);
    assert_eq!(read_pcr(&out[6..12]), 126_000 + 1_440_000);
    assert_eq!(read_ts(&out[21..26]), 129_600 + 1_440_000);
    assert_eq!(read_ts(&out[26..31]), 126_000 + 1_440_000);
    // Marker bits and prefixes survive.
    assert_eq!(out[21] & 0xf1, 0x31);
    assert_eq!(out[26] & 0xf1, 0x11);
    assert_eq!(out[10] & 0x7e, 0x7e);
}

#[test]
fn timestamps_wrap_at_33_bits() {
    let p = packet(0, 0, TS_MASK - 10, TS_MASK - 10);
    let out = shifted(&p, 20, &[]);
    assert_eq!(read_ts(&out[21..26]), 9);
}

#[test]
fn counts_payload_packets_per_pid() {
    let mut data = packet(0, 0, 0, 0);
    data.extend(packet(1, 0, 0, 0));
    let mut af_only = packet(2, 0, 0, 0);
    af_only[3] = 0x20;
    data.extend(af_only);
    assert_eq!(payload_packets_per_pid(&data), vec![(0x100, 2)]);
}
