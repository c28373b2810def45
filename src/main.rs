//! hls-swarm: the binary (being written).
fn main() {}
