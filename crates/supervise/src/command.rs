//! The ffmpeg command line of one viewer, built from a config and the installed ffmpeg's capabilities.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::capabilities::Capabilities;
use crate::header::{Header, HeaderError};

/// Which streams of the HLS input a viewer pulls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Variant {
    /// Every variant (`-map 0`): the heaviest load, one download per variant.
    #[default]
    All,
    /// The first video and audio stream (`-map 0:v:0? -map 0:a:0?`).
    First,
    /// The variant with the highest `variant_bitrate` (needs [`FfmpegConfig::program_id`]
    /// from [`probe_variants`](crate::probe_variants); falls back to [`Variant::First`]).
    Highest,
    /// The variant with the lowest `variant_bitrate` (same rule as [`Variant::Highest`]).
    Lowest,
}

/// Everything that decides a viewer's ffmpeg command line, except the viewer id.
#[derive(Clone, Debug)]
pub struct FfmpegConfig {
    /// The ffmpeg binary (a path, or a bare name looked up on `PATH`).
    pub ffmpeg: PathBuf,
    /// The HLS playlist URL (`http://` or `https://`).
    pub url: String,
    /// Base User-Agent; viewer N sends `<user_agent>/client-N`.
    pub user_agent: String,
    /// Extra request headers, sent after the generated ones.
    pub headers: Vec<Header>,
    /// Add `Cache-Control: no-cache, no-store, must-revalidate` and `Pragma: no-cache`.
    pub no_cache: bool,
    /// Connect to this address instead of resolving the URL's host: the URL's host is
    /// replaced by it, the original host goes in a `Host` header, and for `https://`
    /// TLS verification is turned off (`-tls_verify 0`).
    pub resolve: Option<IpAddr>,
    /// Network read/write timeout (`-rw_timeout`, in microseconds).
    pub timeout: Duration,
    /// Pass ffmpeg's HTTP reconnect options (those the installed ffmpeg knows).
    pub reconnect: bool,
    /// `-reconnect_delay_max`, in seconds.
    pub reconnect_delay_max: u32,
    /// `-seg_max_retry` (only passed when the installed hls demuxer has it).
    pub seg_max_retry: u32,
    /// Which streams to pull.
    pub variant: Variant,
    /// The HLS program chosen by a variant probe, for [`Variant::Highest`]/[`Variant::Lowest`].
    pub program_id: Option<u32>,
    /// Base ffmpeg log level (`debug` or `verbose`); `repeat+level[+datetime]+` is prepended.
    pub loglevel: String,
    /// Send every request through this HTTP proxy (`-http_proxy`, when the installed ffmpeg
    /// has it): the request tap's `http://127.0.0.1:PORT`.
    pub http_proxy: Option<String>,
}

/// Why an [`FfmpegConfig`] cannot be turned into a command line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The URL is not an `http://` or `https://` URL with a host.
    #[error("stream URL {url:?} is not usable: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it, and what to do.
        reason: &'static str,
    },
    /// The User-Agent contains a line break or another control character.
    #[error("user agent {0:?} contains a control character: use printable text only")]
    InvalidUserAgent(String),
    /// The base log level is not a plain ffmpeg level name.
    #[error("ffmpeg log level {0:?} is not a level name: use debug, verbose or info")]
    InvalidLogLevel(String),
    /// The timeout is zero.
    #[error("network timeout must be greater than zero")]
    ZeroTimeout,
    /// A header is invalid.
    #[error(transparent)]
    Header(#[from] HeaderError),
}

