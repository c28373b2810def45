//! The rendered loop held in memory: [`Rendition`], read back from ffmpeg's HLS output.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;

use crate::config::{OriginConfig, VariantSpec};
use crate::error::OriginError;
use crate::ts;

/// The H.264 + AAC codec string of every variant: libx264 Main profile, level 3.1 (the
/// render passes `-profile:v main -level 3.1`), AAC-LC.
pub(crate) const CODECS: &str = "avc1.4d401f,mp4a.40.2";

/// One segment of the loop.
#[derive(Clone, Debug)]
pub(crate) struct LoopSegment {
    /// Duration from the rendered playlist's `#EXTINF`, in seconds.
    pub(crate) duration: f64,
    /// The whole MPEG-TS file.
    pub(crate) data: Bytes,
}

/// One variant of the loop.
#[derive(Clone, Debug)]
pub(crate) struct RenderedVariant {
    pub(crate) spec: VariantSpec,
    pub(crate) segments: Vec<LoopSegment>,
    /// Per PID, how far one loop advances the continuity counter (mod 16).
    cc_per_loop: Vec<(u16, u8)>,
}

impl RenderedVariant {
    /// Peak segment bitrate in bit/s (`BANDWIDTH`).
    pub(crate) fn peak_bandwidth(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| (s.data.len() as f64 * 8.0 / s.duration.max(0.001)).ceil() as u64)
            .max()
            .unwrap_or_else(|| self.spec.bandwidth())
    }

    /// Mean bitrate over the loop in bit/s (`AVERAGE-BANDWIDTH`).
    pub(crate) fn average_bandwidth(&self) -> u64 {
        let bytes: usize = self.segments.iter().map(|s| s.data.len()).sum();
        let secs: f64 = self.segments.iter().map(|s| s.duration).sum();
        (bytes as f64 * 8.0 / secs.max(0.001)).ceil() as u64
    }
}

/// The rendered loop, every segment of every variant in memory; cheap to clone.
///
/// Made by [`render`](crate::render) (or [`Rendition::load`] on a directory it made) and
/// served by [`serve`](crate::serve).
#[derive(Clone, Debug)]
pub struct Rendition {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    segment_secs: u32,
    fps: u32,
    /// Loop length in 90 kHz ticks.
    loop_ticks: u64,
    variants: Vec<RenderedVariant>,
}

impl Rendition {
    /// Reads a render directory made by [`render`](crate::render) for `cfg` into memory.
    ///
    /// The render holds two loops and a bit (`v0/index.m3u8`, `v0/seg00000.ts`, … for each
    /// variant); the second loop is kept, since its segments start mid-stream: no encoder
    /// priming, and audio frames that tile the loop exactly.
    pub fn load(dir: &Path, cfg: &OriginConfig) -> Result<Self, OriginError> {
        let n_loop = cfg.n_loop_segments() as usize;
        let bad = |reason: String| OriginError::BadRender {
            path: dir.to_owned(),
            reason,
        };
        let mut variants = Vec::with_capacity(cfg.variants.len());
        for (idx, spec) in cfg.variants.iter().enumerate() {
            let vdir = dir.join(format!("v{idx}"));
            let index = std::fs::read_to_string(vdir.join("index.m3u8"))
                .map_err(|e| bad(format!("v{idx}/index.m3u8: {e}")))?;
            let entries = parse_vod_playlist(&index);
            if entries.len() < 2 * n_loop {
                return Err(bad(format!(
                    "v{idx}/index.m3u8 lists {} segments, expected at least {}",
                    entries.len(),
                    2 * n_loop
                )));
            }
            let mut segments = Vec::with_capacity(n_loop);
            let mut packets = Vec::new();
            for (duration, name) in entries.into_iter().skip(n_loop).take(n_loop) {
                if name.contains('/') || name.contains("..") {
                    return Err(bad(format!("v{idx}/index.m3u8 names {name:?}")));
                }
                let data = std::fs::read(vdir.join(&name))
                    .map_err(|e| bad(format!("v{idx}/{name}: {e}")))?;
                if data.is_empty() || data.len() % 188 != 0 || data[0] != 0x47 {
                    return Err(bad(format!("v{idx}/{name} is not MPEG-TS")));
                }
                ts::add_counts(&mut packets, &ts::payload_packets_per_pid(&data));
                segments.push(LoopSegment {
                    duration,
                    data: Bytes::from(data),
                });
            }
            variants.push(RenderedVariant {
                spec: spec.clone(),
                segments,
                cc_per_loop: packets
                    .iter()
                    .map(|&(pid, n)| (pid, (n % 16) as u8))
                    .collect(),
            });
        }
        Ok(Self {
            inner: Arc::new(Inner {
                dir: dir.to_owned(),
                segment_secs: cfg.segment_secs,
                fps: cfg.fps,
                loop_ticks: u64::from(cfg.loop_secs) * 90_000,
                variants,
            }),
        })
    }

