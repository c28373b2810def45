//! What a request fetches ([`RequestKind`], from its path) and which viewer sent it (from its
//! `User-Agent`).

/// What a request fetches, from its path (and the `#EXT-X-MAP` URIs learnt from playlists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestKind {
    /// A playlist: `*.m3u8` or `*.m3u`.
    Playlist,
    /// A media segment: `*.ts`, `*.m4s`, `*.mp4`, `*.aac`, and the other media extensions.
    Segment,
    /// An initialisation section: a URI a relayed playlist named in `#EXT-X-MAP`, or, before
    /// one is learnt, a media file whose name starts with `init`.
    Init,
    /// Anything else (keys, listings, favicons).
    Other,
}

/// File extensions of media segments (lower case, without the dot).
const SEGMENT_EXTENSIONS: [&str; 14] = [
    "ts", "m4s", "mp4", "m4a", "m4v", "aac", "ac3", "ec3", "mp3", "vtt", "webvtt", "cmfv", "cmfa",
    "fmp4",
];

impl RequestKind {
    /// The kind of a request for `path` (a query is ignored); `learnt_init` says whether a
    /// relayed playlist named this resource in `#EXT-X-MAP`.
    pub(crate) fn classify(path: &str, learnt_init: bool) -> RequestKind {
        if learnt_init {
            return RequestKind::Init;
        }
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let name = path.rsplit('/').next().unwrap_or_default();
        let Some((stem, ext)) = name.rsplit_once('.') else {
            return RequestKind::Other;
        };
        let is = |e: &str| ext.eq_ignore_ascii_case(e);
        if is("m3u8") || is("m3u") {
            RequestKind::Playlist
        } else if SEGMENT_EXTENSIONS.iter().any(|e| is(e)) {
            let init_named = stem
                .get(..4)
                .is_some_and(|s| s.eq_ignore_ascii_case("init"));
            if init_named && !is("ts") {
                RequestKind::Init
            } else {
                RequestKind::Segment
            }
        } else {
            RequestKind::Other
        }
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
