//! Preflight of the target: is the URL reachable, and is it an HLS playlist? One sentence if not.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use reqwest::Url;

use crate::exit::{Exit, Failure};

/// What the preflight learnt about the target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetInfo {
    /// The variants listed by a master playlist (empty for a media playlist).
    pub variants: Vec<VariantInfo>,
}

/// One `#EXT-X-STREAM-INF` entry of a master playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantInfo {
    /// `BANDWIDTH=` in bit/s.
    pub bandwidth: Option<u64>,
    /// `RESOLUTION=`, e.g. `640x360`.
    pub resolution: Option<String>,
    /// The URI line that follows.
    pub uri: String,
}

/// Checks that `url` is an absolute http(s) URL with a host.
pub fn validate_url(url: &str) -> Result<Url, Failure> {
    let parsed = Url::parse(url).map_err(|e| {
        Failure::summarizing(
            Exit::Config,
            format!("{url:?} is not a valid URL ({e}): pass the full playlist URL, like http://origin:8080/live/master.m3u8"),
            e,
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Failure::new(
            Exit::Config,
            format!(
                "{url:?} uses the {} scheme: hls-swarm plays http:// and https:// URLs",
                parsed.scheme()
            ),
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Failure::new(
            Exit::Config,
            format!("{url:?} has no host: pass the full playlist URL"),
        ));
    }
    Ok(parsed)
}

/// Fetches the playlist once, as a viewer would, and says plainly what is wrong with it.
///
/// https targets are not fetched here (this build has no TLS client); the viewers' own
/// failures then tell the story.
pub async fn preflight(
    url: &Url,
    user_agent: &str,
    headers: &[(String, String)],
    resolve: Option<IpAddr>,
    timeout: Duration,
) -> Result<Option<TargetInfo>, Failure> {
    if url.scheme() != "http" {
        return Ok(None);
    }
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(timeout)
        .connect_timeout(timeout)
        .no_proxy();
    if let (Some(ip), Some(host)) = (resolve, url.host_str()) {
        let port = url.port_or_known_default().unwrap_or(80);
        builder = builder.resolve(host, SocketAddr::new(ip, port));
    }
    let client = builder
        .build()
        .map_err(|e| Failure::caused_by(Exit::Runtime, "cannot build an HTTP client", e))?;
    let mut request = client.get(url.clone());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(|e| unreachable(url, e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(Failure::new(
            Exit::Target,
            format!(
                "the origin answered {status} for {url}: check the playlist path (viewers would get the same)"
            ),
        ));
    }
    let body = response.bytes().await.map_err(|e| unreachable(url, e))?;
    let text = String::from_utf8_lossy(&body);
    if !text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("#EXTM3U")
    {
        return Err(Failure::new(
            Exit::Target,
            format!(
                "{url} is not an HLS playlist (its body does not start with #EXTM3U): pass the .m3u8 URL of the stream"
            ),
        ));
    }
    Ok(Some(TargetInfo {
        variants: master_variants(&text),
    }))
}

fn unreachable(url: &Url, err: reqwest::Error) -> Failure {
    let host = url.host_str().unwrap_or("?");
    let port = url.port_or_known_default().unwrap_or(80);
    let why = if err.is_timeout() {
        "it did not answer in time".to_owned()
    } else if err.is_connect() {
        let mut source: Option<&dyn std::error::Error> = Some(&err);
        let mut root = String::from("connection failed");
        while let Some(e) = source {
            root = e.to_string();
            source = e.source();
        }
        root
    } else {
        err.to_string()
    };
    Failure::summarizing(
        Exit::Target,
        format!(
            "cannot reach {host}:{port} ({why}): check that the origin is running and the URL's host and port are right"
        ),
        err,
    )
}

/// The `#EXT-X-STREAM-INF` entries of a master playlist, in order.
pub fn master_variants(playlist: &str) -> Vec<VariantInfo> {
    let mut out = Vec::new();
    let mut lines = playlist.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(attrs) = line.strip_prefix("#EXT-X-STREAM-INF:") else {
            continue;
        };
        let uri = lines
            .by_ref()
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or_default();
        out.push(VariantInfo {
            bandwidth: attribute(attrs, "BANDWIDTH").and_then(|v| v.parse().ok()),
            resolution: attribute(attrs, "RESOLUTION").map(str::to_owned),
            uri: uri.to_owned(),
        });
    }
    out
}

/// The value of `NAME=` in an attribute list (quoted values are not split on commas).
fn attribute<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = attrs;
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            let tail = quoted.get(end + 1..).unwrap_or("");
            (&quoted[..end], tail.strip_prefix(',').unwrap_or(tail))
        } else {
            match after.split_once(',') {
                Some((v, n)) => (v, n),
                None => (after, ""),
            }
        };
        if key.trim() == name {
            return Some(value);
        }
        rest = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_playlist_variants_are_read_with_quoted_commas() {
        let text = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360\nv0/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=250000,RESOLUTION=320x180\nv1/index.m3u8\n";
        let v = master_variants(text);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].bandwidth, Some(800_000));
        assert_eq!(v[0].resolution.as_deref(), Some("640x360"));
        assert_eq!(v[0].uri, "v0/index.m3u8");
        assert_eq!(v[1].bandwidth, Some(250_000));
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(validate_url("http://127.0.0.1:8080/master.m3u8").is_ok());
        let err = validate_url("ftp://x/y.m3u8").unwrap_err();
        assert_eq!(err.exit, Exit::Config);
        assert!(err.message.contains("ftp"));
        assert_eq!(validate_url("not a url").unwrap_err().exit, Exit::Config);
    }
}
