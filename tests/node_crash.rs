//! Crash test of the live node: clients send commands while the node is killed with SIGKILL at
//! random moments and restarted on the same data directory. Afterwards:
//! - every acknowledged command is in the journal, at the sequence number it was answered with;
//! - no command was applied twice (clients resend unanswered commands, byte for byte);
//! - every event a client saw is, byte for byte, the event of that `seq` in an offline replay of
//!   the exported journal;
//! - after recovery the node's whole event log equals that replay;
//! - the node's state hash after recovery (`GET /v1/health`) equals the hash of the state an
//!   offline replay of the exported journal up to that seq reaches (`gridbook replay
//!   --state-hash`).
//!
//! The node snapshots every 40 commands, so kills also land while a snapshot is written and
//! restarts start from snapshots.
//!
//! `GRIDBOOK_CRASH_KILLS` sets the number of kills (default 3; the long run uses 50).

mod node_support;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use node_support::{client, fresh_dir, gridbook, Node};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// A command object (without `ts`) as the order stream's decoder reads it.
fn command_of(object: &Value) -> gridbook_matcher::Command {
    let line = format!("{{\"ts\":0,{}", &object.to_string()[1..]);
    let (_, command) = gridbook_matcher::stream::Decoder::new()
        .decode(line.as_bytes())
        .unwrap_or_else(|error| panic!("{object} decodes: {error}"));
    command
}

const CLIENTS: usize = 3;

/// The command a client sends as its `n`th: asks and bids of one H100 machine class whose
/// prices cross often, and now and then a cancel of one of its own earlier orders.
fn command(client: usize, n: u64) -> Value {
    let owner = format!("0x{:040x}", 0x1000 + client);
    let id = format!("c{client}-{n}");
    match n % 5 {
        4 => json!({"op":"cancel","id":format!("c{client}-{}", n - 3),"owner":owner}),
        k if (k + client as u64).is_multiple_of(2) => json!({"op":"ask","id":id,"owner":owner,
            "price":format!("2.{}", 40 + (n * 7 + client as u64) % 40),"qty":1 + n % 3,"tif":"gtc",
            "hw":{"cpu":32,"mem":256,"gpu":"H100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"},
            "from":0,"until":4_102_444_800_000u64}),
        _ => json!({"op":"bid","id":id,"owner":owner,
            "limit":format!("2.{}", 50 + (n * 11 + client as u64) % 40),"qty":1 + n % 2,"tif":"gtc",
            "req":{"cpu":8,"mem":32,"gpu":["H100-80GB"],"gpus":1,"gpu_mem":80,"tee":null,"regions":[]},
            "duration":3_600_000,"not_before":0,"deadline":4_102_444_800_000u64}),
    }
}

/// What clients were told: answers by command seq.
type Acknowledged = Arc<Mutex<BTreeMap<u64, (String, Value)>>>;

