//! gridbook command line.
fn main() {}
