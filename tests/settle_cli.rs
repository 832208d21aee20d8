//! `gridbook settle` and `gridbook settlement` as a user runs them on the embedded devnet: one
//! command settles a replay's deals, balances are checked, proofs verify, bad input is refused
//! with the line and field named and nothing written.

use std::path::PathBuf;
use std::process::Command;

mod cli_support;
use cli_support::gridbook;

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gridbook-settle-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn settle_on_the_devnet_settles_every_deal_and_checks_every_balance() {
    let journal = temp_path("example.journal");
    let journal = journal.to_str().expect("utf-8 path");
    let events = "examples/market.events.jsonl";
    let output = gridbook(&["settle", events, "--journal", journal, "--fee-bps", "100"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(stdout.contains("settled 6 deals in "), "{stdout}");
    // The value `gridbook replay` reports for the example: 46.6 tokens, at 9 decimals.
    assert!(stdout.contains("volume            46.6 tokens (46600000000 base units)"), "{stdout}");
    assert!(stdout.contains("accounts match the deals exactly"), "{stdout}");

    let proof = gridbook(&["settlement", "prove", "4", "--journal", journal]);
    let stdout = text(&proof.stdout);
    assert!(proof.status.success(), "{}", text(&proof.stderr));
    assert!(stdout.contains("matches the root the chain reported"), "{stdout}");
    let missing = gridbook(&["settlement", "prove", "99", "--journal", journal]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("deal 99 is in no journaled batch"));
}

#[test]
fn batch_size_sets_how_many_deals_share_a_transaction() {
    let journal = temp_path("sizes.journal");
    let journal = journal.to_str().expect("utf-8 path");
    let events = "examples/market.events.jsonl";
    let output = gridbook(&["settle", events, "--journal", journal, "--batch-size", "1"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("settled 6 deals in 6 batches"));
    let status = gridbook(&["settlement", "status", "--journal", journal]);
    let stdout = text(&status.stdout);
    assert!(stdout.contains("batches confirmed  6") && stdout.contains("batches pending    0"));
}

#[test]
fn malformed_events_are_refused_naming_line_and_field_before_anything_is_journaled() {
    let events = temp_path("bad.events.jsonl");
    let good = std::fs::read_to_string("examples/market.events.jsonl").expect("example");
    let bad = good.replacen("\"qty\":2,", "\"qty\":2,\"bonus\":1,", 1);
    std::fs::write(&events, bad).expect("write events");
    let journal = temp_path("bad.journal");
    let output = gridbook(&[
        "settle",
        events.to_str().expect("utf-8 path"),
        "--journal",
        journal.to_str().expect("utf-8 path"),
    ]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("line 6") && stderr.contains("bonus"), "{stderr}");
    assert!(!journal.exists(), "nothing may be journaled from a refused file");
}

#[test]
fn an_unreachable_rpc_is_a_clear_error() {
    let output = gridbook(&[
        "settle",
        "examples/market.events.jsonl",
        "--rpc",
        "http://127.0.0.1:9/",
        "--deployment",
        temp_path("none.json").to_str().expect("utf-8 path"),
    ]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("unreachable") && stderr.contains("127.0.0.1:9"), "{stderr}");
}

#[test]
fn a_key_file_that_holds_no_key_is_refused_without_echoing_it() {
    let key = temp_path("bad.key");
    std::fs::write(&key, "0xnotakeybutasecretlookingstring").expect("write key");
    let output = gridbook(&[
        "settlement",
        "deploy",
        "--rpc",
        "http://127.0.0.1:9/",
        "--key-file",
        key.to_str().expect("utf-8 path"),
        "--test-token",
    ]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("does not hold a private key"), "{stderr}");
    assert!(!stderr.contains("secretlooking"), "the key's text must never be printed: {stderr}");
}

#[test]
fn a_second_settler_on_a_journal_in_use_is_refused_at_once_naming_the_holders_pid() {
    let journal = temp_path("locked.journal");
    // This test process holds the journal, as a running settler would.
    let held = gridbook_settlement::journal::Journal::open(&journal).expect("journal opens");
    let started = std::time::Instant::now();
    let output = gridbook(&[
        "settle",
        "examples/market.events.jsonl",
        "--journal",
        journal.to_str().expect("utf-8 path"),
    ]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    let holder = format!("in use by process {}", std::process::id());
    assert!(stderr.contains(&holder), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "refused at once");
    assert!(held.records().is_empty(), "the refused settler wrote nothing");
    drop(held);
    let output = gridbook(&[
        "settle",
        "examples/market.events.jsonl",
        "--journal",
        journal.to_str().expect("utf-8 path"),
    ]);
    assert!(output.status.success(), "free again: {}", text(&output.stderr));
}

/// Issue 10, item 6: `settle` on the devnet and `settlement status|prove` agree on where the
/// journal lives — settlement.journal beside the deployment file (the current folder by
/// default) — so the devnet's batches can be inspected and proved without naming the file,
/// and a second devnet run starts a fresh journal there.
#[test]
fn settle_on_the_devnet_and_settlement_status_and_prove_find_the_same_journal() {
    let folder = temp_path("devnet-journal");
    std::fs::create_dir_all(&folder).expect("folder");
    let events =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/market.events.jsonl");
    let in_folder = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gridbook"))
            .args(args)
            .current_dir(&folder)
            .output()
            .expect("gridbook runs")
    };
    let events = events.to_str().expect("utf-8 path");
    for run in 0..2 {
        let settle = in_folder(&["settle", events]);
        assert!(settle.status.success(), "run {run}: {}", text(&settle.stderr));
        assert!(text(&settle.stdout).contains("journal           settlement.journal"));
    }
    assert!(folder.join("settlement.journal").exists());
    let status = in_folder(&["settlement", "status"]);
    assert!(status.status.success(), "{}", text(&status.stderr));
    let said = text(&status.stdout);
    assert!(said.contains("2 (6 deals)") && said.contains("batches confirmed  2"), "{said}");
    let proof = in_folder(&["settlement", "prove", "4"]);
    assert!(proof.status.success(), "{}", text(&proof.stderr));
    assert!(text(&proof.stdout).contains("matches the root the chain reported"));
    std::fs::remove_dir_all(&folder).ok();
}
