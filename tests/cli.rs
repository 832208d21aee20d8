//! The `gridbook` program as a user runs it: exit codes, messages, determinism, bounded lines.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `gridbook args`, run from the repository's root.
fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gridbook"));
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

fn gridbook(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = command(args)
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
    let args = ["quote", "examples/market.jsonl", "--bid", QUOTE_BID, "--json"];
    let answer = json_of(&gridbook(&[&args[..], &["--pricing", "utilization"]].concat(), None));
    assert_eq!(answer["fills_now"], true);
    let asks: Vec<&str> = answer["fills"]
        .as_array()
        .expect("fills")
        .iter()
        .filter_map(|f| f["ask"].as_str())
        .collect();
    // Under utilization the pegged bid never reached a-self (no A100 bid is left to hold the
    // reference up), so it is still there: cheapest first, across both GPU models.
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
    // The pegged bid trades only when the model's reference lifts it over the resting ask:
    // every model but utilization, whose A100 reference falls once no A100 bid is left.
    assert_eq!(slots("vwap"), "8");
    assert_eq!(slots("ewma"), "8");
    assert_eq!(slots("utilization"), "7");
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
    let journal = temp_path("gone.journal");
    let mut child = command(&["settle", "examples/market.events.jsonl", "--journal"])
        .arg(journal)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gridbook starts");
    // Close the pipe's reading end before gridbook prints its report (it settles first).
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("gridbook ends");
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

/// A market where the class's best bid cannot be served by an eu-west machine: it wants
/// us-east. Only the cheaper bid open to any region can.
const SPLIT_MARKET: &str = r#"{"ts":1767225600000,"op":"ask","id":"a-us","owner":"0x1000000000000000000000000000000000000001","price":"7.00","qty":1,"tif":"gtc","hw":{"cpu":8,"mem":64,"gpu":"A100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"us-east"},"from":1767225600000,"until":1767312000000}
{"ts":1767225600000,"op":"bid","id":"b-us","owner":"0x2000000000000000000000000000000000000001","limit":"6.00","qty":2,"tif":"gtc","req":{"cpu":8,"mem":32,"gpu":["A100-80GB"],"gpus":1,"gpu_mem":80,"tee":null,"regions":["us-east"]},"duration":3600000,"not_before":0,"deadline":1767312000000}
{"ts":1767225600000,"op":"bid","id":"b-any","owner":"0x2000000000000000000000000000000000000002","limit":"0.43","qty":3,"tif":"gtc","req":{"cpu":8,"mem":32,"gpu":["A100-80GB"],"gpus":1,"gpu_mem":80,"tee":null,"regions":[]},"duration":3600000,"not_before":0,"deadline":1767312000000}
"#;

const EU_A100: &str =
    r#"{"cpu":8,"mem":64,"gpu":"A100-80GB","gpus":1,"gpu_mem":80,"tee":null,"region":"eu-west"}"#;

fn write_temp(name: &str, text: &str) -> PathBuf {
    let path = temp_path(name);
    std::fs::write(&path, text).expect("temp file written");
    path
}

/// Issue 10, item 1: the best bid and the suggested ask come from the bids this machine can
/// serve, and an `ioc` ask at a "trades at once" price for it does trade.
#[test]
fn price_advises_from_the_bids_the_machine_can_serve_and_that_ask_trades_at_once() {
    let stream = write_temp("split.jsonl", SPLIT_MARKET);
    let stream = stream.to_str().expect("utf-8");
    let args = ["price", stream, "--hw", EU_A100, "--pricing", "ewma", "--json"];
    let answer = json_of(&gridbook(&args, None));
    assert_eq!(answer["best_bid"]["per_slot_hour"], "0.43", "not b-us's 6.00: {answer}");
    assert_eq!(answer["best_bid"]["slots"], 3);
    assert_eq!(answer["suggested_ask"]["per_slot_hour"], "0.43");
    assert_eq!(answer["suggested_ask"]["trades_at_once"], true);
    let ioc = r#"{"ts":1767225600000,"op":"ask","id":"probe","owner":"0x1000000000000000000000000000000000000009","price":"0.43","qty":1,"tif":"ioc","hw":HW,"from":1767225600000,"until":1767312000000}"#;
    let with_ask = format!("{SPLIT_MARKET}{}\n", ioc.replace("HW", EU_A100));
    let replay = gridbook(&["replay", "-"], Some(with_ask.as_bytes()));
    let events = String::from_utf8_lossy(&replay.stdout);
    assert!(events.contains(r#""type":"deal","deal":1,"bid":"b-any","ask":"probe""#), "{events}");
    // A machine no resting bid accepts is told so.
    let h100 = EU_A100.replace("A100-80GB", "H100-80GB");
    let none = gridbook(&["price", stream, "--hw", &h100], None);
    assert!(text(&none.stdout).contains("best bid   none: no resting bid accepts this machine"));
    // Nor are the provider's own bids counted.
    let own = ["--owner", "0x2000000000000000000000000000000000000002", "--json"];
    let answer = json_of(&gridbook(&[&args[..6], &own[..]].concat(), None));
    assert!(answer["best_bid"]["per_slot_hour"].is_null(), "{answer}");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Issue 10, item 2: a class the market never priced shows "no reference yet", never the old
/// placeholder of 1 token, in text and as an empty cell in the price series.
#[test]
fn a_class_without_deals_or_book_has_no_reference_yet() {
    let rtx =
        r#"{"cpu":8,"mem":32,"gpu":"RTX4090","gpus":1,"gpu_mem":24,"tee":null,"region":"eu-west"}"#;
    let output = gridbook(&["price", "examples/market.jsonl", "--hw", rtx], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let said = text(&output.stdout);
    assert!(said.contains("reference  no reference yet"), "{said}");
    assert!(said.contains("suggested ask none:"), "{said}");
    let csv = temp_path("example-prices.csv");
    let args = ["replay", "examples/market.jsonl", "--pricing", "ewma", "--prices-out"];
    let output = gridbook(&[&args[..], &[csv.to_str().expect("utf-8")]].concat(), None);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = std::fs::read_to_string(&csv).expect("price series");
    for row in rows.lines().skip(1).filter(|r| r.contains(",gpu.rtx4090,")) {
        assert_eq!(row.split(',').nth(3), Some(""), "no reference for a class never traded: {row}");
    }
    let first_a100 = rows.lines().find(|r| r.contains(",gpu.a100-80gb,")).expect("an A100 row");
    assert_eq!(first_a100.split(',').nth(3), Some(""), "none before the first deal: {first_a100}");
}

/// Issue 10, item 1 for requesters: a quote that does not fill says what would.
#[test]
fn quote_names_the_cheapest_ask_the_bid_can_take_or_that_none_fits() {
    let low = QUOTE_BID.replace(r#""limit":"3.00","qty":2"#, r#""limit":"1.00","qty":1"#);
    let output = gridbook(&["quote", "examples/market.jsonl", "--bid", &low], None);
    let said = text(&output.stdout);
    assert!(said.contains("0 of 1 slot fill now — NOT all"), "{said}");
    assert!(said.contains("cheapest ask this bid can take now: 2.8 per slot-hour"), "{said}");
    let tee = low.replace(r#""tee":null"#, r#""tee":"sgx""#);
    let output = gridbook(&["quote", "examples/market.jsonl", "--bid", &tee], None);
    let said = text(&output.stdout);
    assert!(said.contains("no resting ask fits this bid's requirements"), "{said}");
}

/// Issue 10, item 6: a byte-order mark at the start is skipped, not a rejected line 1.
#[test]
fn a_byte_order_mark_at_the_start_of_a_stream_is_skipped() {
    let mut input = b"\xEF\xBB\xBF".to_vec();
    input.extend(std::fs::read("examples/market.jsonl").expect("example"));
    let output = gridbook(&["replay", "-"], Some(&input));
    let golden = std::fs::read("examples/market.events.jsonl").expect("golden events");
    assert_eq!(text(&output.stdout), text(&golden));
}

/// Issue 10, item 6: a price written as a number is refused naming the field and the form.
#[test]
fn a_price_written_as_a_json_number_is_refused_naming_the_field() {
    let line = QUOTE_BID.replace(r#""limit":"3.00""#, r#""limit":3.0"#);
    let output = gridbook(&["replay", "-"], Some(line.as_bytes()));
    let events = text(&output.stdout);
    assert!(events.contains(r#"limit must be a decimal string such as \"1.5\""#), "{events}");
}

/// Issue 10, item 6: `--strict` makes a rejected line an error; without it a replay that read
/// its input to the end succeeds.
#[test]
fn replay_strict_exits_non_zero_when_a_line_is_rejected() {
    let output = gridbook(&["replay", "examples/market.jsonl", "--strict"], None);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--strict: 4 of 23 lines rejected"), "{}", stderr(&output));
    assert_eq!(output.stdout, std::fs::read("examples/market.events.jsonl").expect("golden"));
    let clean = gridbook(&["replay", "-", "--strict"], Some(b"{\"ts\":1,\"op\":\"tick\"}\n"));
    assert!(clean.status.success(), "{}", stderr(&clean));
    assert!(stderr(&clean).contains("1 line, 1 command applied"), "{}", stderr(&clean));
    assert!(stderr(&clean).contains("resting at end: 0 orders"), "{}", stderr(&clean));
}

/// Issue 10, item 6: when every line is rejected, the hint says what the file looks like.
#[test]
fn a_stream_whose_lines_are_all_rejected_gets_a_hint_about_what_it_is() {
    let events = gridbook(&["replay", "examples/market.events.jsonl"], None);
    assert!(
        stderr(&events).contains("hint: every line was rejected; this looks like an events file")
    );
    let toml = gridbook(&["replay", "simulations/scenarios/baseline.toml"], None);
    assert!(stderr(&toml).contains("this looks like TOML"), "{}", stderr(&toml));
    let gzip = gridbook(&["replay", "-"], Some(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\n"));
    assert!(stderr(&gzip).contains("gzip-compressed"), "{}", stderr(&gzip));
    let fine = gridbook(&["replay", "examples/market.jsonl"], None);
    assert!(!stderr(&fine).contains("hint:"), "{}", stderr(&fine));
}

/// Issue 10, item 6: `replay -` into a pipe writes each line's events as soon as the line is
/// applied, so a program can drive the engine line by line (its input still open).
#[test]
fn replay_from_stdin_into_a_pipe_answers_each_line_at_once() {
    use std::io::BufRead;
    let mut child = command(&["replay", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gridbook starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let output = child.stdout.take().expect("stdout is piped");
    let (send, receive) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let example = std::fs::read_to_string("examples/market.jsonl").expect("example");
    let wait = std::time::Duration::from_secs(20);
    for (at, line) in example.lines().take(3).enumerate() {
        writeln!(input, "{line}").expect("gridbook reads");
        input.flush().expect("gridbook reads");
        let event = receive.recv_timeout(wait).expect("an event before the input closes");
        assert!(event.starts_with(&format!("{{\"seq\":{}", at + 1)), "{event}");
    }
    drop(input);
    let status = child.wait().expect("gridbook ends once its input closes");
    assert!(status.success());
    reader.join().expect("reader thread");
}
