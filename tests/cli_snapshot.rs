//! `gridbook snapshot` and `--from-snapshot` as a user runs them. The rules pinned: a snapshot
//! after a stream's first lines plus a replay of the rest gives the whole stream's events and
//! answers, byte for byte (a property over generated streams with pegged orders and models);
//! its state hash is the one `replay --state-hash` reports for the same lines; a snapshot of
//! another market is refused naming what differs; a damaged file is an error, never a panic.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

mod cli_support;
use cli_support::gridbook;

/// `gridbook args`, which must succeed; its standard output.
fn ok(args: &[&str]) -> Vec<u8> {
    let output = gridbook(args);
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// `gridbook args`, which must fail with an error (exit code 1, not a panic's 101); its stderr.
fn refused(args: &[&str]) -> String {
    let output = gridbook(args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    stderr
}

fn dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gridbook-cli-snapshot-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn s(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

const HW: &str =
    r#"{"cpu":8,"mem":64,"gpu":"A100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"}"#;
const BID: &str = r#"{"ts":0,"op":"bid","id":"q1","owner":"0x2000000000000000000000000000000000000009","limit":"3.00","qty":2,"tif":"gtc","req":{"cpu":8,"mem":32,"gpu":["A100-80GB","H100-80GB"],"gpus":1,"gpu_mem":80,"tee":null,"regions":[]},"duration":7200000,"not_before":0,"deadline":1767312000000}"#;

/// A generated stream in `dir`, split after line `k`: (whole, head, rest).
fn split(dir: &Path, gen: &[&str], k: usize) -> (PathBuf, PathBuf, PathBuf) {
    let whole = dir.join("whole.jsonl");
    ok(&[&["gen", "--out", s(&whole)], gen].concat());
    let text = std::fs::read_to_string(&whole).expect("generated");
    let lines: Vec<&str> = text.lines().collect();
    let k = k.min(lines.len());
    let (head, rest) = (dir.join("head.jsonl"), dir.join("rest.jsonl"));
    let join = |lines: &[&str]| lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    std::fs::write(&head, join(&lines[..k])).expect("head written");
    std::fs::write(&rest, join(&lines[k..])).expect("rest written");
    (whole, head, rest)
}

/// The snapshot after `head` and the replay of `rest` from it give what the whole stream
/// gives: its events, and the answers of `price`, `quote` and `explain`.
fn check_snapshot_plus_rest(dir: &Path, gen: &[&str], k: usize, model: &str) {
    let (whole, head, rest) = split(dir, gen, k);
    let snap = dir.join("s.gbsnap");
    ok(&["snapshot", s(&head), "--out", s(&snap), "--pricing", model]);
    let events = ok(&["replay", s(&whole), "--pricing", model]);
    let head_events = ok(&["replay", s(&head), "--pricing", model]);
    let rest_events = ok(&["replay", "--from-snapshot", s(&snap), s(&rest)]);
    assert!(events == [head_events, rest_events].concat(), "events differ after line {k}");
    let from = ["--from-snapshot", s(&snap), s(&rest)];
    let price = ["price", "--hw", HW, "--json", "--pricing", model];
    assert_eq!(ok(&[&price[..], &[s(&whole)]].concat()), ok(&[&price[..], &from].concat()));
    let quote = ["quote", "--bid", BID, "--json", "--pricing", model];
    assert_eq!(ok(&[&quote[..], &[s(&whole)]].concat()), ok(&[&quote[..], &from].concat()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    /// Snapshot after k lines + replay of the rest == the whole stream, byte for byte.
    #[test]
    fn a_snapshot_and_the_rest_give_the_whole_streams_events_and_answers(
        seed in 0u64..1_000,
        resting in 0u64..60,
        orders in 20u64..300,
        pegged in 0u64..60,
        k in 0usize..400,
        model in prop::sample::select(vec!["vwap", "ewma", "utilization", "clearing", "none"]),
    ) {
        let dir = dir("prop");
        let gen = [
            "--seed", &seed.to_string(), "--resting", &resting.to_string(),
            "--orders", &orders.to_string(), "--pegged", &pegged.to_string(),
        ];
        let gen: Vec<&str> = gen.iter().map(|a| a.as_ref()).collect();
        check_snapshot_plus_rest(&dir, &gen, k, model);
    }
}

#[test]
fn a_snapshots_state_hash_is_what_replay_reports_for_the_same_lines() {
    let dir = dir("hash");
    let (_, head, _) = split(&dir, &["--seed", "5", "--orders", "400", "--pegged", "30"], 300);
    let (snap, hash) = (dir.join("s.gbsnap"), dir.join("hash.txt"));
    let output = gridbook(&["snapshot", s(&head), "--out", s(&snap)]);
    assert!(output.status.success());
    ok(&["replay", s(&head), "--pricing", "vwap", "--state-hash", s(&hash)]);
    let hash = std::fs::read_to_string(&hash).expect("hash written");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains(hash.trim()), "snapshot says {said}, replay {hash}");
    // Loading re-checks the hash; a replay of nothing from the snapshot reports it again.
    let again = dir.join("again.txt");
    ok(&["replay", "--from-snapshot", s(&snap), "--state-hash", s(&again)]);
    assert_eq!(std::fs::read_to_string(&again).expect("hash written"), hash);
}

#[test]
fn explain_from_a_snapshot_explains_an_arrival_in_the_rest_and_a_resting_order() {
    let dir = dir("explain");
    let (whole, head, rest) = split(&dir, &["--seed", "9", "--orders", "300"], 250);
    let snap = dir.join("s.gbsnap");
    ok(&["snapshot", s(&head), "--out", s(&snap), "--pricing", "none"]);
    // The first order of the rest: explained on arrival, as from the whole stream.
    let text = std::fs::read_to_string(&rest).expect("rest");
    let first: serde_json::Value =
        serde_json::from_str(text.lines().find(|l| l.contains("\"op\":\"bid\"")).expect("a bid"))
            .expect("a line");
    let id = first["id"].as_str().expect("an id");
    let whole_answer = ok(&["explain", s(&whole), id, "--json"]);
    let from_answer = ok(&["explain", "--from-snapshot", s(&snap), s(&rest), id, "--json"]);
    assert_eq!(whole_answer, from_answer);
    // An order resting in the snapshot: explained as it rests.
    let resting = ok(&["replay", s(&head)]);
    let events = String::from_utf8_lossy(&resting);
    let accepted = events.lines().rev().find(|l| l.contains("\"type\":\"accepted\"")).expect("one");
    let event: serde_json::Value = serde_json::from_str(accepted).expect("an event");
    let id = event["id"].as_str().expect("an id");
    let answer: serde_json::Value =
        serde_json::from_slice(&ok(&["explain", "--from-snapshot", s(&snap), id, "--json"]))
            .expect("JSON");
    assert_eq!(answer["line"], serde_json::Value::Null, "{answer}");
    assert!(answer["nearest"].is_array(), "{answer}");
}

#[test]
fn a_snapshot_of_another_market_is_refused_naming_what_differs() {
    let dir = dir("market");
    let (_, head, _) = split(&dir, &["--seed", "2", "--orders", "200"], 150);
    let snap = dir.join("s.gbsnap");
    ok(&["snapshot", s(&head), "--out", s(&snap), "--pricing", "vwap"]);
    let from = ["--from-snapshot", s(&snap), "--hw", HW];
    let said = refused(&[&["price", "--pricing", "ewma"], &from[..]].concat());
    assert!(said.contains("--pricing differs") && said.contains("vwap"), "{said}");
    let said = refused(&[&["price", "--book-interval-ms", "1000"], &from[..]].concat());
    assert!(said.contains("--book-interval-ms differs"), "{said}");
    let said = refused(&[&["price", "--publish-step-bps", "0"], &from[..]].concat());
    assert!(said.contains("--publish-step-bps differs"), "{said}");
    let classes = dir.join("classes.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("pricing/classes/default.toml"),
        &classes,
    )
    .expect("copied");
    let said = refused(&[&["price", "--classes", s(&classes)], &from[..]].concat());
    assert!(said.contains("--classes differs"), "{said}");
    // The options the snapshot was taken with, given again, are accepted.
    ok(&[&["price", "--pricing", "vwap", "--book-interval-ms", "60000"], &from[..]].concat());
}

#[test]
fn a_truncated_or_bit_flipped_snapshot_is_an_error_not_a_panic() {
    let dir = dir("damaged");
    let (_, head, _) = split(&dir, &["--seed", "4", "--orders", "200", "--pegged", "20"], 200);
    let snap = dir.join("s.gbsnap");
    ok(&["snapshot", s(&head), "--out", s(&snap)]);
    let bytes = std::fs::read(&snap).expect("written");
    let bad = dir.join("bad.gbsnap");
    let step = (bytes.len() / 7).max(1);
    for len in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
        std::fs::write(&bad, &bytes[..len]).expect("written");
        let said = refused(&["quote", "--from-snapshot", s(&bad), "--bid", BID]);
        assert!(said.contains("not a usable snapshot"), "truncated to {len}: {said}");
    }
    for at in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x10;
        std::fs::write(&bad, &flipped).expect("written");
        let said = refused(&["quote", "--from-snapshot", s(&bad), "--bid", BID]);
        assert!(said.contains("not a usable snapshot"), "byte {at} flipped: {said}");
    }
}
