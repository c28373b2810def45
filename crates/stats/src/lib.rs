//! hls-swarm-stats (being written).
#![deny(missing_docs)]
