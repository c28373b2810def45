//! ffmpeg's `-progress` key=value blocks, parsed incrementally from arbitrary chunks.

/// One `-progress` block, ended by `progress=continue` or `progress=end`. `N/A` values are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProgressBlock {
    /// `frame=`
    pub frame: Option<u64>,
    /// `fps=`
    pub fps: Option<f64>,
    /// `stream_0_0_q=`: quality of the first stream (`-1.0` for stream copy).
    pub first_stream_q: Option<f64>,
    /// `bitrate=` in kbit/s (`512.0kbits/s`).
    pub bitrate_kbps: Option<f64>,
    /// `total_size=` in bytes (always `N/A` with `-f null`).
    pub total_size: Option<u64>,
    /// `out_time_us=` (or, failing that, `out_time_ms=`, which ffmpeg also prints in µs, or `out_time=`).
    pub out_time_us: Option<i64>,
    /// `dup_frames=`
    pub dup_frames: Option<u64>,
    /// `drop_frames=`
    pub drop_frames: Option<u64>,
    /// `speed=` as a multiple of real time (`1.01x`, `1e+05x`).
    pub speed: Option<f64>,
    /// `progress=end`: ffmpeg finished.
    pub end: bool,
}

/// Incremental `-progress` parser: feed it bytes as they arrive, in chunks of any size.
#[derive(Debug, Default)]
pub struct ProgressParser {
    // Filled in by the implementation.
}
