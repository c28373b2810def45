//! stats benches (being written).
fn main() {}
