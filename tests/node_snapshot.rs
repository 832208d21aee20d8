//! A node started from a snapshot answers as one that replayed its whole journal (issue 11,
//! "Crash safety"; docs/api.md, "Snapshots"). The rules pinned:
//! - a clean stop (SIGTERM) writes a last snapshot, and a restart starts from it;
//! - that node and one started on a copy of the data directory without snapshots (the whole
//!   journal replayed) answer `GET /v1/orders/{id}`, `GET /v1/events?after=`, an idempotent
//!   retry, `GET /v1/book` and `GET /v1/price` (its recent deals included) alike, and report the same state hash in `GET /v1/health`.

mod node_support;

use node_support::{client, fresh_dir, urlencode, Node};
use serde_json::{json, Value};

const OWNER_A: &str = "0x00000000000000000000000000000000000000aa";
const OWNER_B: &str = "0x00000000000000000000000000000000000000bb";

fn ask(n: u64) -> Value {
    json!({"op":"ask","id":format!("a{n}"),"owner":OWNER_A,"price":format!("{}.5", 1 + n % 4),
        "qty":2,"tif":"gtc",
        "hw":{"cpu":32,"mem":256,"gpu":"H100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"},
        "from":0,"until":4_102_444_800_000u64})
}

fn bid(n: u64) -> Value {
    json!({"op":"bid","id":format!("b{n}"),"owner":OWNER_B,"limit":format!("{}", 2 + n % 3),
        "qty":1,"tif":"gtc",
        "req":{"cpu":8,"mem":32,"gpu":["H100-80GB"],"gpus":1,"gpu_mem":80,"tee":null,"regions":[]},
        "duration":3_600_000,"not_before":0,"deadline":4_102_444_800_000u64})
}

fn post(url: &str, body: &Value) -> Value {
    let response = client().post(format!("{url}/v1/commands")).json(body).send().expect("sent");
    assert!(response.status().is_success(), "{}", response.text().unwrap_or_default());
    response.json().expect("JSON")
}

fn get(url: &str, path: &str) -> Value {
    client().get(format!("{url}{path}")).send().expect("sent").json().expect("JSON")
}

fn metric(url: &str, name: &str) -> u64 {
    let text = client().get(format!("{url}/metrics")).send().expect("sent").text().expect("text");
    let line = text.lines().find(|l| l.starts_with(&format!("{name} "))).expect("the metric");
    line.rsplit(' ').next().and_then(|v| v.parse().ok()).expect("a number")
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("listed") {
        let path = entry.expect("entry").path();
        if path.is_file() && path.file_name().is_some_and(|n| n != "LOCK") {
            std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copied");
        }
    }
}

/// What the two nodes are compared on.
fn answers(url: &str, ids: &[String]) -> Vec<Value> {
    let hw = r#"{"cpu":32,"mem":256,"gpu":"H100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"}"#;
    let mut answers = vec![
        get(url, "/v1/events?after=0&limit=10000"),
        get(url, "/v1/book"),
        get(url, &format!("/v1/price?hw={}", urlencode(hw))),
    ];
    answers.extend(ids.iter().map(|id| get(url, &format!("/v1/orders/{id}"))));
    answers
}

#[test]
fn a_node_started_from_a_snapshot_answers_as_one_that_replayed_the_journal() {
    let data = fresh_dir("snapshot");
    let config = data.join("node.toml");
    std::fs::write(&config, "[snapshot]\nevery_commands = 7\nkeep = 2\n").expect("config");
    let args = ["--auth", "none", "--config", config.to_str().expect("UTF-8")];
    let node = Node::start(&data.join("data"), &args);
    let mut ids = Vec::new();
    for n in 0..20 {
        post(&node.url, &ask(n));
        post(&node.url, &bid(n));
        ids.extend([format!("a{n}"), format!("b{n}")]);
    }
    assert!(metric(&node.url, "gridbook_snapshots_total") >= 1, "periodic snapshots were taken");
    assert!(node.terminate(), "a clean stop");

    let replayed_dir = data.join("replayed");
    copy_dir(&data.join("data"), &replayed_dir);
    let from_snapshot = Node::start(&data.join("data"), &args);
    let replayed = Node::start(&replayed_dir, &args);
    let seq = get(&from_snapshot.url, "/v1/health")["seq"].as_u64().expect("seq");
    assert_eq!(metric(&from_snapshot.url, "gridbook_snapshot_start_seq"), seq, "the last snapshot");
    assert_eq!(
        metric(&replayed.url, "gridbook_snapshot_start_seq"),
        0,
        "no snapshot to start from"
    );
    assert_eq!(answers(&from_snapshot.url, &ids), answers(&replayed.url, &ids));
    let hash = |url: &str| get(url, "/v1/health")["state_hash"].clone();
    assert_eq!(hash(&from_snapshot.url)["seq"], seq);
    assert_eq!(hash(&from_snapshot.url), hash(&replayed.url));
    // An identical retry of an accepted command is answered with its original outcome by both.
    let retry = ask(3);
    assert_eq!(post(&from_snapshot.url, &retry), post(&replayed.url, &retry));
    assert_eq!(
        post(&from_snapshot.url, &retry)["seq"],
        get(&from_snapshot.url, "/v1/orders/a3")["seq"]
    );
    drop((from_snapshot, replayed));
    let _ = std::fs::remove_dir_all(&data);
}
