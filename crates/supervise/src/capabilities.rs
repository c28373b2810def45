//! What the installed ffmpeg accepts: its version and the optional options the command uses.

use std::fmt;

/// An ffmpeg version as printed by `ffmpeg -version` (`5.1.9-0+deb12u1` → 5.1.9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FfmpegVersion {
    /// Major version (5 for 5.1.9); 0 when the version string is not numeric (git builds).
    pub major: u32,
    /// Minor version (1 for 5.1.9).
    pub minor: u32,
    /// The third token of the first line, as printed (`5.1.9-0+deb12u1`, `N-112345-g…`).
    pub raw: String,
}

impl FfmpegVersion {
    /// Parses the first line of `ffmpeg -version` (`ffmpeg version 5.1.9-0+deb12u1 Copyright …`).
    /// Git builds (`N-…`) give major and minor 0 with the raw text kept.
    pub fn parse(first_line: &str) -> Option<Self> {
        let mut words = first_line.split_whitespace();
        if words.next()? != "ffmpeg" || words.next()? != "version" {
            return None;
        }
        let raw = words.next()?.to_owned();
        let numeric = raw.trim_start_matches('n');
        let mut parts = numeric.split(|c: char| !c.is_ascii_digit());
        let major = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let minor = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        Some(FfmpegVersion { major, minor, raw })
    }
}

impl fmt::Display for FfmpegVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Which optional options the installed ffmpeg accepts; [`FfmpegConfig::build_args`]
/// passes only these. Produced by [`probe`](crate::probe), or written by hand in tests.
///
/// [`FfmpegConfig::build_args`]: crate::FfmpegConfig::build_args
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The version, when `ffmpeg -version` printed one.
    pub version: Option<FfmpegVersion>,
    /// `-loglevel` accepts the `datetime` flag (not in 5.1).
    pub loglevel_datetime: bool,
    /// The hls demuxer has `-seg_max_retry` (not in 5.1).
    pub hls_seg_max_retry: bool,
    /// The http protocol has `-reconnect`.
    pub http_reconnect: bool,
    /// The http protocol has `-reconnect_streamed`.
    pub http_reconnect_streamed: bool,
    /// The http protocol has `-reconnect_on_network_error`.
    pub http_reconnect_on_network_error: bool,
    /// The http protocol has `-reconnect_delay_max`.
    pub http_reconnect_delay_max: bool,
    /// The http protocol has `-http_proxy` (what the request tap needs).
    pub http_proxy: bool,
}

impl Capabilities {
    /// The optional options hls-swarm passes to an ffmpeg that has them and this one lacks,
    /// as they are written on the command line (`-seg_max_retry`); the `datetime` log flag is
    /// [`loglevel_datetime`](Self::loglevel_datetime).
    pub fn missing_options(&self) -> Vec<&'static str> {
        [
            (self.hls_seg_max_retry, "-seg_max_retry"),
            (self.http_reconnect, "-reconnect"),
            (self.http_reconnect_streamed, "-reconnect_streamed"),
            (
                self.http_reconnect_on_network_error,
                "-reconnect_on_network_error",
            ),
            (self.http_reconnect_delay_max, "-reconnect_delay_max"),
            (self.http_proxy, "-http_proxy"),
        ]
        .into_iter()
        .filter(|(has, _)| !has)
        .map(|(_, option)| option)
        .collect()
    }

    /// Every optional option supported, as in a recent ffmpeg (7.x); for `--print-cmd`
    /// without an ffmpeg at hand, and for tests.
    pub fn all() -> Self {
        Capabilities {
            version: None,
            loglevel_datetime: true,
            hls_seg_max_retry: true,
            http_reconnect: true,
            http_reconnect_streamed: true,
            http_reconnect_on_network_error: true,
            http_reconnect_delay_max: true,
            http_proxy: true,
        }
    }

    /// What Debian bookworm's ffmpeg 5.1 supports: the reconnect options, but neither
    /// `datetime` nor `-seg_max_retry`.
    pub fn ffmpeg_5_1() -> Self {
        Capabilities {
            version: Some(FfmpegVersion {
                major: 5,
                minor: 1,
                raw: "5.1".to_owned(),
            }),
            loglevel_datetime: false,
            hls_seg_max_retry: false,
            ..Capabilities::all()
        }
    }
}
