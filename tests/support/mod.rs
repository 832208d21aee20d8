//! A `gridbook serve` for a test: the real binary on 127.0.0.1 port 0 with a fresh data
//! directory, its address read from the line it prints, killed when the test drops it; and
//! what the tests ask of it (HTTP calls, signed commands, the journal, its memory).

#![allow(dead_code, unreachable_pub)]

#[path = "../../node/tests/support/eth_account.rs"]
pub(crate) mod eth_account;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use gridbook_node::auth::{message_of, Domain};
use gridbook_node::config::{DEVNET_CHAIN_ID, DEVNET_SETTLEMENT};
use serde_json::{json, Value};

/// How long a node may take to start (a debug build, two cores shared).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running node.
pub struct Node {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    dir: PathBuf,
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gridbook-node-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

impl Node {
    /// Starts a node configured by `toml` (top-level keys first, then tables) on a fresh data
    /// directory named after `name`.
    pub fn start(name: &str, toml: &str) -> Node {
        let dir = fresh_dir(name);
        let config =
            format!("listen = \"127.0.0.1:0\"\ndata = \"{}\"\n{toml}", dir.join("data").display());
        std::fs::write(dir.join("node.toml"), config).expect("test setup");
        Node::spawn(dir)
    }

    /// Kills the node (SIGKILL) and starts it again on the same data directory.
    pub fn restart(mut self) -> Node {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Dropping `self` with an empty path leaves the data directory in place.
        let dir = std::mem::take(&mut self.dir);
        drop(self);
        Node::spawn(dir)
    }

    fn spawn(dir: PathBuf) -> Node {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("stderr.log"))
            .expect("test setup");
        let mut child = Command::new(env!("CARGO_BIN_EXE_gridbook"))
            .args(["serve", "--config"])
            .arg(dir.join("node.toml"))
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("gridbook serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
        let mut node = Node { child, url: String::new(), dir };
        match line.trim().strip_prefix("gridbook node listening on ") {
            Some(url) => node.url = url.to_owned(),
            None => panic!("the node did not start: {line:?}; stderr: {}", node.stderr()),
        }
        node
    }

    /// Sends SIGTERM and waits (at most 30 s) for the node to exit; whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill(2) on the pid of a child this test started and has not reaped yet.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "SIGTERM sent");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("the node's status") {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the node did not stop within 30 s of SIGTERM; stderr: {}", self.stderr())
    }

