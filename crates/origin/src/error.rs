//! The one error type of the crate, [`OriginError`].

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the origin could not render or serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OriginError {
    /// The ffmpeg binary could not be started.
    #[error(
        "ffmpeg not found at {path}: install it (apt-get install ffmpeg) or pass --ffmpeg PATH"
    )]
    FfmpegNotFound {
        /// The path or name that was tried.
        path: PathBuf,
    },
    /// ffmpeg ran but did not produce the loop.
    #[error("ffmpeg failed to render the test loop ({status}): {stderr_tail}")]
    FfmpegFailed {
        /// ffmpeg's exit status.
        status: String,
        /// The last lines ffmpeg wrote to stderr.
        stderr_tail: String,
    },
    /// The render cache could not be created or written.
    #[error(
        "cannot use the render cache at {path}: {source}; pass --cache-dir DIR with a writable directory"
    )]
    CacheDir {
        /// The directory or file involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A cached render exists but cannot be read back.
    #[error(
        "the rendered loop in {path} is unusable ({reason}): delete that directory to render it again"
    )]
    BadRender {
        /// The render directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Something else is listening on the address.
    #[error(
        "address {addr} is already in use: stop the other server or pick another port (0 picks a free one)"
    )]
    AddrInUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Binding the listening socket failed for another reason.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The access log file could not be opened.
    #[error(
        "cannot open the access log {path}: {source}; check the directory exists and is writable"
    )]
    AccessLog {
        /// The log path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration does not make sense.
    #[error("invalid origin configuration: {0}")]
    InvalidConfig(String),
    /// The rendition was rendered with a different configuration than the one served.
    #[error("the rendition does not match the configuration: {0}; render it with the same config")]
    RenditionMismatch(String),
}
