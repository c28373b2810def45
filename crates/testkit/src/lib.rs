//! What the tests of every hls-swarm crate share, in one place: waiting for a condition with a
//! deadline ([`poll`]), a private tmux server ([`Tmux`]), `/proc` ([`proc`]), the system tools a
//! test needs ([`tools`]), scratch directories ([`Scratch`]), child processes that die with the
//! test ([`Guarded`]), free ports and a plain HTTP GET ([`net`]), nginx and the Prometheus
//! exporters of an origin ([`exporters`]), the strict comparison of what hls-swarm counted
//! with what the origin logged ([`counts`]), and the workspace's own source files ([`tree`]).
//!
//! The crate uses std only, so that xtask (std + anyhow) can use its `/proc` reader too, and so
//! that the async helpers run under any executor.
//!
//! ```
//! use std::time::Duration;
//! use hls_swarm_testkit::{Scratch, poll};
//!
//! let dir = Scratch::new("doc");
//! let file = dir.join("ready");
//! let writer = std::thread::spawn({
//!     let file = file.clone();
//!     move || std::fs::write(file, b"1").unwrap()
//! });
//! assert!(poll::until(Duration::from_secs(10), || file.exists()));
//! writer.join().unwrap();
//! ```
#![deny(missing_docs)]

mod child;
pub mod counts;
pub mod exporters;
pub mod net;
pub mod poll;
pub mod proc;
mod scratch;
mod tmux;
pub mod tools;
pub mod tree;

pub use child::Guarded;
pub use scratch::Scratch;
pub use tmux::Tmux;
