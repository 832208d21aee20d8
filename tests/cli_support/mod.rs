//! What the command-line tests share: running the `gridbook` binary as a user does.

use std::process::{Command, Output};

/// Runs `gridbook args` from the package's directory (so `examples/...` paths resolve) and
/// returns what it printed and its exit status.
pub(crate) fn gridbook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridbook"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("gridbook runs")
}
