//! hls-swarm-supervise (being written).
#![deny(missing_docs)]
