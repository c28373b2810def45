//! The ffmpegs the end-to-end counting tests run their viewers with, each with the name its
//! tests carry: a test body `fn body(ffmpeg: ViewerFfmpeg)` becomes one `#[test]` per ffmpeg
//! with `per_ffmpeg!(body);` (`body::system`, `body::ffmpeg9`). The origin renders its stream
//! with the system's ffmpeg whichever ffmpeg the viewers run.

use std::path::PathBuf;

use hls_swarm_testkit::tools;

/// An ffmpeg viewers run with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewerFfmpeg {
    /// The system's: `$HLS_SWARM_FFMPEG`, else `ffmpeg` on `PATH` (Debian 12's 5.1 in CI).
    System,
    /// The static ffmpeg 9 that `cargo xtask deps` installs from PyPI's `imageio-ffmpeg`
    /// (`$HLS_SWARM_FFMPEG_9` overrides it).
    Nine,
}

/// Every ffmpeg under test, each once.
pub fn viewer_ffmpegs() -> [ViewerFfmpeg; 2] {
    [ViewerFfmpeg::System, ViewerFfmpeg::Nine]
}

impl ViewerFfmpeg {
    /// The name its tests carry: `system`, `ffmpeg9`.
    pub fn name(self) -> &'static str {
        match self {
            ViewerFfmpeg::System => "system",
            ViewerFfmpeg::Nine => "ffmpeg9",
        }
    }

    /// Its path; fails the test, saying how to install it, when it is missing.
    pub fn path(self) -> PathBuf {
        match self {
            ViewerFfmpeg::System => tools::ffmpeg(),
            ViewerFfmpeg::Nine => tools::ffmpeg_9(),
        }
    }

    /// `base` made this ffmpeg's own (`e2e-five-ffmpeg9`), so that the same test run with each
    /// ffmpeg at once finds only its own viewers in an origin's log and in `/proc`.
    pub fn user_agent(self, base: &str) -> String {
        format!("{base}-{}", self.name())
    }

    /// `--ffmpeg PATH`, for `run_args`' `extra`.
    pub fn flag(self) -> [String; 2] {
        ["--ffmpeg".to_owned(), self.path().display().to_string()]
    }

    /// Whether the summary's `ffmpeg.versions` is this ffmpeg's (`ffmpeg -version`'s third
    /// word): the run used the ffmpeg the test is named for.
    pub fn assert_ran(self, summary: &serde_json::Value) {
        let out = std::process::Command::new(self.path())
            .arg("-version")
            .output()
            .expect("ffmpeg -version runs");
        let banner = String::from_utf8_lossy(&out.stdout);
        let version = banner.split_whitespace().nth(2).expect("a version");
        assert_eq!(
            summary["ffmpeg"]["versions"],
            serde_json::json!([version]),
            "{}",
            summary["ffmpeg"]
        );
        if self == ViewerFfmpeg::Nine {
            assert!(
                version.trim_start_matches('n').starts_with("9."),
                "{version}"
            );
        }
    }
}

/// One `#[test]` per ffmpeg of [`viewer_ffmpegs`] for `body`, a `fn(ViewerFfmpeg)` of the
/// same file: `per_ffmpeg!(body);` makes the tests `body::system` and `body::ffmpeg9`.
macro_rules! per_ffmpeg {
    ($body:ident) => {
        mod $body {
            #[test]
            fn system() {
                super::$body($crate::common::ViewerFfmpeg::System);
            }

            #[test]
            fn ffmpeg9() {
                super::$body($crate::common::ViewerFfmpeg::Nine);
            }
        }
    };
}
pub(crate) use per_ffmpeg;