/// One client: sends its commands in order; an unanswered one (the node died) is resent, byte
/// for byte, to whatever node is up, until it is answered.
fn run_client(
    client_no: usize,
    url: Arc<Mutex<String>>,
    stop: Arc<AtomicBool>,
    acked: Acknowledged,
) -> (u64, u64) {
    let http = client();
    let (mut n, mut resent) = (0, 0);
    while !stop.load(Ordering::Relaxed) {
        let body = command(client_no, n).to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(
                Instant::now() < deadline,
                "client {client_no}: command {n} unanswered for 60 s"
            );
            let target = format!("{}/v1/commands", url.lock().expect("url").clone());
            match http.post(&target).body(body.clone()).send() {
                Ok(response) if response.status().is_success() => {
                    let outcome: Value = response.json().expect("an outcome");
                    let seq = outcome["seq"].as_u64().expect("seq");
                    acked.lock().expect("acked").insert(seq, (body.clone(), outcome));
                    break;
                }
                Ok(response) if response.status().as_u16() == 503 => {}
                Ok(response) => panic!(
                    "client {client_no}: {} {}",
                    response.status(),
                    response.text().unwrap_or_default()
                ),
                Err(_) => resent += 1, // the node is down: resend to the next one
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        n += 1;
    }
    (n, resent)
}

#[test]
fn after_kill_9_at_random_moments_nothing_acknowledged_is_lost_or_applied_twice() {
    let kills: u32 =
        std::env::var("GRIDBOOK_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let data = fresh_dir("crash");
    let data_arg = data.to_str().expect("UTF-8 path");
    let config = data.with_extension("toml");
    std::fs::write(&config, "[snapshot]\nevery_commands = 40\nkeep = 2\n").expect("node.toml");
    let args = ["--auth", "none", "--config", config.to_str().expect("UTF-8 path")];
    let mut node = Node::start(&data, &args);
    let url = Arc::new(Mutex::new(node.url.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Acknowledged = Arc::default();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (url, stop, acked) = (url.clone(), stop.clone(), acked.clone());
            std::thread::spawn(move || run_client(c, url, stop, acked))
        })
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for _ in 0..kills {
        std::thread::sleep(Duration::from_millis(rng.random_range(150..700)));
        node.kill9();
        node = Node::start(&data, &args);
        *url.lock().expect("url") = node.url.clone();
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let counts: Vec<(u64, u64)> = clients.into_iter().map(|c| c.join().expect("client")).collect();
    let sent: u64 = counts.iter().map(|c| c.0).sum();
    let resent: u64 = counts.iter().map(|c| c.1).sum();
    let log = all_events(&node.url);
    let health: Value = client()
        .get(format!("{}/v1/health", node.url))
        .send()
        .expect("health")
        .json()
        .expect("JSON");
    assert!(node.terminate(), "a clean stop after SIGTERM");

    let export = data.join("export.jsonl");
    gridbook(&["journal", "export", data_arg, "--out", export.to_str().expect("UTF-8")]);
    let exported: Vec<String> =
        std::fs::read_to_string(&export).expect("export").lines().map(str::to_owned).collect();
    let replayed = replay_with_node_options(&[export.to_str().expect("UTF-8")]);
    let replay: HashMap<u64, &str> = replayed.lines().map(|l| (event_seq(l), l)).collect();
    // The state hash the recovered node reported is the replay's at the same seq.
    let hashed_seq = health["state_hash"]["seq"].as_u64().expect("a state hash after recovery");
    let prefix = data.join("prefix.jsonl");
    std::fs::write(&prefix, exported[..hashed_seq as usize].join("\n") + "\n").expect("prefix");
    let hash_file = data.join("state_hash");
    replay_with_node_options(&[
        prefix.to_str().expect("UTF-8"),
        "--out",
        data.join("prefix.events").to_str().expect("UTF-8"),
        "--state-hash",
        hash_file.to_str().expect("UTF-8"),
    ]);
    let offline = std::fs::read_to_string(&hash_file).expect("the hash");
    assert_eq!(offline.trim(), health["state_hash"]["hash"], "state hash at seq {hashed_seq}");

    let acked = acked.lock().expect("acked");
    assert!(acked.len() as u64 >= sent.min(50), "clients got answers ({} of {sent})", acked.len());
    for (seq, (body, outcome)) in acked.iter() {
        // Acknowledged ⇒ journaled at that seq, with the body sent (ts aside).
        let line = exported
            .get(*seq as usize - 1)
            .unwrap_or_else(|| panic!("acknowledged seq {seq} is not journaled"));
        let mut journaled: Value = serde_json::from_str(line).expect("a journal line");
        journaled.as_object_mut().expect("object").remove("ts");
        let sent: Value = serde_json::from_str(body).expect("a body");
        // An identical resend is answered with the original outcome, so its seq is the original's.
        // An unsigned command is journaled in the order stream's own form ("2.40" as "2.4"):
        // the same command, compared as the decoder reads it.
        assert_eq!(command_of(&journaled), command_of(&sent), "seq {seq} holds another command");
        for event in outcome["events"].as_array().expect("events") {
            let seq = event["seq"].as_u64().expect("event seq");
            let replayed: Value = serde_json::from_str(replay[&seq]).expect("a replayed event");
            assert_eq!(event, &replayed, "event {seq} differs from the replay");
        }
    }
    // Applied at most once: an id is accepted at most once (resends are rejected duplicates).
    let mut accepted: HashMap<String, u32> = HashMap::new();
    for line in replayed.lines() {
        let event: Value = serde_json::from_str(line).expect("event");
        if event["type"] == "accepted" {
            *accepted.entry(event["id"].as_str().expect("id").to_owned()).or_default() += 1;
        }
    }
    assert!(accepted.values().all(|&n| n == 1), "an order accepted twice");
    // After recovery the node's event log is the replay, whole.
    let replay_lines: Vec<Value> =
        replayed.lines().map(|l| serde_json::from_str(l).expect("event")).collect();
    assert_eq!(log, replay_lines, "the recovered node's events are the replay's");
    eprintln!(
        "{kills} kills: {sent} commands sent ({resent} resends), {} acknowledged, {} journaled",
        acked.len(),
        exported.len()
    );
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_file(&config);
}

/// `gridbook replay ARGS` with the pricing options of the node's default market (what
/// `gridbook journal export` prints for it).
fn replay_with_node_options(args: &[&str]) -> String {
    let market = ["--pricing", "ewma", "--book-interval-ms", "60000", "--publish-step-bps", "10"];
    gridbook(&[&["replay"], args, &market].concat())
}

fn event_seq(line: &str) -> u64 {
    serde_json::from_str::<Value>(line).expect("event")["seq"].as_u64().expect("seq")
}

/// Every event the node holds, page by page.
fn all_events(url: &str) -> Vec<Value> {
    let http = client();
    let (mut events, mut after) = (Vec::new(), 0);
    loop {
        let page: Value = http
            .get(format!("{url}/v1/events?after={after}&limit=10000"))
            .send()
            .and_then(|r| r.json())
            .expect("a page of events");
        let batch = page["events"].as_array().expect("events").clone();
        if batch.is_empty() {
            return events;
        }
        after = page["last"].as_u64().expect("last");
        events.extend(batch);
    }
}
