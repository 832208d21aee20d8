//! `gridbook settle --rpc` against a real anvil node: a fresh node (automine, and one-second
//! blocks) gets the contracts deployed, hundreds of requesters funded and every deal settled in
//! one command; a second settler on the same journal is refused while the first one runs; the
//! settler process is killed with SIGKILL while its batch waits in the node's pool (mining
//! paused), restarted, and every deal is still paid exactly once — checked balance by balance
//! against amounts computed here from the events, independently of the settlement crate.

#[path = "../settlement/tests/anvil_support/mod.rs"]
mod anvil_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use anvil_support::{fast_config, Anvil};
use gridbook_settlement::audit::{read_balances, settled_batches};
use gridbook_settlement::devnet::DEV_ACCOUNTS;
use gridbook_settlement::journal::read_state;
use gridbook_settlement::{Chain, Deployment};

const EVENTS: &str = "examples/market.events.jsonl";

mod cli_support;
use cli_support::gridbook;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gridbook-settle-anvil-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// What each provider is owed and each requester pays, from the events file alone:
/// floor(price × qty × duration_ms / 3,600,000) at 9 decimals, fee 0.
fn owed_from_events(events: &Path) -> (BTreeMap<Address, U256>, BTreeMap<Address, U256>) {
    let (mut paid, mut earned) = (BTreeMap::new(), BTreeMap::new());
    let events = std::fs::read_to_string(events).expect("events");
    for line in events.lines() {
        let event: serde_json::Value = serde_json::from_str(line).expect("json");
        if event["type"] != "deal" {
            continue;
        }
        let price = event["price"].as_str().expect("price");
        let (whole, fraction) = price.split_once('.').unwrap_or((price, ""));
        let price_nano: u128 = format!("{whole}{fraction:0<9}").parse().expect("price digits");
        let qty = u128::from(event["qty"].as_u64().expect("qty"));
        let duration_ms = u128::from(
            event["end"].as_u64().expect("end") - event["start"].as_u64().expect("start"),
        );
        let amount = U256::from(price_nano * qty * duration_ms / 3_600_000);
        let account = |field: &str| event[field].as_str().expect("address").parse::<Address>();
        *paid.entry(account("requester").expect("requester")).or_insert(U256::ZERO) += amount;
        *earned.entry(account("provider").expect("provider")).or_insert(U256::ZERO) += amount;
    }
    (paid, earned)
}

/// Every account holds exactly what paying each deal once leaves it: each requester was funded
/// exactly what its deals cost, so escrow + credit equals what it earned. Balances are read
/// back from the chain's totals and the journal's batches beside the deployment file (every
/// batch the chain settled, each batch's account root compared with the chain's).
fn assert_paid_once(anvil: &Anvil, deployment: &Path, events: &Path) {
    let deployed: Deployment =
        serde_json::from_str(&std::fs::read_to_string(deployment).expect("deployment"))
            .expect("deployment json");
    let journal = deployment.with_file_name("settlement.journal");
    let batches = settled_batches(&read_state(&journal).expect("journal"));
    let mut chain = anvil.client(fast_config());
    let (paid, earned) = owed_from_events(events);
    let accounts = paid.keys().chain(earned.keys()).copied();
    let balances = read_balances(&mut chain, &deployed, &batches, accounts).expect("reads back");
    for (account, balance) in &balances {
        let owed = earned.get(account).copied().unwrap_or(U256::ZERO);
        assert_eq!(balance.escrow + balance.credit, owed, "{account}");
    }
}

/// A generated market's events (`gridbook gen --seed 3 --orders 2000`, replayed): 530 deals
/// between 354 requesters and their providers.
fn generated_events(dir: &Path) -> PathBuf {
    let (orders, events) = (dir.join("market.jsonl"), dir.join("market.events.jsonl"));
    let gen = gridbook(&["gen", "--seed", "3", "--orders", "2000", "--out", path_str(&orders)]);
    assert!(gen.status.success(), "{}", text(&gen.stderr));
    let replay = gridbook(&["replay", path_str(&orders)]);
    assert!(replay.status.success(), "{}", text(&replay.stderr));
    std::fs::write(&events, &replay.stdout).expect("write events");
    events
}

