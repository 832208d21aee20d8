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
    assert!(summary.contains("20 lines"), "{summary}");
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
