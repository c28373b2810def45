//! The playlist reader: what a relayed playlist tells the tap (each segment's `#EXTINF`
//! duration, the `#EXT-X-MAP` init sections, the hosts its URIs name), with relative URIs
//! resolved against the playlist's own URL. Pure and tolerant: a line it does not know is
//! skipped, and no input panics.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::authority::{UrlParts, resource_key};

/// What one playlist says, every URI as a resource key (`host:port/path?query`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PlaylistFacts {
    /// Each media segment it lists, with its `#EXTINF` duration, in playlist order.
    pub(crate) segments: Vec<(String, Duration)>,
    /// The URIs of its `#EXT-X-MAP` tags.
    pub(crate) init: Vec<String>,
    /// The `host:port` of every http(s) URI it names (segments, variants, renditions, keys,
    /// maps), each once.
    pub(crate) hosts: BTreeSet<String>,
}

/// Reads the playlist `text`, fetched from the absolute URL `url`.
pub(crate) fn read_playlist(url: &str, text: &[u8]) -> PlaylistFacts {
    let text = String::from_utf8_lossy(text);
    let mut facts = PlaylistFacts::default();
    let mut pending: Option<Duration> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(info) = line.strip_prefix("#EXTINF:") {
            pending = extinf_duration(info);
        } else if let Some(attributes) = line.strip_prefix("#EXT-X-MAP:") {
            if let Some(key) = attribute(attributes, "URI").and_then(|u| facts.named(url, u)) {
                facts.init.push(key);
            }
        } else if line.starts_with('#') {
            let attributes = line.split_once(':').map(|(_, a)| a).unwrap_or_default();
            if let Some(uri) = attribute(attributes, "URI") {
                facts.named(url, uri);
            }
        } else {
            let key = facts.named(url, line);
            if let (Some(key), Some(duration)) = (key, pending.take()) {
                facts.segments.push((key, duration));
            }
            pending = None;
        }
    }
    facts
}

impl PlaylistFacts {
    /// Notes the host of `uri` (relative to `base`) and returns its resource key.
    fn named(&mut self, base: &str, uri: &str) -> Option<String> {
        let absolute = resolve(base, uri)?;
        let parts = UrlParts::split(&absolute)?;
        if let Some(host) = parts.host_port() {
            self.hosts.insert(host);
        }
        resource_key(&absolute)
    }
}

/// The duration of an `#EXTINF:<seconds>[,<title>]` tag; `None` when it is not a finite,
/// non-negative number of seconds.
fn extinf_duration(info: &str) -> Option<Duration> {
    let seconds: f64 = info.split(',').next()?.trim().parse().ok()?;
    Duration::try_from_secs_f64(seconds).ok()
}

/// The value of attribute `name` in an HLS attribute list (`A=1,URI="x",B=y`), unquoted.
fn attribute<'a>(list: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = list;
    loop {
        let (key, after) = rest.split_once('=')?;
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let (value, after) = quoted.split_once('"')?;
            (value, after.split_once(',').map_or("", |(_, n)| n))
        } else {
            after.split_once(',').unwrap_or((after, ""))
        };
        if key.trim() == name {
            return Some(value);
        }
        if next.is_empty() {
            return None;
        }
        rest = next;
    }
}

/// `reference` resolved against the absolute http(s) URL `base` (RFC 3986 §5.2; the fragment
/// is dropped); `None` when the result is not an http(s) URL (`data:`, `skd:`, …).
pub(crate) fn resolve(base: &str, reference: &str) -> Option<String> {
    let reference = reference.trim().split('#').next().unwrap_or_default();
    if reference.is_empty() {
        return None;
    }
    if has_scheme(reference) {
        let parts = UrlParts::split(reference)?;
        return Some(join(parts.https, parts.authority, parts.rest));
    }
    let base = UrlParts::split(base)?;
    if let Some(network) = reference.strip_prefix("//") {
        let end = network.find(['/', '?']).unwrap_or(network.len());
        let (authority, rest) = network.split_at(end);
        if authority.is_empty() {
            return None;
        }
        return Some(join(
            base.https,
            authority,
            if rest.is_empty() { "/" } else { rest },
        ));
    }
    let base_path = base.rest.split('?').next().unwrap_or_default();
    let merged = if reference.starts_with('/') {
        reference.to_owned()
    } else if reference.starts_with('?') {
        format!("{base_path}{reference}")
    } else {
        let dir = base_path.rfind('/').map_or("/", |i| &base_path[..=i]);
        format!("{dir}{reference}")
    };
    Some(join(base.https, base.authority, &merged))
}

/// Whether `reference` starts with a URI scheme (`letter *( letter / digit / + - . ) ":"`).
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    scheme
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// `scheme://authority` and `rest` with its dot segments removed.
fn join(https: bool, authority: &str, rest: &str) -> String {
    let scheme = if https { "https" } else { "http" };
    format!("{scheme}://{authority}{}", remove_dot_segments(rest))
}

/// RFC 3986 §5.2.4 on the path of `rest` (a path, then maybe `?query`, kept as it is).
fn remove_dot_segments(rest: &str) -> String {
    let (path, query) = rest.split_at(rest.find('?').unwrap_or(rest.len()));
    let mut out: Vec<&str> = Vec::new();
    let mut segments = path.split('/').skip(usize::from(path.starts_with('/')));
    let mut last = "";
    for segment in segments.by_ref() {
        last = segment;
        match segment {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    if last == "." || last == ".." {
        out.push("");
    }
    format!("/{}{query}", out.join("/"))
}

#[cfg(test)]
mod tests;