    /// The node's data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// What the node wrote on stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    /// `host:port`.
    pub fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    /// The node's resident memory, KiB (`VmRSS` of /proc/PID/status).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the node is running");
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS listed");
        line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmRSS in kB")
    }

    /// The journal as `gridbook journal export` writes it (safe beside the running node).
    pub fn journal(&self) -> Vec<String> {
        let output = Command::new(env!("CARGO_BIN_EXE_gridbook"))
            .args(["journal", "export"])
            .arg(self.data())
            .output()
            .expect("gridbook journal export runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("utf-8").lines().map(str::to_owned).collect()
    }

    /// The client commands in the journal (ticks left out).
    pub fn journaled_commands(&self) -> Vec<Value> {
        self.journal()
            .iter()
            .map(|line| serde_json::from_str::<Value>(line).expect("a journal line is JSON"))
            .filter(|line| line["op"] != "tick")
            .collect()
    }

    /// Every event the node published, exactly as it published them (`GET /v1/events`).
    pub async fn events(&self) -> Vec<String> {
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            events: Vec<&'a serde_json::value::RawValue>,
            last: u64,
        }
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let url = format!("{}/v1/events?after={after}", self.url);
            let body = http().get(url).send().await.expect("events").text().await.expect("body");
            let page: Page<'_> = serde_json::from_str(&body).expect("an events page");
            if page.events.is_empty() {
                return all;
            }
            all.extend(page.events.iter().map(|e| e.get().to_owned()));
            after = page.last;
        }
    }

    /// Checks that `gridbook journal export` + `gridbook replay` give byte for byte the events
    /// the node published.
    pub async fn assert_replay_reproduces_the_events(&self) {
        let export = self.dir.join("export.jsonl");
        std::fs::write(&export, self.journal().join("\n") + "\n").expect("test setup");
        let market = gridbook_node::market_file::MarketFile::read(&self.data())
            .expect("market file")
            .expect("the node wrote its market file");
        let output = Command::new(env!("CARGO_BIN_EXE_gridbook"))
            .arg("replay")
            .arg(&export)
            .args(market.replay_options().split_whitespace())
            .output()
            .expect("gridbook replay runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let replayed = String::from_utf8(output.stdout).expect("utf-8");
        let published = self.events().await;
        assert!(!published.is_empty(), "the node published events");
        assert_eq!(replayed, published.join("\n") + "\n", "replay of the export differs");
    }

    /// Polls `/metrics` until `metric` reaches `at_least`; panics after `timeout`.
    pub async fn wait_for_metric(&self, metric: &str, at_least: u64, timeout: Duration) -> u64 {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.metric(metric).await;
            if value >= at_least {
                return value;
            }
            assert!(Instant::now() < deadline, "{metric} stayed at {value} < {at_least}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The value of `metric` (a line `NAME VALUE` of `/metrics`; 0 if absent).
    pub async fn metric(&self, metric: &str) -> u64 {
        let text = http()
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics body");
        text.lines()
            .find_map(|l| l.strip_prefix(metric).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// POSTs `body` to `path`; the status, the `Retry-After` header and the JSON answer.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Option<String>, Value) {
        let response = http()
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("the node answers");
        let status = response.status().as_u16();
        let retry =
            response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = response.text().await.expect("a body");
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, retry, json)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() && !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// An HTTP client with a timeout, so a stuck node fails the test instead of hanging it.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("test setup")
}

/// The domain of a node on embedded defaults.
pub fn domain() -> Domain {
    Domain::new(DEVNET_CHAIN_ID, DEVNET_SETTLEMENT)
}

/// A test account.
pub fn key(byte: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).expect("test setup")
}

/// `command` with its owner's signature under `domain`.
pub fn signed(domain: &Domain, key: &PrivateKeySigner, mut command: Value) -> Value {
    let object = command.as_object().expect("a command object");
    let hash = domain.signing_hash(&message_of(object).expect("test setup"));
    let signature = key.sign_hash_sync(&hash).expect("test setup");
    let hex: String = signature.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    command["sig"] = Value::String(format!("0x{hex}"));
    command
}

/// A session request for `key`'s account, signed under `domain`.
pub fn session_request(
    domain: &Domain,
    key: &PrivateKeySigner,
    expires_ms: u64,
    nonce: &str,
) -> Value {
    gridbook_node::client::session_request(domain, key.address(), expires_ms, nonce, |hash| {
        key.sign_hash_sync(hash).expect("test setup")
    })
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    gridbook_node::gateway::sessions::now_ms()
}

/// Far in the future, ms.
pub const LATER_MS: u64 = 4_102_444_800_000;

/// An A100 ask of `owner` at `price` for `qty` slots, resting until far in the future.
pub fn ask(id: &str, owner: Address, price: &str, qty: u64) -> Value {
    json!({"op":"ask","id":id,"owner":owner.to_checksum(None),"price":price,"qty":qty,"tif":"gtc",
        "hw":{"cpu":16,"mem":128,"gpu":"A100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"us-east"},
        "from":0,"until":LATER_MS})
}

/// A bid of `owner` for `qty` A100 slots up to `limit`, good until far in the future.
pub fn bid(id: &str, owner: Address, limit: &str, qty: u64, tif: &str) -> Value {
    json!({"op":"bid","id":id,"owner":owner.to_checksum(None),"limit":limit,"qty":qty,"tif":tif,
        "req":{"cpu":4,"mem":16,"gpu":["A100-80GB"],"gpus":1,"gpu_mem":0,"tee":null,"regions":[]},
        "duration":3_600_000,"not_before":0,"deadline":LATER_MS})
}

/// A cancel of order `id` by `owner`.
pub fn cancel(id: &str, owner: Address) -> Value {
    json!({"op":"cancel","id":id,"owner":owner.to_checksum(None)})
}

/// Runs `future` with a deadline, so a hung node fails the test instead of hanging it.
pub async fn within<T>(
    what: &str,
    seconds: u64,
    future: impl std::future::Future<Output = T>,
) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {seconds} s"))
}

/// The path of a file in the workspace.
pub fn workspace_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}
