//! Developer commands (being written).
fn main() {}
