//! Signing with eth-account (Python), an Ethereum library gridbook did not write, from nothing
//! but what `GET /v1/eip712` serves (`sign_eth_account.py` beside this file).
//!
//! Python comes from `$GRIDBOOK_PYTHON` or the virtual environment `scripts/install-tools`
//! makes in `.tools/venv` (scripts/test runs it first). Shared by the node crate's tests and the
//! workspace's tests of the `gridbook serve` binary.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

/// The workspace's root: the nearest folder above the crate with a `Cargo.lock`.
fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("Cargo.lock").exists() {
        assert!(dir.pop(), "the crate is inside a workspace with a Cargo.lock");
    }
    dir
}

fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("GRIDBOOK_PYTHON") {
        return PathBuf::from(path);
    }
    let path = workspace_root().join(".tools/venv/bin/python");
    assert!(
        path.exists(),
        "python with eth-account not found at {}: run scripts/install-tools (scripts/test does) or set GRIDBOOK_PYTHON",
        path.display()
    );
    path
}

/// Signs each of `messages` with eth-account as the account of private key `key`, from `eip712`
/// (the body of `GET /v1/eip712`); one signature (`0x` + 130 hex digits) per message. A message
/// is a command object, or — without `op` — a session request (`{"owner","expires","nonce"}`).
pub(crate) fn sign_with_eth_account(eip712: &Value, key: &str, messages: &[Value]) -> Vec<String> {
    let script = workspace_root().join("node/tests/support/sign_eth_account.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let request = json!({"eip712": eip712, "key": key, "commands": messages});
    child
        .stdin
        .take()
        .expect("test setup")
        .write_all(request.to_string().as_bytes())
        .expect("test setup");
    let output = child.wait_with_output().expect("test setup");
    assert!(
        output.status.success(),
        "eth-account failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("test setup").lines().map(str::to_owned).collect()
}