    /// The render directory the segments were read from.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Nominal segment duration in seconds.
    pub fn segment_secs(&self) -> u32 {
        self.inner.segment_secs
    }

    /// Frames per second of the video.
    pub fn fps(&self) -> u32 {
        self.inner.fps
    }

    /// Number of variants.
    pub fn n_variants(&self) -> usize {
        self.inner.variants.len()
    }

    /// Number of segments in one loop (the same for every variant).
    pub fn n_loop_segments(&self) -> usize {
        self.inner.variants[0].segments.len()
    }

    /// The spec of variant `idx`.
    pub fn variant(&self, idx: usize) -> Option<&VariantSpec> {
        self.inner.variants.get(idx).map(|v| &v.spec)
    }

    /// The bytes served for live sequence number `seq` of variant `idx`, whether or not it
    /// is in the live window now: loop segment `seq % n_loop_segments` with its timestamps
    /// and continuity counters advanced by `seq / n_loop_segments` loops, so consecutive
    /// sequence numbers form one continuous MPEG-TS stream. Same length as the loop segment.
    pub fn segment_bytes(&self, idx: usize, seq: u64) -> Option<Bytes> {
        let variant = self.inner.variants.get(idx)?;
        let seg = self.loop_segment(idx, seq)?;
        let iteration = seq / variant.segments.len() as u64;
        // Timestamps wrap at 2^33 ticks: reduce the iteration first so nothing overflows.
        let ticks =
            ((u128::from(iteration) * u128::from(self.inner.loop_ticks)) % (1u128 << 33)) as u64;
        let cc: Vec<(u16, u8)> = variant
            .cc_per_loop
            .iter()
            .map(|&(pid, d)| (pid, ((u64::from(d) * (iteration % 16)) % 16) as u8))
            .collect();
        Some(Bytes::from(ts::shifted(&seg.data, ticks, &cc)))
    }

    pub(crate) fn variants(&self) -> &[RenderedVariant] {
        &self.inner.variants
    }

    pub(crate) fn loop_segment(&self, idx: usize, seq: u64) -> Option<&LoopSegment> {
        let v = self.inner.variants.get(idx)?;
        v.segments.get((seq % v.segments.len() as u64) as usize)
    }

    /// Checks that this rendition can be served with `cfg`.
    pub(crate) fn check_matches(&self, cfg: &OriginConfig) -> Result<(), OriginError> {
        let specs: Vec<_> = self.inner.variants.iter().map(|v| &v.spec).collect();
        let wanted: Vec<_> = cfg.variants.iter().collect();
        if specs != wanted {
            return Err(OriginError::RenditionMismatch("variants differ".into()));
        }
        if self.inner.segment_secs != cfg.segment_secs {
            return Err(OriginError::RenditionMismatch(format!(
                "segments of {} s, configured {} s",
                self.inner.segment_secs, cfg.segment_secs
            )));
        }
        Ok(())
    }
}

/// `(duration, uri)` for each segment of a VOD playlist as ffmpeg's HLS muxer writes it.
fn parse_vod_playlist(text: &str) -> Vec<(f64, String)> {
    let mut out = Vec::new();
    let mut pending: Option<f64> = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("#EXTINF:") {
            let num = rest.split(',').next().unwrap_or("");
            pending = num.trim().parse().ok();
        } else if !line.is_empty()
            && !line.starts_with('#')
            && let Some(d) = pending.take()
        {
            out.push((d, line.to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests;
