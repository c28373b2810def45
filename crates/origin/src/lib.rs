//! hls-swarm-origin (being written).
#![deny(missing_docs)]
