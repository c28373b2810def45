//! What a request fetches (a [`RequestKind`], from its path) and which viewer sent it (from
//! its `User-Agent`).

use hls_swarm_parse::{RequestKind, classify_path};

/// What a request for `path` fetches: `hls-swarm-parse`'s classification (the one hls-swarm
/// applies to ffmpeg's log, so both count alike), except that a resource a relayed playlist
/// named in `#EXT-X-MAP` (`learnt_init`) is an init section whatever its name.
pub(crate) fn kind_of(path: &str, learnt_init: bool) -> RequestKind {
    if learnt_init {
        RequestKind::Init
    } else {
        classify_path(path)
    }
}

/// The viewer id in a `User-Agent` that ends in `client-<digits>` (`hls-swarm/client-7` → 7);
/// `None` for any other `User-Agent`, or one whose number does not fit a `u32`.
pub(crate) fn viewer_id(user_agent: &[u8]) -> Option<u32> {
    let digits = user_agent
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 10 {
        return None;
    }
    let (head, number) = user_agent.split_at(user_agent.len() - digits);
    if !head.ends_with(b"client-") {
        return None;
    }
    std::str::from_utf8(number).ok()?.parse().ok()
}

#[cfg(test)]
mod tests;
