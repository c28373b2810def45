//! aggregate benches (being written).
fn main() {}