impl FfmpegConfig {
    /// A config with the defaults: UA `hls-swarm/<version>`, 15 s timeout,
    /// reconnect on (max delay 5 s), `seg_max_retry` 3, all variants, base level `debug`,
    /// `ffmpeg` from `PATH`.
    pub fn new(url: impl Into<String>) -> Self {
        FfmpegConfig {
            ffmpeg: PathBuf::from("ffmpeg"),
            url: url.into(),
            user_agent: concat!("hls-swarm/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
            no_cache: false,
            resolve: None,
            timeout: Duration::from_secs(15),
            reconnect: true,
            reconnect_delay_max: 5,
            seg_max_retry: 3,
            variant: Variant::All,
            program_id: None,
            loglevel: "debug".to_owned(),
            http_proxy: None,
        }
    }

    /// Checks everything [`build_args`](Self::build_args) relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        UrlParts::split(&self.url)?;
        if self.user_agent.chars().any(char::is_control) {
            return Err(ConfigError::InvalidUserAgent(self.user_agent.clone()));
        }
        let level_ok = !self.loglevel.is_empty()
            && self
                .loglevel
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !level_ok {
            return Err(ConfigError::InvalidLogLevel(self.loglevel.clone()));
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout);
        }
        Ok(())
    }

    /// The URL ffmpeg is given: the configured one, with the host replaced by
    /// [`resolve`](Self::resolve) when set.
    pub fn effective_url(&self) -> String {
        match (self.resolve, UrlParts::split(&self.url)) {
            (Some(ip), Ok(parts)) => parts.with_host(ip),
            _ => self.url.clone(),
        }
    }

    /// The User-Agent viewer `viewer` sends: `<base>/client-<viewer>` (viewer 0 included).
    pub fn user_agent_for(&self, viewer: u32) -> String {
        format!("{}/client-{viewer}", self.user_agent)
    }

    /// The generated and configured headers as one `-headers` value (`Name: value\r\n` each),
    /// or `None` when there are none. Order: `Host` (with resolve), the no-cache pair, then
    /// [`headers`](Self::headers).
    pub fn headers_value(&self) -> Option<String> {
        let mut out = String::new();
        if self.resolve.is_some()
            && let Ok(parts) = UrlParts::split(&self.url)
        {
            let _ = write!(out, "Host: {}\r\n", parts.authority_without_userinfo());
        }
        if self.no_cache {
            out.push_str(
                "Cache-Control: no-cache, no-store, must-revalidate\r\nPragma: no-cache\r\n",
            );
        }
        for header in &self.headers {
            let _ = write!(out, "{}: {}\r\n", header.name(), header.value());
        }
        (!out.is_empty()).then_some(out)
    }

    /// The `-loglevel` value: `repeat+level+datetime+<base>` when the installed ffmpeg knows
    /// the `datetime` flag, else `repeat+level+<base>`.
    pub fn loglevel_for(&self, caps: &Capabilities) -> String {
        if caps.loglevel_datetime {
            format!("repeat+level+datetime+{}", self.loglevel)
        } else {
            format!("repeat+level+{}", self.loglevel)
        }
    }

    /// The arguments (after the program name) for viewer `viewer`. Pure: the same inputs
    /// always give the same command, and nothing is shared between viewers.
    ///
    /// Call [`validate`](Self::validate) first; an invalid URL is passed through unchanged.
    pub fn build_args(&self, caps: &Capabilities, viewer: u32) -> Vec<OsString> {
        let mut args: Vec<String> = Vec::with_capacity(40);
        let mut push = |items: &[&str]| args.extend(items.iter().map(|s| (*s).to_owned()));
        push(&["-hide_banner", "-nostdin"]);
        push(&["-loglevel", &self.loglevel_for(caps)]);
        push(&["-progress", "pipe:3", "-stats_period", "1"]);
        // ffmpeg 5.1 aborts with "Option tls_verify not found" when the option is given for
        // a plain http:// input (nothing consumes it), so it is only passed for https.
        if self.resolve.is_some() && is_https(&self.url) {
            push(&["-tls_verify", "0"]);
        }
        if self.reconnect {
            if caps.http_reconnect {
                push(&["-reconnect", "1"]);
            }
            if caps.http_reconnect_streamed {
                push(&["-reconnect_streamed", "1"]);
            }
            if caps.http_reconnect_on_network_error {
                push(&["-reconnect_on_network_error", "1"]);
            }
            if caps.http_reconnect_delay_max {
                push(&[
                    "-reconnect_delay_max",
                    &self.reconnect_delay_max.to_string(),
                ]);
            }
        }
        push(&["-rw_timeout", &self.timeout.as_micros().to_string()]);
        if let Some(proxy) = self.http_proxy.as_deref().filter(|_| caps.http_proxy) {
            push(&["-http_proxy", proxy]);
        }
        push(&["-user_agent", &self.user_agent_for(viewer)]);
        if let Some(headers) = self.headers_value() {
            push(&["-headers", &headers]);
        }
        if caps.hls_seg_max_retry {
            push(&["-seg_max_retry", &self.seg_max_retry.to_string()]);
        }
        push(&["-i", &self.effective_url()]);
        match (self.variant, self.program_id) {
            (Variant::All, _) => push(&["-map", "0"]),
            (Variant::Highest | Variant::Lowest, Some(id)) => {
                push(&["-map", &format!("0:p:{id}")]);
            }
            (Variant::First | Variant::Highest | Variant::Lowest, _) => {
                push(&["-map", "0:v:0?", "-map", "0:a:0?"]);
            }
        }
        push(&["-c", "copy", "-f", "null", "-"]);
        args.into_iter().map(OsString::from).collect()
    }

    /// The full command for viewer `viewer` as one line of POSIX shell, every word quoted
    /// where needed, so that pasting it into `sh` runs exactly what the swarm runs.
    /// The `-headers` value keeps its literal CR LF inside single quotes.
    pub fn display_command(&self, caps: &Capabilities, viewer: u32) -> String {
        let mut line = shell_quote(&self.ffmpeg.to_string_lossy());
        for arg in self.build_args(caps, viewer) {
            line.push(' ');
            line.push_str(&shell_quote(&arg.to_string_lossy()));
        }
        line
    }
}

