//! A real anvil node for the `anvil_*` tests (and `tests/settle_anvil.rs` of the command line):
//! started on a free port, waited for, killed when
//! dropped. The binary is `$GRIDBOOK_ANVIL` if set, else the one `scripts/install-tools` puts in
//! `.tools/anvil/` (scripts/test runs it first).

// Every anvil test crate includes this module and uses a different part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gridbook_settlement::devnet::DEV_ACCOUNTS;
use gridbook_settlement::rpc::{RpcChain, RpcConfig, SigningKey};

/// A running anvil, killed on drop.
pub(crate) struct Anvil {
    child: Child,
    pub(crate) port: u16,
}

impl Anvil {
    /// Starts anvil (automine, chain id 31337, the test mnemonic's funded accounts).
    pub(crate) fn start() -> Anvil {
        Anvil::start_on(free_port())
    }

    /// Starts anvil mining a block every `block_time_s` seconds instead of one per transaction.
    pub(crate) fn start_with_block_time(block_time_s: u64) -> Anvil {
        Anvil::launch(free_port(), &["--block-time", &block_time_s.to_string()])
    }

    /// Starts anvil on `port`.
    pub(crate) fn start_on(port: u16) -> Anvil {
        Anvil::launch(port, &[])
    }

    fn launch(port: u16, extra_args: &[&str]) -> Anvil {
        let binary = anvil_binary();
        let child = Command::new(&binary)
            .args(["--port", &port.to_string(), "--host", "127.0.0.1", "--silent"])
            .args(extra_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", binary.display()));
        let anvil = Anvil { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while anvil.request("eth_chainId", "[]").is_none() {
            assert!(Instant::now() < deadline, "anvil did not answer on port {port} in 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        anvil
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One JSON-RPC request (anvil's controls: evm_setAutomine, evm_mine, ...); the response
    /// body, or `None` if the node cannot be reached.
    pub(crate) fn request(&self, method: &str, params_json: &str) -> Option<String> {
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params_json}}}"#);
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let start = response.find("\r\n\r\n")? + 4;
        Some(response[start..].to_string())
    }

    /// Like [`Anvil::request`], failing the test if the node does not answer or reports an error.
    pub(crate) fn control(&self, method: &str, params_json: &str) -> String {
        let answer = self.request(method, params_json).expect("anvil answers");
        assert!(!answer.contains("\"error\""), "{method}: {answer}");
        answer
    }
}

/// Client settings for tests: short polls and timeouts, so a failure shows in seconds.
pub(crate) fn fast_config() -> RpcConfig {
    RpcConfig {
        confirm_timeout_ms: 20_000,
        poll_interval_ms: 50,
        replace_after_ms: 10_000,
        displaced_after_ms: 1_000,
        max_retries: 2,
        retry_backoff_ms: 20,
        request_timeout_ms: 5_000,
        ..RpcConfig::default()
    }
}

impl Anvil {
    /// A client of this node signing with development account 0 (anvil's own, funded).
    pub(crate) fn client(&self, config: RpcConfig) -> RpcChain {
        let key = SigningKey::parse(DEV_ACCOUNTS[0].private_key_hex, "test key").expect("dev key");
        RpcChain::connect(&self.url(), key, config).expect("connects")
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub(crate) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

fn anvil_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("GRIDBOOK_ANVIL") {
        return PathBuf::from(path);
    }
    // This module serves the settlement crate's tests and (by `#[path]`) the command-line
    // tests of the root package; the workspace's `.tools/` is beside one or the other.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let relative = ".tools/anvil/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";
    let beside = manifest.join(relative);
    let path = if beside.exists() { beside } else { manifest.join("..").join(relative) };
    assert!(
        path.exists(),
        "anvil not found at {}: run scripts/install-tools (scripts/test does) or set GRIDBOOK_ANVIL",
        path.display()
    );
    path
}
