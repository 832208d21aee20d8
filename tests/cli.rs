//! The `gridbook` program as a user runs it: exit codes, messages, determinism, bounded lines.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn gridbook(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridbook"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gridbook starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let input = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        // A replay may stop reading early on error; a closed pipe is not this test's concern.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("gridbook runs");
    writer.join().expect("stdin writer");
    output
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gridbook-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn example_replay_matches_the_committed_events_byte_for_byte() {
    let output = gridbook(&["replay", "examples/market.jsonl"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let golden =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/market.events.jsonl"))
            .expect("golden events");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&golden),
        "the example's events changed; if on purpose, regenerate examples/market.events.jsonl"
    );
    let summary = stderr(&output);
    assert!(summary.contains("23 lines"), "{summary}");
    assert!(summary.contains("rejected by reason:"), "{summary}");
}

#[test]
fn replay_of_the_same_stream_gives_identical_bytes() {
    let stream = gridbook(&["gen", "--seed", "7", "--resting", "300", "--orders", "3000"], None);
    assert!(stream.status.success(), "{}", stderr(&stream));
    let first = gridbook(&["replay", "-"], Some(&stream.stdout));
    let second = gridbook(&["replay", "-"], Some(&stream.stdout));
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(first.stdout.len() > 100_000, "the run should produce many events");
    assert_eq!(first.stdout, second.stdout);
    assert!(!String::from_utf8_lossy(&first.stdout).contains("\"rejected\""));
}

#[test]
fn gen_is_a_function_of_its_seed() {
    let args = |seed: &'static str| ["gen", "--seed", seed, "--resting", "50", "--orders", "200"];
    let a = gridbook(&args("1"), None);
    let b = gridbook(&args("1"), None);
    let c = gridbook(&args("2"), None);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
    assert_eq!(a.stdout.iter().filter(|&&b| b == b'\n').count(), 250);
}

#[test]
fn replay_writes_events_to_out_file() {
    let out = temp_path("events.jsonl");
    let output =
        gridbook(&["replay", "examples/market.jsonl", "--out", out.to_str().expect("utf-8")], None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let events = std::fs::read_to_string(&out).expect("events written");
    assert!(events.lines().count() > 20);
}

#[test]
fn missing_input_fails_with_a_message_naming_the_file() {
    let output = gridbook(&["replay", "no/such/stream.jsonl"], None);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("no/such/stream.jsonl"), "{message}");
}

#[test]
fn unwritable_output_fails_with_a_message() {
    let output =
        gridbook(&["replay", "examples/market.jsonl", "--out", "/no/such/dir/events.jsonl"], None);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("/no/such/dir/events.jsonl"));
}

#[test]
fn a_line_over_one_mebibyte_is_rejected_and_the_next_line_is_read() {
    let mut input = b"{\"ts\":1,\"op\":\"tick\",\"x\":\"".to_vec();
    input.extend(std::iter::repeat_n(b'a', 2 << 20));
    input.extend_from_slice(b"\"}\n{\"ts\":2,\"op\":\"tick\"}\n{\"ts\":1,\"op\":\"tick\"}\n");
    let output = gridbook(&["replay", "-"], Some(&input));
    assert!(output.status.success(), "{}", stderr(&output));
    let events = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = events.lines().collect();
    assert_eq!(lines.len(), 2, "{events}");
    assert!(lines[0].contains("\"reason\":\"line_too_long\"") && lines[0].contains("\"line\":1"));
    assert!(lines[1].contains("\"reason\":\"time_backwards\"") && lines[1].contains("\"line\":3"));
}

