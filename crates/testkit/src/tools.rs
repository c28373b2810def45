//! The system programs a test needs. A missing one fails the test with the command that
//! installs it: no test skips itself quietly.

use std::path::{Path, PathBuf};

/// The program at `path`; fails the test, naming the Debian `package` that provides it, when
/// there is no such file.
pub fn require_tool(path: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(path);
    if !path.is_file() {
        missing(&path.display().to_string(), package);
    }
    path
}

/// `program` as found on `PATH`; fails the test, naming the Debian `package`, when it is not.
pub fn require_on_path(program: &str, package: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| missing(&format!("{program} (on PATH)"), package))
}

/// The ffmpeg the tests use: `$HLS_SWARM_FFMPEG` when set (the variable hls-swarm itself reads
/// for `--ffmpeg`), else `ffmpeg` on `PATH`.
pub fn ffmpeg() -> PathBuf {
    match std::env::var_os("HLS_SWARM_FFMPEG") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                Path::new(&path).is_file(),
                "HLS_SWARM_FFMPEG={} is not a file",
                path.display()
            );
            path
        }
        None => require_on_path("ffmpeg", "ffmpeg"),
    }
}

fn missing(what: &str, package: &str) -> ! {
    panic!(
        "{what} not found: run `cargo xtask deps` (it installs the Debian package {package}); \
         this test fails rather than skip without it"
    )
}

#[cfg(test)]
mod tests;
