//! Classifying a request path or URL as manifest, segment, init section or other.

use crate::RequestKind;

/// What a path or URL fetches, judged from the extension of its last path segment.
///
/// The query string and fragment are ignored, and extensions compare case-insensitively:
///
/// * `.m3u8`, `.m3u` → [`RequestKind::Manifest`];
/// * `.m4i`, or an `.mp4`/`.m4s`/`.m4a`/`.m4v` whose file name contains `init`
///   (`init.mp4`, `init_0.m4s`, `v0-init.mp4`) → [`RequestKind::Init`];
/// * `.ts`, `.m4s`, `.mp4`, `.aac`, `.m4a`, `.m4v`, `.ac3`, `.ec3`, `.mp3` → [`RequestKind::Segment`];
/// * anything else (`.key`, `.vtt`, `.webvtt`, no extension) → [`RequestKind::Other`].
///
/// ```
/// use hls_swarm_parse::{classify_path, RequestKind};
/// assert_eq!(classify_path("/v0/index.m3u8?token=1"), RequestKind::Manifest);
/// assert_eq!(classify_path("http://127.0.0.1:18085/v0/seg00332.ts"), RequestKind::Segment);
/// assert_eq!(classify_path("/v0/init.mp4"), RequestKind::Init);
/// assert_eq!(classify_path("/subs/en.vtt"), RequestKind::Other);
/// ```
pub fn classify_path(path_or_url: &str) -> RequestKind {
    let bytes = path_or_url.as_bytes();
    let end = bytes
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(bytes.len());
    let path = &bytes[..end];
    let name = match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => &path[slash + 1..],
        None => path,
    };
    let Some(dot) = name.iter().rposition(|&b| b == b'.') else {
        return RequestKind::Other;
    };
    let ext = &name[dot + 1..];
    let stem = &name[..dot];
    let is = |want: &[u8]| ext.eq_ignore_ascii_case(want);
    if is(b"m3u8") || is(b"m3u") {
        RequestKind::Manifest
    } else if is(b"m4i") {
        RequestKind::Init
    } else if is(b"mp4") || is(b"m4s") || is(b"m4a") || is(b"m4v") {
        if contains_ignore_case(stem, b"init") {
            RequestKind::Init
        } else {
            RequestKind::Segment
        }
    } else if is(b"ts") || is(b"aac") || is(b"ac3") || is(b"ec3") || is(b"mp3") {
        RequestKind::Segment
    } else {
        RequestKind::Other
    }
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests;
