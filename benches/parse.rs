//! parse benches (being written).
fn main() {}
