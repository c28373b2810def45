//! `HostError`: why the host's figures cannot be read at all.

use std::path::PathBuf;

/// Why a [`crate::HostSampler`] could not be opened: a file every Linux machine has is
/// missing or unreadable (a cgroup file that is missing only means "no cgroup limit").
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// A file could not be read.
    #[error(
        "cannot read {path}: {source}; the host's CPU and memory figures will be absent (is /proc mounted?)"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but did not hold what it should.
    #[error("{path} does not hold {what}; the host's CPU and memory figures will be absent")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was looked for in it.
        what: &'static str,
    },
}
