//! Scratch directories: fresh for each test, removed when it passes, kept when it fails.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh, empty directory under the system temp dir, named after the test and unique to this
/// process and call. Dropped after a passing test it is removed; dropped while the test panics
/// it is kept (and its path printed) so that the logs in it can be read.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Creates `$TMPDIR/hls-swarm-test-<name>-<pid>-<n>`.
    pub fn new(name: &str) -> Scratch {
        static CALLS: AtomicU32 = AtomicU32::new(0);
        // Relaxed: only uniqueness matters, not order.
        let n = CALLS.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("hls-swarm-test-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        Scratch { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the directory for good (for files that must outlive this value) and returns its path.
    pub fn keep(self) -> PathBuf {
        let path = self.path.clone();
        std::mem::forget(self);
        path
    }
}

impl Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("scratch directory kept: {}", self.path.display());
        } else {
            // Best effort: a leftover directory in /tmp is harmless.
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
