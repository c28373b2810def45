//! MPEG-TS patching that makes the loop one continuous stream: shifts PTS/DTS/PCR and continuity counters per loop iteration.
//!
//! Served raw, every loop wrap would jump timestamps back and break continuity counters,
//! which ffmpeg 5.1's HLS demuxer does not survive with more than one variant (it stops
//! reading the variant that jumped last and the output stalls). So live segment `N` in
//! loop iteration `k` is the loop segment with `k · loop_ticks` added to every timestamp
//! (modulo 2^33, as MPEG-TS clocks wrap) and `k · packets_per_loop(pid)` added to every
//! continuity counter.

/// TS packet size.
const PACKET: usize = 188;
/// MPEG-TS timestamps are 33 bits of 90 kHz.
const TS_MASK: u64 = (1 << 33) - 1;

/// Per-PID number of payload-carrying packets (which advance the continuity counter).
pub(crate) fn payload_packets_per_pid(data: &[u8]) -> Vec<(u16, u64)> {
    let mut counts: Vec<(u16, u64)> = Vec::new();
    for pkt in data.chunks_exact(PACKET).filter(|p| p[0] == 0x47) {
        if pkt[3] & 0x10 == 0 {
            continue;
        }
        let pid = pid(pkt);
        match counts.iter_mut().find(|(p, _)| *p == pid) {
            Some((_, n)) => *n += 1,
            None => counts.push((pid, 1)),
        }
    }
    counts
}

/// Adds `counts` (per PID) to `total`.
pub(crate) fn add_counts(total: &mut Vec<(u16, u64)>, counts: &[(u16, u64)]) {
    for &(pid, n) in counts {
        match total.iter_mut().find(|(p, _)| *p == pid) {
            Some((_, t)) => *t += n,
            None => total.push((pid, n)),
        }
    }
}

/// A copy of `data` with every PCR, PTS and DTS advanced by `ticks` (90 kHz) and every
/// continuity counter of PID `p` advanced by `cc_delta(p)`.
pub(crate) fn shifted(data: &[u8], ticks: u64, cc_delta: &[(u16, u8)]) -> Vec<u8> {
    let mut out = data.to_vec();
    let ticks = ticks & TS_MASK;
    for pkt in out.chunks_exact_mut(PACKET).filter(|p| p[0] == 0x47) {
        shift_packet(pkt, ticks, cc_delta);
    }
    out
}

fn pid(pkt: &[u8]) -> u16 {
    (u16::from(pkt[1] & 0x1f) << 8) | u16::from(pkt[2])
}

fn shift_packet(pkt: &mut [u8], ticks: u64, cc_delta: &[(u16, u8)]) {
    let pid = pid(pkt);
    let pusi = pkt[1] & 0x40 != 0;
    let afc = (pkt[3] >> 4) & 0x3;
    let has_payload = afc & 0x1 != 0;
    if has_payload {
        let delta = cc_delta
            .iter()
            .find(|(p, _)| *p == pid)
            .map_or(0, |&(_, d)| d);
        pkt[3] = (pkt[3] & 0xf0) | ((pkt[3] & 0x0f).wrapping_add(delta) & 0x0f);
    }
    let mut payload_start = 4;
    if afc & 0x2 != 0 {
        let af_len = usize::from(pkt[4]);
        payload_start = 5 + af_len;
        // PCR flag; the PCR is 6 bytes after the flags byte.
        if af_len >= 7 && pkt[5] & 0x10 != 0 {
            shift_pcr(&mut pkt[6..12], ticks);
        }
    }
    if !(pusi && has_payload) || payload_start + 19 > PACKET {
        return;
    }
    let pes = &mut pkt[payload_start..];
    // A PES start code with a stream id that carries the optional header (audio, video,
    // private stream 1); PSI sections start with a pointer field and never match.
    let is_pes = pes[..3] == [0, 0, 1] && (pes[3] == 0xbd || (0xc0..=0xef).contains(&pes[3]));
    if !is_pes || pes[6] & 0xc0 != 0x80 {
        return;
    }
    let flags = pes[7] >> 6;
    if flags & 0x2 != 0 {
        shift_timestamp(&mut pes[9..14], ticks);
    }
    if flags == 0x3 {
        shift_timestamp(&mut pes[14..19], ticks);
    }
}

/// A 33-bit PES timestamp in its 5-byte marker-bit layout.
fn shift_timestamp(b: &mut [u8], ticks: u64) {
    let ts = (u64::from(b[0] >> 1) & 0x7) << 30
        | u64::from(b[1]) << 22
        | u64::from(b[2] >> 1) << 15
        | u64::from(b[3]) << 7
        | u64::from(b[4] >> 1);
    let ts = (ts + ticks) & TS_MASK;
    b[0] = (b[0] & 0xf1) | (((ts >> 30) as u8 & 0x7) << 1);
    b[1] = (ts >> 22) as u8;
    b[2] = (b[2] & 0x01) | (((ts >> 15) as u8) << 1);
    b[3] = (ts >> 7) as u8;
    b[4] = (b[4] & 0x01) | ((ts as u8) << 1);
}

/// The 33-bit PCR base (the 9-bit extension is left alone).
fn shift_pcr(b: &mut [u8], ticks: u64) {
    let base = u64::from(b[0]) << 25
        | u64::from(b[1]) << 17
        | u64::from(b[2]) << 9
        | u64::from(b[3]) << 1
        | u64::from(b[4] >> 7);
    let base = (base + ticks) & TS_MASK;
    b[0] = (base >> 25) as u8;
    b[1] = (base >> 17) as u8;
    b[2] = (base >> 9) as u8;
    b[3] = (base >> 1) as u8;
    b[4] = (b[4] & 0x7f) | (((base & 1) as u8) << 7);
}

#[cfg(test)]
mod tests;
