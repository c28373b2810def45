//! A keep-alive request that ffmpeg sends again on a new connection without logging why:
//! [`SilentRetry`] tells it apart so that the request is counted once, as the origin saw it.

/// ffmpeg's HLS demuxer sends its next request on the open keep-alive connection
/// (`[http @ …] Opening 'URL'`, then the request line). When the origin has closed that
/// connection meanwhile (after a body it cut short, say) the request fails with end of file,
/// and ffmpeg sends it again on a new connection (`[hls @ …] Opening 'URL'`, another request
/// line) with no warning: `open_url` in ffmpeg 5.1's `libavformat/hls.c` prints "keepalive
/// request failed" for any other error only. The first request never reached the origin, so
/// its log line and the retry's are one request.
///
/// Paths are kept as 64-bit hashes: no allocation per line.
#[derive(Debug, Default)]
pub(crate) struct SilentRetry {
    /// The path the last `http`-context `Opening` named: a keep-alive reuse under way.
    reused: Option<u64>,
    /// The path whose next request line is that silent retry.
    retry: Option<u64>,
}

impl SilentRetry {
    /// An `Opening 'URL'` line for `path`, logged by ffmpeg's `http` protocol (`from_http`),
    /// by its HLS demuxer (`from_demuxer`: `hls`, or `in#N`/`in#N/hls` in ffmpeg 7+), or by
    /// anything else.
    pub(crate) fn opening(&mut self, from_http: bool, from_demuxer: bool, path: &str) {
        let path = fnv1a(path);
        if from_http {
            self.reused = Some(path);
        } else if from_demuxer && self.reused == Some(path) {
            self.reused = None;
            self.retry = Some(path);
        } else {
            self.reused = None;
        }
    }

    /// The demuxer asked for a new segment, or announced a retry itself (a `keepalive request
    /// failed` warning, after which both requests are counted): no silent retry is under way.
    pub(crate) fn reset(&mut self) {
        self.reused = None;
    }

    /// Whether the request line for `path` is the silent retry of one already counted. Only
    /// the request right after the `hls` `Opening` can be.
    pub(crate) fn is_retry(&mut self, path: &str) -> bool {
        self.retry.take() == Some(fnv1a(path))
    }
}

/// FNV-1a, 64 bit.
fn fnv1a(bytes: &str) -> u64 {
    bytes.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