/// Quotes one word for a POSIX shell: unchanged when it only holds safe characters,
/// otherwise in single quotes (a `'` inside becomes `'\''`).
pub fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
    if safe {
        return word.to_owned();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    for c in word.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Whether `url` is an `https://` URL (scheme case-insensitive).
pub fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// An `http(s)://[userinfo@]host[:port]rest` URL cut into the pieces resolve needs.
struct UrlParts<'a> {
    /// `scheme://` plus `userinfo@` if any.
    prefix: &'a str,
    /// The authority without userinfo: `host[:port]` (IPv6 hosts in brackets).
    authority: &'a str,
    /// `:port` or empty.
    port: &'a str,
    /// Path, query and fragment.
    rest: &'a str,
}

impl<'a> UrlParts<'a> {
    fn split(url: &'a str) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        let scheme_end = url
            .find("://")
            .ok_or_else(|| invalid("it has no scheme: write http://host/path.m3u8"))?;
        let scheme = &url[..scheme_end];
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(invalid("only http:// and https:// are supported"));
        }
        if url.chars().any(|c| c.is_control() || c == ' ') {
            return Err(invalid(
                "it contains spaces or control characters: percent-encode them",
            ));
        }
        let after = scheme_end + 3;
        let authority_end = url[after..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| after + i);
        let authority_full = &url[after..authority_end];
        let host_start = authority_full.rfind('@').map_or(after, |i| after + i + 1);
        let authority = &url[host_start..authority_end];
        let port_start = if authority.starts_with('[') {
            let close = authority
                .find(']')
                .ok_or_else(|| invalid("its IPv6 host has no closing ]"))?;
            close + 1
        } else {
            authority.find(':').unwrap_or(authority.len())
        };
        let (host, port) = authority.split_at(port_start);
        if host.is_empty() || host == "[]" {
            return Err(invalid("it has no host"));
        }
        Ok(UrlParts {
            prefix: &url[..host_start],
            authority,
            port,
            rest: &url[authority_end..],
        })
    }

    fn authority_without_userinfo(&self) -> &'a str {
        self.authority
    }

    fn with_host(&self, ip: IpAddr) -> String {
        let host = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        format!("{}{host}{}{}", self.prefix, self.port, self.rest)
    }
}

#[cfg(test)]
mod tests;
