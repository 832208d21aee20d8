//! What the WebSocket, session and abuse tests ask of a node (beside `node_support`, which
//! starts and stops the process): a configuration file, the journal and its replay, the event
//! log as published, `/metrics`, resident memory, asynchronous HTTP, and signed commands.
//!
//! Included with `#[path = "node_support/live.rs"] mod live;` next to `mod node_support;`.

#![allow(dead_code)]

#[path = "../../node/tests/support/eth_account.rs"]
pub(crate) mod eth_account;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use gridbook_node::auth::{message_of, Domain};
use gridbook_node::config::{DEVNET_CHAIN_ID, DEVNET_SETTLEMENT};
use serde_json::{json, Value};

use crate::node_support::{fresh_dir, gridbook, Node};

/// A node started from a configuration file, with what the tests read of it.
pub(crate) struct LiveNode {
    node: Option<Node>,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    dir: PathBuf,
}

impl LiveNode {
    /// Starts a node configured by `toml` (top-level keys first, then tables; `listen` and
    /// `data` are the test's) on a fresh data directory named after `name`.
    pub(crate) fn start(name: &str, toml: &str) -> LiveNode {
        let dir = fresh_dir(&format!("live-{name}"));
        std::fs::write(dir.join("node.toml"), toml).expect("test setup");
        LiveNode::spawn(dir)
    }

    fn spawn(dir: PathBuf) -> LiveNode {
        let config = dir.join("node.toml");
        let config = config.to_str().expect("a UTF-8 path");
        let node = Node::start(&dir.join("data"), &["--config", config]);
        LiveNode { url: node.url.clone(), node: Some(node), dir }
    }

    fn process(&self) -> &Node {
        self.node.as_ref().expect("the node is running")
    }

    /// Kills the node (SIGKILL) and starts it again on the same data directory.
    pub(crate) fn restart(mut self) -> LiveNode {
        if let Some(node) = self.node.take() {
            node.kill9();
        }
        // The directory goes to the new node: dropping this one must not remove it.
        let dir = std::mem::take(&mut self.dir);
        LiveNode::spawn(dir)
    }

    /// SIGTERM; whether the node exited cleanly (within 30 s).
    pub(crate) fn terminate(&mut self) -> bool {
        self.node.take().expect("the node is running").terminate()
    }

    /// The node's data directory.
    pub(crate) fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `host:port`.
    pub(crate) fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    /// The node's resident memory, KiB (`VmRSS` of /proc/PID/status).
    pub(crate) fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process().pid()))
            .expect("the node is running");
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS listed");
        line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmRSS in kB")
    }

    /// The journal as `gridbook journal export` writes it (safe beside the running node).
    pub(crate) fn journal(&self) -> Vec<String> {
        let data = self.data();
        let data = data.to_str().expect("a UTF-8 path");
        gridbook(&["journal", "export", data]).lines().map(str::to_owned).collect()
    }

    /// The client commands in the journal (ticks left out).
    pub(crate) fn journaled_commands(&self) -> Vec<Value> {
        self.journal()
            .iter()
            .map(|line| serde_json::from_str::<Value>(line).expect("a journal line is JSON"))
            .filter(|line| line["op"] != "tick")
            .collect()
    }

    /// Every event the node published, exactly as it published them (`GET /v1/events`).
    pub(crate) async fn events(&self) -> Vec<String> {
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
    pub(crate) async fn assert_replay_reproduces_the_events(&self) {
        let export = self.dir.join("export.jsonl");
        std::fs::write(&export, self.journal().join("\n") + "\n").expect("test setup");
        let market = gridbook_node::market_file::MarketFile::read(&self.data())
            .expect("market file")
            .expect("the node wrote its market file");
        let options = market.replay_options();
        let mut args = vec!["replay", export.to_str().expect("a UTF-8 path")];
        args.extend(options.split_whitespace());
        let replayed = gridbook(&args);
        let published = self.events().await;
        assert!(!published.is_empty(), "the node published events");
        assert_eq!(replayed, published.join("\n") + "\n", "replay of the export differs");
    }

    /// Polls `/metrics` until `metric` reaches `at_least`; panics after `timeout`.
    pub(crate) async fn wait_for_metric(
        &self,
        metric: &str,
        at_least: u64,
        timeout: Duration,
    ) -> u64 {
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
    pub(crate) async fn metric(&self, metric: &str) -> u64 {
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
    pub(crate) async fn post(&self, path: &str, body: &Value) -> (u16, Option<String>, Value) {
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

impl Drop for LiveNode {
    fn drop(&mut self) {
        drop(self.node.take());
        if !std::thread::panicking() && !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Checks that the OpenAPI document lists `status` for `method path`.
pub(crate) fn assert_documented(method: &str, path: &str, status: u16) {
    let doc: Value = serde_json::from_str(include_str!("../../node/openapi.json"))
        .expect("the OpenAPI document is JSON");
    let documented = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(documented.is_object(), "{method} {path} answered {status}, which is not documented");
}

/// An HTTP client with a timeout, so a stuck node fails the test instead of hanging it.
pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("test setup")
}

/// The domain of a node on embedded defaults.
pub(crate) fn domain() -> Domain {
    Domain::new(DEVNET_CHAIN_ID, DEVNET_SETTLEMENT)
}

/// A test account.
pub(crate) fn key(byte: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).expect("test setup")
}

/// `command` with its owner's signature under `domain`.
pub(crate) fn signed(domain: &Domain, key: &PrivateKeySigner, mut command: Value) -> Value {
    let object = command.as_object().expect("a command object");
    let hash = domain.signing_hash(&message_of(object).expect("test setup"));
    let signature = key.sign_hash_sync(&hash).expect("test setup");
    let hex: String = signature.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    command["sig"] = Value::String(format!("0x{hex}"));
    command
}

/// A session request for `key`'s account, signed under `domain`.
pub(crate) fn session_request(
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
pub(crate) fn now_ms() -> u64 {
    gridbook_node::gateway::sessions::now_ms()
}

/// Far in the future, ms.
pub(crate) const LATER_MS: u64 = 4_102_444_800_000;

/// An A100 ask of `owner` at `price` for `qty` slots, resting until far in the future.
pub(crate) fn ask(id: &str, owner: Address, price: &str, qty: u64) -> Value {
    json!({"op":"ask","id":id,"owner":owner.to_checksum(None),"price":price,"qty":qty,"tif":"gtc",
        "hw":{"cpu":16,"mem":128,"gpu":"A100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"us-east"},
        "from":0,"until":LATER_MS})
}

/// A bid of `owner` for `qty` A100 slots up to `limit`, good until far in the future.
pub(crate) fn bid(id: &str, owner: Address, limit: &str, qty: u64, tif: &str) -> Value {
    json!({"op":"bid","id":id,"owner":owner.to_checksum(None),"limit":limit,"qty":qty,"tif":tif,
        "req":{"cpu":4,"mem":16,"gpu":["A100-80GB"],"gpus":1,"gpu_mem":0,"tee":null,"regions":[]},
        "duration":3_600_000,"not_before":0,"deadline":LATER_MS})
}

/// A cancel of order `id` by `owner`.
pub(crate) fn cancel(id: &str, owner: Address) -> Value {
    json!({"op":"cancel","id":id,"owner":owner.to_checksum(None)})
}

/// Runs `future` with a deadline, so a hung node fails the test instead of hanging it.
pub(crate) async fn within<T>(
    what: &str,
    seconds: u64,
    future: impl std::future::Future<Output = T>,
) -> T {
    tokio::time::timeout(Duration::from_secs(seconds), future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {seconds} s"))
}
