//! hls-swarm-aggregate (being written).
#![deny(missing_docs)]