#[test]
fn explain_lists_the_nearest_asks_with_the_rules_that_excluded_them() {
    let output = gridbook(&["explain", "examples/market.jsonl", "b-wait", "--json"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let found: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(found["line"], 9);
    let nearest = found["nearest"].as_array().expect("nearest");
    assert_eq!(nearest[0]["id"], "a-a100-eu");
    assert_eq!(nearest[0]["excluded_by"], serde_json::json!(["price"]));
    let kinds: Vec<&str> = found["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(kinds, ["accepted", "deal", "expired"]);
}

#[test]
fn explain_of_an_unknown_id_fails_naming_it() {
    let output = gridbook(&["explain", "examples/market.jsonl", "no-such-order"], None);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("no-such-order"));
}

const QUOTE_BID: &str = r#"{"ts":0,"op":"bid","id":"q1","owner":"0x2000000000000000000000000000000000000009","limit":"3.00","qty":2,"tif":"gtc","req":{"cpu":8,"mem":32,"gpu":["A100-80GB","H100-80GB"],"gpus":1,"gpu_mem":80,"tee":null,"regions":[]},"duration":7200000,"not_before":0,"deadline":1767312000000}"#;

fn json_of(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

#[test]
fn quote_walks_the_book_cheapest_first_and_prices_the_whole_bid() {
    let answer =
        json_of(&gridbook(&["quote", "examples/market.jsonl", "--bid", QUOTE_BID, "--json"], None));
    assert_eq!(answer["fills_now"], true);
    let asks: Vec<&str> = answer["fills"]
        .as_array()
        .expect("fills")
        .iter()
        .filter_map(|f| f["ask"].as_str())
        .collect();
    // Under the default model (vwap) the pegged bid never reached a-self, so it is still there:
    // cheapest first, across both GPU models.
    assert_eq!(asks, ["a-self", "a-h100"]);
    assert_eq!(answer["filled"], 2);
    assert_eq!(answer["total_cost"], "8.4", "(1.4 + 2.8) per slot-hour x 2 h");
    assert_eq!(answer["best_slot_price"], "1.4");
    assert_eq!(answer["worst_slot_price"], "2.8");
    assert_eq!(answer["depth_at_limit"], 3, "a-self 1 + the H100's 2 remaining");
    let classes: Vec<&str> = answer["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .filter_map(|c| c["class"].as_str())
        .collect();
    assert_eq!(classes, ["gpu.a100-80gb", "gpu.h100-80gb"]);
}

#[test]
fn quote_refuses_a_line_that_is_not_a_bid() {
    let output =
        gridbook(&["quote", "examples/market.jsonl", "--bid", r#"{"ts":1,"op":"tick"}"#], None);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--bid must be a bid"));
}

#[test]
fn price_gives_the_class_market_and_a_suggested_ask_with_its_reason() {
    let hw = r#"{"cpu":16,"mem":128,"gpu":"H100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"}"#;
    let answer = json_of(&gridbook(
        &["price", "examples/market.jsonl", "--hw", hw, "--pricing", "ewma", "--json"],
        None,
    ));
    assert_eq!(answer["class"], "gpu.h100-80gb");
    assert_eq!(answer["best_ask"]["per_slot_hour"], "2.8");
    assert!(answer["suggested_ask"]["per_slot_hour"].is_string());
    assert!(!answer["suggested_ask"]["reason"].as_str().unwrap_or("").is_empty());
}

#[test]
fn price_of_malformed_hardware_fails_naming_the_option() {
    let output = gridbook(&["price", "examples/market.jsonl", "--hw", r#"{"cpu":"many"}"#], None);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--hw"), "{}", stderr(&output));
}

#[test]
fn backtest_compares_every_model_and_pegged_orders_make_them_differ() {
    let output = gridbook(&["backtest", "examples/market.jsonl"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    let slots = |model: &str| -> String {
        let row = table.lines().find(|l| l.starts_with(&format!("| {model} |"))).expect("row");
        row.split('|').nth(7).expect("slots column").trim().to_string()
    };
    // The pegged bid trades only when the model's reference lifts it over the resting ask.
    assert_eq!(slots("vwap"), "7");
    assert_eq!(slots("ewma"), "8");
    assert_eq!(table.lines().filter(|l| l.starts_with("| ")).count(), 5, "header and 4 models");
}

#[test]
fn replay_with_a_pricing_model_writes_the_price_series() {
    let stream = gridbook(&["gen", "--seed", "5", "--resting", "300", "--orders", "3000"], None);
    let csv = temp_path("prices.csv");
    let args = ["replay", "-", "--pricing", "ewma", "--book-interval-ms", "100", "--prices-out"];
    let mut args: Vec<&str> = args.to_vec();
    args.push(csv.to_str().expect("utf-8"));
    let output = gridbook(&args, Some(&stream.stdout));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&csv).expect("price series written");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("ts,class,unit,reference,best_bid,best_ask,last_deal,volume_units")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() > 13 * 5, "a row per class per book interval");
    assert!(rows.iter().any(|r| r[1] == "gpu.a100-80gb" && !r[6].is_empty()), "A100 deals priced");
}

#[test]
fn an_unknown_pricing_model_fails_naming_the_known_ones() {
    let output = gridbook(&["replay", "examples/market.jsonl", "--pricing", "twap"], None);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("vwap"), "{}", stderr(&output));
}

#[test]
fn a_reader_that_is_gone_ends_gridbook_quietly_not_with_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridbook"))
        .args(["settle", "examples/market.events.jsonl"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gridbook starts");
    // Close the pipe's reading end before gridbook prints its report (it settles first).
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("gridbook ends");
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}
