//! What the origin renders and how it serves it: [`OriginConfig`] and its parts.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::OriginError;
use crate::faults::FaultRule;

/// One rendition of the test loop: a picture size and the bitrates to encode it at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VariantSpec {
    /// Picture width in pixels (even).
    pub width: u32,
    /// Picture height in pixels (even).
    pub height: u32,
    /// Target video bitrate in kbit/s (libx264 `-b:v`, also `-maxrate`).
    pub video_kbps: u32,
    /// AAC audio bitrate in kbit/s.
    pub audio_kbps: u32,
}

impl VariantSpec {
    /// A variant of `width`x`height` at `video_kbps` video and 64 kbit/s audio.
    pub fn new(width: u32, height: u32, video_kbps: u32) -> Self {
        Self {
            width,
            height,
            video_kbps,
            audio_kbps: 64,
        }
    }

    /// The `BANDWIDTH` advertised in the master playlist, in bit/s: nominal video + audio
    /// plus 10% for MPEG-TS overhead.
    pub fn bandwidth(&self) -> u64 {
        u64::from(self.video_kbps + self.audio_kbps) * 1100
    }

    /// The two variants `hls-swarm` uses by default: 640x360 at 800 kbit/s and
    /// 320x180 at 250 kbit/s (the shape of the fixtures in `shared/fixtures/ffmpeg-5.1`).
    pub fn defaults() -> Vec<Self> {
        vec![Self::new(640, 360, 800), Self::new(320, 180, 250)]
    }
}

/// Where the origin writes its access log (see the crate docs for the line format).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AccessLog {
    /// Append to this file (created if missing); one `write` per line, so a test can read
    /// it while the origin runs.
    File(PathBuf),
    /// Write to the process's standard output, one line at a time.
    Stdout,
    /// Do not log (the in-memory counters still count).
    #[default]
    None,
}

/// Everything [`render`](crate::render) and [`serve`](crate::serve) need.
///
/// The render parameters (`segment_secs`, `loop_secs`, `fps`, `variants`) key the render
/// cache; the others only affect serving.
#[derive(Clone, Debug)]
pub struct OriginConfig {
    /// Address to listen on; port 0 picks a free port (see [`OriginHandle::local_addr`](crate::OriginHandle::local_addr)).
    pub addr: SocketAddr,
    /// Segment duration in whole seconds (1 by default, like the fixtures: more requests
    /// per viewer-second, which is what a load tester wants to count).
    pub segment_secs: u32,
    /// Number of segments in each live media playlist.
    pub window: u32,
    /// How many segments older than the window are still served (a viewer that just
    /// fetched the previous playlist may ask for them); older ones get 404.
    pub grace_segments: u32,
    /// The renditions, in master-playlist order (`/v0/` is the first).
    pub variants: Vec<VariantSpec>,
    /// Length of the rendered loop in seconds: a multiple of 8 (so that 1024-sample AAC
    /// frames at 48 kHz tile it exactly, which keeps the looped stream continuous) and of
    /// `segment_secs`.
    pub loop_secs: u32,
    /// Frames per second of the test pattern.
    pub fps: u32,
    /// Render cache root; `None` means `$XDG_CACHE_HOME/hls-swarm`, else
    /// `$HOME/.cache/hls-swarm`, else the system temp dir.
    pub cache_dir: Option<PathBuf>,
    /// The ffmpeg binary used to render (a bare name is looked up on `PATH`).
    pub ffmpeg: PathBuf,
    /// Where to write the access log.
    pub access_log: AccessLog,
    /// Injected faults, checked in order for every request.
    pub faults: Vec<FaultRule>,
    /// Seed of the fault decisions (see [`FaultRule`] for what is deterministic).
    pub seed: u64,
    /// A stale live stream: this long after [`serve`](crate::serve) starts, the live window
    /// stops moving. The media playlists keep being answered, unchanged (no new segment, no
    /// `#EXT-X-ENDLIST`), and their segments stay servable, as when a packager dies and its
    /// last files stay on disk. `None`: never.
    pub stale_after: Option<Duration>,
    /// A stream that ends: this long after [`serve`](crate::serve) starts, the live window
    /// stops moving and the media playlists end with `#EXT-X-ENDLIST`; their segments stay
    /// servable. `None`: never.
    pub end_after: Option<Duration>,
}

impl Default for OriginConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            segment_secs: 1,
            window: 6,
            grace_segments: 3,
            variants: VariantSpec::defaults(),
            loop_secs: 16,
            fps: 25,
            cache_dir: None,
            ffmpeg: PathBuf::from("ffmpeg"),
            access_log: AccessLog::None,
            faults: Vec::new(),
            seed: 0,
            stale_after: None,
            end_after: None,
        }
    }
}

impl OriginConfig {
    /// Checks the numbers that would make ffmpeg or the live window misbehave.
    pub fn validate(&self) -> Result<(), OriginError> {
        let bad = |msg: String| Err(OriginError::InvalidConfig(msg));
        if self.segment_secs == 0 || self.segment_secs > 60 {
            return bad(format!(
                "segment duration {} s is out of range: use 1 to 60",
                self.segment_secs
            ));
        }
        if self.loop_secs < 2 * self.segment_secs
            || !self.loop_secs.is_multiple_of(self.segment_secs)
        {
            return bad(format!(
                "loop length {} s must be a multiple of the segment duration ({} s) and at least two segments",
                self.loop_secs, self.segment_secs
            ));
        }
        if !self.loop_secs.is_multiple_of(8) {
            return bad(format!(
                "loop length {} s must be a multiple of 8 s (AAC frames at 48 kHz tile 8 s exactly)",
                self.loop_secs
            ));
        }
        if self.loop_secs > 600 {
            return bad(format!(
                "loop length {} s is too long: use at most 600 s",
                self.loop_secs
            ));
        }
        if self.window == 0 {
            return bad("the live window must hold at least one segment".into());
        }
        if self.fps == 0 || self.fps > 120 {
            return bad(format!("{} fps is out of range: use 1 to 120", self.fps));
        }
        if self.variants.is_empty() {
            return bad("no variants: configure at least one".into());
        }
        for v in &self.variants {
            if v.width == 0
                || v.height == 0
                || !v.width.is_multiple_of(2)
                || !v.height.is_multiple_of(2)
            {
                return bad(format!(
                    "variant {}x{}: width and height must be even and non-zero",
                    v.width, v.height
                ));
            }
            if v.video_kbps == 0 || v.audio_kbps == 0 {
                return bad(format!(
                    "variant {}x{}: bitrates must be non-zero",
                    v.width, v.height
                ));
            }
        }
        Ok(())
    }

    /// Number of segments in one loop.
    pub fn n_loop_segments(&self) -> u32 {
        self.loop_secs / self.segment_secs.max(1)
    }
}
