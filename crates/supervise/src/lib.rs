//! Supervision of a swarm of real `ffmpeg` viewers: build each viewer's command line for the
//! ffmpeg that is installed ([`probe`] finds out what it accepts), ramp the viewers up at a
//! steady rate, restart each one with backoff when it exits, and on stop send SIGINT to every
//! ffmpeg (so it prints its closing `Statistics:` lines), SIGKILL stragglers after a grace
//! period, and reap every child. The raw stderr and `-progress` lines go, with their arrival
//! time, to a [`SwarmObserver`] that the binary implements; this crate does not parse them.
//!
//! ```
//! use hls_swarm_supervise::{Capabilities, FfmpegConfig, Header, Variant};
//!
//! let mut config = FfmpegConfig::new("http://origin.test/live/master.m3u8");
//! config.user_agent = "hls-swarm/1.0".into();
//! config.headers.push(Header::parse("X-Test: 1")?);
//! config.variant = Variant::First;
//! config.validate()?;
//!
//! // Debian bookworm's ffmpeg 5.1 knows neither the `datetime` log flag nor -seg_max_retry.
//! let args = config.build_args(&Capabilities::ffmpeg_5_1(), 7);
//! let args: Vec<_> = args.iter().map(|a| a.to_str().unwrap()).collect();
//! assert_eq!(&args[..6], ["-hide_banner", "-nostdin", "-loglevel", "repeat+level+debug", "-progress", "pipe:3"]);
//! assert!(args.windows(2).any(|w| w == ["-user_agent", "hls-swarm/1.0/client-7"]));
//! assert!(!args.contains(&"-seg_max_retry"));
//! assert!(args.ends_with(&["-map", "0:v:0?", "-map", "0:a:0?", "-c", "copy", "-f", "null", "-"]));
//!
//! // For --print-cmd: one line of shell, quoted where needed.
//! let line = config.display_command(&Capabilities::ffmpeg_5_1(), 7);
//! assert!(line.starts_with("ffmpeg -hide_banner -nostdin -loglevel repeat+level+debug "));
//! assert!(line.contains(" -headers 'X-Test: 1\r\n' "));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod backoff;
mod capabilities;
mod command;
mod header;
mod launch;
mod lines;
mod observer;
mod probe;
mod process;
mod ramp;
mod reader;
mod shard;
mod stop;
mod swarm;
mod variant;

pub use backoff::{Backoff, BackoffPolicy};
pub use capabilities::{Capabilities, FfmpegVersion};
pub use command::{ConfigError, FfmpegConfig, Variant, is_https, shell_quote};
pub use header::{Header, HeaderError};
pub use launch::{Launch, TRAMPOLINE_ARG, trampoline_if_asked};
pub use observer::{
    EndCheck, ExitReport, ExitStatusKind, LineConsumer, StreamStats, SwarmObserver,
};
pub use probe::{ProbeError, probe};
pub use ramp::{RampGate, RampSchedule};
pub use reader::{BATCH_WINDOW, BATCHED_WINDOW, LineTiming};
pub use shard::{Shard, ShardError};
pub use stop::{StopHandle, StopLevel};
pub use swarm::{CountersSnapshot, StartError, Swarm, SwarmCounters, SwarmOptions};
pub use variant::{Program, VariantProbeError, ffprobe_for, parse_programs, probe_variants};