/// `gridbook settle --rpc` on a fresh node: deploys, funds every requester, settles every deal.
fn settle_generated_market_on(anvil: &Anvil, name: &str) {
    let dir = temp_dir(name);
    let events = generated_events(&dir);
    let deployment = dir.join("deployment.json");
    let url = anvil.url();
    let output = gridbook(&[
        "settle",
        path_str(&events),
        "--rpc",
        &url,
        "--deployment",
        path_str(&deployment),
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", text(&output.stderr));
    assert!(stdout.contains("deployed and funded on anvil"), "{stdout}");
    assert!(stdout.contains("settled 530 deals in 3 batches"), "{stdout}");
    assert_paid_once(anvil, &deployment, &events);
}

#[test]
fn settle_rpc_deploys_funds_and_settles_hundreds_of_accounts_on_a_fresh_automine_node() {
    settle_generated_market_on(&Anvil::start(), "automine");
}

#[test]
fn settle_rpc_deploys_funds_and_settles_hundreds_of_accounts_on_one_second_blocks() {
    settle_generated_market_on(&Anvil::start_with_block_time(1), "block-time");
}

fn wait_for_sent_record(journal: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(journal).unwrap_or_default();
        if text.contains("{\"sent\":") {
            return;
        }
        assert!(Instant::now() < deadline, "no batch was sent within 30 s: {text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_settler_killed_between_send_and_confirmation_settles_every_deal_exactly_once() {
    let anvil = Anvil::start();
    let dir = temp_dir("kill");
    let (deployment, journal) = (dir.join("deployment.json"), dir.join("settlement.journal"));
    let url = anvil.url();
    let chain_flags = ["--rpc", &url, "--deployment", path_str(&deployment)];
    let deploy = gridbook(&[&["settlement", "deploy", "--test-token"][..], &chain_flags].concat());
    assert!(deploy.status.success(), "{}", text(&deploy.stderr));
    let fund = gridbook(&[&["settlement", "fund", EVENTS][..], &chain_flags].concat());
    assert!(fund.status.success(), "{}", text(&fund.stderr));

    // Mining paused: the first batch waits in the pool; the settler is killed while it waits.
    anvil.control("evm_setAutomine", "[false]");
    let settle_args = [
        &["settle", EVENTS, "--batch-size", "2", "--journal", path_str(&journal)][..],
        &chain_flags,
    ]
    .concat();
    let mut settler = Command::new(env!("CARGO_BIN_EXE_gridbook"))
        .args(&settle_args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("settler starts");
    wait_for_sent_record(&journal);
    // A second settler on the same journal is refused at once, naming the first one's pid.
    let second = gridbook(&settle_args);
    assert!(!second.status.success());
    let holder = format!("in use by process {}", settler.id());
    assert!(text(&second.stderr).contains(&holder), "{}", text(&second.stderr));
    settler.kill().expect("SIGKILL the settler");
    settler.wait().expect("settler reaped");
    let deployed: Deployment =
        serde_json::from_str(&std::fs::read_to_string(&deployment).expect("deployment"))
            .expect("deployment json");
    let mut chain = anvil.client(fast_config());
    assert_eq!(chain.last_batch_id(&deployed).expect("lastBatchId"), 0, "nothing mined yet");

    anvil.control("evm_setAutomine", "[true]");
    anvil.control("evm_mine", "[]");
    let restarted = gridbook(&settle_args);
    let stdout = text(&restarted.stdout);
    assert!(restarted.status.success(), "{}\n{}", stdout, text(&restarted.stderr));
    assert!(stdout.contains("settled 6 deals in 4 batches"), "{stdout}");
    // The batch confirmed while resuming counts once, as settled now (not also as skipped).
    assert!(stdout.contains("deals read        6 = 6 settled now + 0 settled before + 0 held"));
    assert_eq!(chain.last_batch_id(&deployed).expect("lastBatchId"), 4);

    assert_paid_once(&anvil, &deployment, Path::new(EVENTS));
    let again = gridbook(&settle_args);
    assert!(text(&again.stdout).contains("skipped           6 deals already settled"));
    assert_eq!(chain.last_batch_id(&deployed).expect("lastBatchId"), 4);
}

#[test]
fn a_deployment_of_another_chain_is_refused_naming_both_chains() {
    let anvil = Anvil::start();
    let dir = temp_dir("wrong-chain");
    let deployment = dir.join("deployment.json");
    let mainnet = r#"{"chain_id":1,"token":"0x0000000000000000000000000000000000000001",
        "token_decimals":9,"test_token":false,
        "settlement":"0x0000000000000000000000000000000000000002",
        "settler":"0x0000000000000000000000000000000000000003","fee_bps":0,
        "withdrawal_delay_s":0}"#;
    std::fs::write(&deployment, mainnet).expect("write deployment");
    let url = anvil.url();
    let output =
        gridbook(&["settle", EVENTS, "--rpc", &url, "--deployment", path_str(&deployment)]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("is on chain 1, the node is chain 31337"), "{stderr}");
    assert!(!dir.join("settlement.journal").exists(), "nothing journaled for a wrong chain");
}

/// Two deals from development account 1 to development account 2 (anvil knows their keys), one
/// token-hour each at 1.5 tokens.
fn deals_between_dev_accounts(dir: &Path) -> PathBuf {
    let (requester, provider) = (DEV_ACCOUNTS[1].address, DEV_ACCOUNTS[2].address);
    let start = 1_767_225_600_000u64;
    let lines: String = (1..=2u64)
        .map(|id| {
            format!(
                "{{\"seq\":{id},\"ts\":{start},\"type\":\"deal\",\"deal\":{id},\"bid\":\"b{id}\",\
                 \"ask\":\"a{id}\",\"requester\":\"{requester}\",\"provider\":\"{provider}\",\
                 \"qty\":1,\"price\":\"1.5\",\"start\":{start},\"end\":{}}}\n",
                start + 3_600_000
            )
        })
        .collect();
    let events = dir.join("dev.events.jsonl");
    std::fs::write(&events, lines).expect("write events");
    events
}

fn key_file(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join(format!("key{n}"));
    std::fs::write(&path, DEV_ACCOUNTS[n].private_key_hex).expect("write key");
    path
}

/// `settlement balance|claim|withdraw` from the accounts' own keys against anvil: the provider
/// sees and claims its credit once with proofs; the requester's withdrawal of its whole deposit
/// pays nothing, because `--complete` charges its settled deals first.
#[test]
fn accounts_read_balances_claim_and_withdraw_with_proofs_through_the_cli_on_anvil() {
    let anvil = Anvil::start();
    let dir = temp_dir("claim");
    let events = deals_between_dev_accounts(&dir);
    let deployment = dir.join("deployment.json");
    let url = anvil.url();
    let chain = ["--rpc", &url, "--deployment", path_str(&deployment)];
    let run = |args: &[&str], key: Option<&Path>| {
        let key_flags = key.map(|k| vec!["--key-file", path_str(k)]).unwrap_or_default();
        let output = gridbook(&[args, &chain, &key_flags].concat());
        let stdout = text(&output.stdout);
        assert!(output.status.success(), "{args:?}: {stdout}\n{}", text(&output.stderr));
        stdout
    };
    let deploy = ["settlement", "deploy", "--test-token", "--fee-bps", "100"];
    run(&[&deploy[..], &["--withdrawal-delay-s", "0"]].concat(), None);
    run(&["settlement", "fund", path_str(&events)], None);
    run(&["settle", path_str(&events)], None);
    let provider = DEV_ACCOUNTS[2].address.to_string();
    let balance = run(&["settlement", "balance", &provider], None);
    // 2 × (1.5 − 1%) = 2.97 tokens.
    assert!(balance.contains("credit       2.97 tokens"), "{balance}");

    let provider_key = key_file(&dir, 2);
    let claimed = run(&["settlement", "claim"], Some(&provider_key));
    assert!(claimed.contains("claimed      2.97 tokens"), "{claimed}");
    let again = run(&["settlement", "claim"], Some(&provider_key));
    assert!(again.contains("claimed      0 tokens"), "claimed once: {again}");
    let balance = run(&["settlement", "balance", &provider], None);
    assert!(balance.contains("credit       0 tokens"), "{balance}");

    let requester_key = key_file(&dir, 1);
    run(&["settlement", "withdraw", "3"], Some(&requester_key));
    let withdrawn = run(&["settlement", "withdraw", "--complete"], Some(&requester_key));
    assert!(withdrawn.contains("withdrawn    0 tokens"), "{withdrawn}");
    let requester = DEV_ACCOUNTS[1].address.to_string();
    let balance = run(&["settlement", "balance", &requester], None);
    assert!(balance.contains("deposited 3, withdrawn 0, charged 3, claimed 0"), "{balance}");
    assert!(balance.contains("escrow       0 tokens"), "{balance}");
}
