//! `gridbook serve`'s market-data feeds (docs/api.md, "Market data"), live over `/v1/ws` and
//! over HTTP, under a random market sent through the API (pegged bids and a model that
//! re-prices them every millisecond of node time included):
//!
//! - a client that applies a depth channel's snapshot and updates holds exactly the node's book
//!   — the feeds' own REST snapshot, and, for a machine's asks, the matching thread's
//!   `GET /v1/book` — and every update's checksum verifies on the client's own copy;
//! - a client that misses an update (forced here) sees `prev_seq` jump, resubscribes and is
//!   exact again;
//! - a client that disconnects and resumes `after` its last seq gets exactly the updates it
//!   missed: no gap, no duplicate;
//! - the trade channel carries every deal of the event stream, once, in order.

#[path = "node_support/live.rs"]
mod live;
mod node_support;

use std::collections::BTreeMap;

use gridbook_node::client::ws::{self, Frame, Receiver, Sender};
use live::{cancel, http, key, within, LiveNode};
use serde_json::{json, Value};

const CONFIG: &str = "auth = \"none\"\n[market]\nbook_interval_ms = 1\npublish_step_bps = 0\n";
const CLASS: &str = "gpu.a100-80gb";

fn a100(gpus: u64, region: &str) -> Value {
    json!({"cpu":16,"mem":128,"gpu":"A100-80GB","gpus":gpus,"gpu_mem":80,"tee":null,"region":region})
}

/// A small seeded generator (the test must not depend on a crate's stream of numbers).
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }

    fn price(&mut self) -> String {
        format!("{}.{:02}", 1 + self.next(2), self.next(100))
    }
}

/// The `n`th command of the random market: asks of A100 machines (one or two GPUs, two
/// regions), fixed and pegged bids, cancels of earlier orders.
fn command(rng: &mut Rng, n: u64) -> Value {
    let (provider, requester) = (key(1).address(), key(2).address());
    let owner = |address: alloy_primitives::Address| address.to_checksum(None);
    match rng.next(10) {
        0..=3 => {
            let hw = a100(1 + rng.next(2), ["us-east", "eu-west"][rng.next(2) as usize]);
            json!({"op":"ask","id":format!("o{n}"),"owner":owner(provider),"price":rng.price(),
                "qty":1 + rng.next(4),"tif":"gtc","hw":hw,"from":0,"until":live::LATER_MS})
        }
        4..=7 => {
            let tif = ["gtc", "ioc"][rng.next(2) as usize];
            let regions = [json!(["us-east"]), json!(["eu-west"]), json!([])];
            let regions = regions[rng.next(3) as usize].clone();
            let mut bid = json!({"op":"bid","id":format!("o{n}"),"owner":owner(requester),
                "qty":1 + rng.next(3),"tif":tif,
                "req":{"cpu":4,"mem":16,"gpu":["A100-80GB"],"gpus":1 + rng.next(2),"gpu_mem":0,"tee":null,
                    "regions":regions},
                "duration":3_600_000,"not_before":0,"deadline":live::LATER_MS});
            if rng.next(3) == 0 {
                let offset = format!("-0.{:02}", rng.next(30));
                bid["peg"] = json!({"class":CLASS,"offset":offset,"limit":rng.price()});
            } else {
                bid["limit"] = json!(rng.price());
            }
            bid
        }
        _ => {
            let id = format!("o{}", rng.next(n.max(1)));
            let owner = if rng.next(2) == 0 { provider } else { requester };
            cancel(&id, owner)
        }
    }
}

/// Sends `count` commands from `first` and waits for every answer.
async fn trade(
    sender: &mut Sender,
    receiver: &mut Receiver,
    rng: &mut Rng,
    first: u64,
    count: u64,
) {
    for n in first..first + count {
        sender.command(json!(n), &command(rng, n)).await.expect("sent");
    }
    let mut answered = 0;
    while answered < count {
        match within("answers", 30, receiver.next()).await.expect("a frame").expect("open") {
            Frame::Outcome { .. } | Frame::Error { .. } => answered += 1,
            other => panic!("only answers on this connection: {other:?}"),
        }
    }
}

/// A side's levels, best first: `(price, qty)`.
type Levels = Vec<(String, u64)>;

/// One depth channel as a client follows it.
#[derive(Debug, Default)]
struct Book {
    seq: u64,
    asks: BTreeMap<u64, (String, u64)>,
    bids: BTreeMap<u64, (String, u64)>,
    updates: u64,
}

fn nano(text: &str) -> u64 {
    gridbook_matcher::money::parse_price_nano(text).expect("a price")
}

impl Book {
    fn from_snapshot(message: &Value) -> Book {
        let mut book = Book { seq: message["seq"].as_u64().expect("seq"), ..Book::default() };
        for (side, levels) in [("ask", &message["asks"]), ("bid", &message["bids"])] {
            for level in levels.as_array().expect("levels") {
                book.set(side, level[0].as_str().expect("price"), level[1].as_u64().expect("qty"));
            }
        }
        assert_eq!(message["checksum"].as_u64(), Some(book.checksum()), "snapshot checksum");
        book
    }

    /// Starts again from a snapshot (counting the updates applied so far).
    fn reset(&mut self, snapshot: &Value) {
        let updates = self.updates;
        *self = Book { updates, ..Book::from_snapshot(snapshot) };
    }

    fn set(&mut self, side: &str, price: &str, qty: u64) {
        let levels = if side == "ask" { &mut self.asks } else { &mut self.bids };
        if qty == 0 {
            assert!(levels.remove(&nano(price)).is_some(), "removes a level it has");
        } else {
            levels.insert(nano(price), (price.to_owned(), qty));
        }
    }

    /// Applies an update; `false` if it does not follow the last one (a gap).
    fn apply(&mut self, update: &Value) -> bool {
        if update["prev_seq"].as_u64() != Some(self.seq) {
            return false;
        }
        self.seq = update["seq"].as_u64().expect("seq");
        for change in update["changes"].as_array().expect("changes") {
            let side = change[0].as_str().expect("side");
            self.set(side, change[1].as_str().expect("price"), change[2].as_u64().expect("qty"));
        }
        assert_eq!(update["checksum"].as_u64(), Some(self.checksum()), "update checksum");
        self.updates += 1;
        true
    }

    fn checksum(&self) -> u64 {
        let asks = self.asks.values().take(10);
        let bids = self.bids.values().rev().take(10);
        let text: String = asks.chain(bids).map(|(price, qty)| format!("{price}:{qty};")).collect();
        u64::from(crc32fast::hash(text.as_bytes()))
    }

    fn levels(&self) -> (Levels, Levels) {
        (self.asks.values().cloned().collect(), self.bids.values().rev().cloned().collect())
    }
}

async fn get(node: &LiveNode, path: &str) -> Value {
    let response = http().get(format!("{}{path}", node.url)).send().await.expect("answers");
    assert_eq!(response.status(), 200, "{path}");
    live::assert_documented("get", path.split('?').next().expect("a path"), 200);
    response.json().await.expect("JSON")
}

fn rest_levels(snapshot: &Value) -> (Levels, Levels) {
    let side = |levels: &Value| {
        let levels = levels.as_array().expect("levels").iter();
        levels.map(|l| (l[0].as_str().expect("p").to_owned(), l[1].as_u64().expect("q"))).collect()
    };
    (side(&snapshot["asks"]), side(&snapshot["bids"]))
}

/// Reads feed messages until the depth channel `book` follows reaches `seq`, applying them;
/// returns the trade messages seen. A gap (`prev_seq` not the client's seq) resubscribes.
/// `drop_at`: the number of updates after which one is lost on purpose.
async fn follow(
    sender: &mut Sender,
    receiver: &mut Receiver,
    subscribe: &Value,
    book: &mut Book,
    seq: u64,
    drop_at: &mut Option<u32>,
    gaps: &mut u32,
) -> Vec<Value> {
    let mut trades = Vec::new();
    while book.seq < seq {
        let frame =
            within("feed messages", 30, receiver.next()).await.expect("a frame").expect("open");
        let Frame::Feed { message } = frame else { continue };
        match (message["channel"].as_str(), message["type"].as_str()) {
            (Some("depth"), Some("snapshot")) => book.reset(&message),
            (Some("depth"), Some("update")) => {
                match drop_at {
                    Some(0) => {
                        *drop_at = None;
                        continue; // the forced loss
                    }
                    Some(n) => *n -= 1,
                    None => {}
                }
                if !book.apply(&message) {
                    *gaps += 1;
                    let mut unsubscribe = subscribe.clone();
                    let channel = unsubscribe["subscribe"].take();
                    unsubscribe["unsubscribe"] = channel;
                    unsubscribe.as_object_mut().expect("an object").remove("subscribe");
                    sender.send(unsubscribe).await.expect("sent");
                    sender.send(subscribe.clone()).await.expect("sent");
                    book.seq = u64::MAX; // nothing applies until the new snapshot
                    while book.seq == u64::MAX {
                        let frame = within("a snapshot", 30, receiver.next())
                            .await
                            .expect("a frame")
                            .expect("open");
                        let Frame::Feed { message } = frame else { continue };
                        if message["type"] == "snapshot" && message["channel"] == "depth" {
                            book.reset(&message);
                        } else if message["type"] == "trade" {
                            trades.push(message["trade"].clone());
                        }
                    }
                }
            }
            (Some("trades"), Some("trade")) => trades.push(message["trade"].clone()),
            _ => {}
        }
    }
    trades
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_followers_rebuild_the_book_detect_a_gap_and_resume_without_one() {
    let node = LiveNode::start("feeds", CONFIG);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut trader, mut answers) = ws::connect(&node.url, None).await.expect("connects");
    // A book before anyone follows: subscriptions start from a snapshot of it.
    trade(&mut trader, &mut answers, &mut rng, 0, 150).await;

    let class_sub = json!({"tag":"c","subscribe":"depth","class":CLASS});
    let hw = a100(1, "us-east");
    let hw_sub = json!({"tag":"h","subscribe":"depth","hw":hw});
    let (mut class_tx, mut class_rx) = ws::connect(&node.url, None).await.expect("connects");
    class_tx.send(class_sub.clone()).await.expect("sent");
    class_tx.send(json!({"tag":"t","subscribe":"trades"})).await.expect("sent");
    let (mut hw_tx, mut hw_rx) = ws::connect(&node.url, None).await.expect("connects");
    hw_tx.send(hw_sub.clone()).await.expect("sent");

    trade(&mut trader, &mut answers, &mut rng, 150, 300).await;
    let rest = get(&node, &format!("/v1/depth?class={CLASS}")).await;
    let (mut class_book, mut drop_at, mut gaps) = (Book::default(), Some(40), 0);
    let target = rest["seq"].as_u64().expect("seq");
    let trades = follow(
        &mut class_tx,
        &mut class_rx,
        &class_sub,
        &mut class_book,
        target,
        &mut drop_at,
        &mut gaps,
    )
    .await;
    assert_eq!(gaps, 1, "the forced loss is seen as a gap");
    assert_eq!(class_book.levels(), rest_levels(&rest), "the class book after resubscribing");
    assert!(class_book.updates > 20, "the market moved: {} updates", class_book.updates);

    // The machine's channel, against the feeds' snapshot and the matching thread's own book.
    let hw_query = format!("/v1/depth?hw={}", urlencode(&hw.to_string()));
    let rest = get(&node, &hw_query).await;
    let (mut hw_book, mut no_drop, mut no_gaps) = (Book::default(), None, 0);
    let target = rest["seq"].as_u64().expect("seq");
    follow(&mut hw_tx, &mut hw_rx, &hw_sub, &mut hw_book, target, &mut no_drop, &mut no_gaps).await;
    assert_eq!(no_gaps, 0);
    assert_eq!(hw_book.levels(), rest_levels(&rest));
    let engine = get(&node, "/v1/book?levels=100").await;
    let engine_asks: Vec<(String, u64)> = engine["configurations"]
        .as_array()
        .expect("configurations")
        .iter()
        .find(|c| c["hw"] == hw)
        .map(|c| {
            c["asks"]
                .as_array()
                .expect("asks")
                .iter()
                .map(|l| {
                    (
                        l["price"].as_str().expect("a price").to_owned(),
                        l["qty"].as_u64().expect("a qty"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(!engine_asks.is_empty(), "the machine has asks resting");
    assert_eq!(hw_book.levels().0, engine_asks, "the feed's asks are the engine's");

    // Resume: disconnect, let the market move, come back after the last seq.
    let last_seq = hw_book.seq;
    drop((hw_tx, hw_rx));
    trade(&mut trader, &mut answers, &mut rng, 450, 200).await;
    let (mut hw_tx, mut hw_rx) = ws::connect(&node.url, None).await.expect("connects");
    let mut resume = hw_sub.clone();
    resume["after"] = json!(last_seq);
    hw_tx.send(resume).await.expect("sent");
    let rest = get(&node, &hw_query).await;
    let target = rest["seq"].as_u64().expect("seq");
    assert!(target > last_seq, "the machine's book moved while away");
    let before = hw_book.updates;
    follow(&mut hw_tx, &mut hw_rx, &hw_sub, &mut hw_book, target, &mut no_drop, &mut no_gaps).await;
    assert_eq!(no_gaps, 0, "no gap after resuming");
    assert_eq!(hw_book.updates - before, target - last_seq, "each missed update once");
    assert_eq!(hw_book.levels(), rest_levels(&rest));

    // Every deal of the event stream came on the trade channel, once, in order (those of the
    // first 450 commands after the subscription).
    let deals: Vec<u64> = node
        .events()
        .await
        .iter()
        .map(|line| serde_json::from_str::<Value>(line).expect("an event"))
        .filter(|event| event["type"] == "deal")
        .filter_map(|event| event["deal"].as_u64())
        .collect();
    let traded: Vec<u64> = trades.iter().map(|t| t["deal"].as_u64().expect("deal")).collect();
    assert!(!traded.is_empty(), "the market traded");
    let first = deals.iter().position(|&d| d == traded[0]).expect("a deal of the stream");
    assert_eq!(traded, deals[first..first + traded.len()], "every deal once, in order");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What the feeds say over HTTP: every channel's depth, the tickers, the last trades and the
/// candles of the class.
async fn feed_views(node: &LiveNode) -> Vec<Value> {
    let mut views = Vec::new();
    let channels = get(node, "/v1/depth").await;
    for class in channels["classes"].as_array().expect("classes") {
        let class = class.as_str().expect("a name");
        views.push(get(node, &format!("/v1/depth?class={class}")).await);
        views.push(get(node, &format!("/v1/candles?class={class}&interval=1m")).await);
    }
    for hw in channels["configurations"].as_array().expect("configurations") {
        views.push(get(node, &format!("/v1/depth?hw={}", urlencode(&hw.to_string()))).await);
    }
    views.push(channels);
    views.push(get(node, "/v1/tickers").await);
    views.push(get(node, "/v1/trades?limit=1000").await);
    views
}

/// Rule: a node restarted from a snapshot plus the journal after it (killed with SIGKILL, so
/// the snapshot is an earlier one) publishes the same feeds as before, seqs included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_publishes_the_feeds_it_had() {
    let config = format!("{CONFIG}[snapshot]\nevery_commands = 100\n");
    let node = LiveNode::start("feeds-restart", &config);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut trader, mut answers) = ws::connect(&node.url, None).await.expect("connects");
    trade(&mut trader, &mut answers, &mut rng, 0, 350).await;
    let timeout = std::time::Duration::from_secs(30);
    // At least one snapshot (one due while the writer is busy is skipped, so not a count).
    node.wait_for_metric("gridbook_snapshots_total", 1, timeout).await;
    // Then commands the snapshot does not hold, which the restart replays from the journal.
    trade(&mut trader, &mut answers, &mut rng, 350, 30).await;
    let before = feed_views(&node).await;
    assert!(before[0]["asks"].as_array().is_some_and(|asks| !asks.is_empty()), "a book to keep");
    drop((trader, answers));
    let node = node.restart();
    let start_seq = node.metric("gridbook_snapshot_start_seq").await;
    let last_seq = get(&node, "/v1/health").await["seq"].as_u64().expect("seq");
    assert!(start_seq > 0 && start_seq < last_seq, "from a snapshot at {start_seq} of {last_seq}");
    let after = feed_views(&node).await;
    assert_eq!(after, before, "the feeds after a restart from a snapshot and the journal");
    offline_tables_equal_the_live_feed(&node, &after).await;
    // Refusals name what is wrong, and are documented.
    for (path, code) in [
        ("/v1/depth?class=gpu.nope", "unknown_class"),
        ("/v1/depth?hw=%7B%22cpu%22%3A1%7D", "bad_field"),
        ("/v1/candles?class=gpu.a100-80gb&interval=2m", "bad_query"),
        ("/v1/trades?limit=0", "bad_query"),
    ] {
        let response = http().get(format!("{}{path}", node.url)).send().await.expect("answers");
        assert_eq!(response.status(), 400, "{path}");
        live::assert_documented("get", path.split('?').next().expect("a path"), 400);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["error"], code, "{path}: {body}");
    }
}

/// A CSV file as rows of fields (the feed tables hold no quoted fields: names and ids here have
/// no commas).
fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("a table");
    let mut lines = text.lines();
    lines.next().expect("a header");
    lines.map(|line| line.split(',').map(str::to_owned).collect()).collect()
}

fn field(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Rule: `gridbook feeds` of the node's data directory writes the trades, candles and tickers
/// the live feed publishes for the same journal, figure for figure.
async fn offline_tables_equal_the_live_feed(node: &LiveNode, views: &[Value]) {
    let out = node.data().with_file_name("feeds-out");
    let data = node.data();
    let args = ["feeds", data.to_str().expect("UTF-8"), "--out", out.to_str().expect("UTF-8")];
    node_support::gridbook(&args);
    let live = get(node, "/v1/trades?limit=1000").await;
    let live: Vec<Vec<String>> = live["trades"]
        .as_array()
        .expect("trades")
        .iter()
        .map(|t| {
            let keys = ["deal", "ts", "class", "unit", "price", "unit_price", "qty", "units"];
            let keys = keys.into_iter().chain(["start", "end", "bid", "ask"]);
            keys.map(|key| field(&t[key])).collect()
        })
        .collect();
    let offline = csv_rows(&out.join("trades.csv"));
    assert!(!live.is_empty() && live.len() < 1000, "every trade is in the live answer");
    assert_eq!(offline, live, "trades");
    let candles = csv_rows(&out.join("candles.csv"));
    for view in views.iter().filter(|v| v["interval"] == "1m") {
        let class = view["class"].as_str().expect("a class");
        let offline: Vec<&[String]> =
            candles.iter().filter(|r| r[0] == class && r[1] == "1m").map(|r| &r[2..]).collect();
        let live: Vec<Vec<String>> = view["candles"]
            .as_array()
            .expect("candles")
            .iter()
            .map(|c| {
                let keys = ["start", "open", "high", "low", "close", "volume", "trades"];
                keys.into_iter().map(|key| field(&c[key])).collect()
            })
            .collect();
        assert_eq!(offline, live, "candles of {class}");
    }
    let tickers = csv_rows(&out.join("tickers.csv"));
    let live = get(node, "/v1/tickers").await;
    for ticker in live["tickers"].as_array().expect("tickers") {
        let class = ticker["class"].as_str().expect("a class");
        let last = tickers.iter().rev().find(|row| row[1] == class).expect("the class's rows");
        let keys = ["class", "unit", "ts", "best_bid", "best_ask", "last", "reference"];
        let keys = keys.into_iter().chain(["volume_24h", "change_24h", "supply", "demand"]);
        let live: Vec<String> = keys.map(|key| field(&ticker[key])).collect();
        assert_eq!(last[1..], live[..], "the last ticker of {class}");
    }
}

/// Rule: a market-data subscription the node cannot serve is refused with an error frame that
/// names what is wrong (its tag echoed), and the connection goes on serving the good ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_feed_subscriptions_are_refused_by_name() {
    let node = LiveNode::start("feeds-refusals", CONFIG);
    let (mut sender, mut receiver) = ws::connect(&node.url, None).await.expect("connects");
    let refused = [
        (json!({"tag":1,"subscribe":"depth","class":"gpu.nope"}), "unknown_class", "class"),
        (json!({"tag":2,"subscribe":"depth"}), "bad_field", "class"),
        (json!({"tag":3,"subscribe":"depth","hw":{"cpu":1}}), "bad_field", "hw"),
        (
            json!({"tag":4,"subscribe":"candles","class":CLASS,"interval":"2m"}),
            "bad_field",
            "interval",
        ),
        (json!({"tag":5,"subscribe":"candles","interval":"1m"}), "missing_field", "class"),
        (json!({"tag":6,"subscribe":"tickers","after":3}), "bad_field", "after"),
        (json!({"tag":7,"subscribe":"tickers","class":CLASS}), "unknown_field", "class"),
        (json!({"tag":8,"subscribe":"quotes"}), "bad_field", "subscribe"),
    ];
    for (frame, _, _) in &refused {
        sender.send(frame.clone()).await.expect("sent");
    }
    // Answers are matched by tag: refusals of unreadable frames and of readable ones take
    // different ways out (docs/api.md: a client must not depend on their order).
    let mut errors = std::collections::HashMap::new();
    while errors.len() < refused.len() {
        let answer =
            within("a refusal", 30, receiver.next()).await.expect("a frame").expect("open");
        let Frame::Error { tag, error } = answer else { panic!("only refusals: {answer:?}") };
        errors.insert(tag.to_string(), error);
    }
    for (frame, code, field) in refused {
        let error = &errors[&frame["tag"].to_string()];
        let named = (error["error"].as_str(), error["field"].as_str());
        assert_eq!(named, (Some(code), Some(field)), "{frame}: {error}");
    }
    // The connection still serves a good subscription, and refuses the same one twice.
    sender.send(json!({"tag":9,"subscribe":"tickers"})).await.expect("sent");
    sender.send(json!({"tag":10,"subscribe":"tickers"})).await.expect("sent");
    let mut seen = (false, false);
    while seen != (true, true) {
        match within("answers", 30, receiver.next()).await.expect("a frame").expect("open") {
            Frame::FeedAck { tag, .. } if tag == json!(9) => seen.0 = true,
            Frame::Error { tag, error } if tag == json!(10) => {
                assert_eq!(error["error"], "already_subscribed");
                seen.1 = true;
            }
            Frame::Feed { message } => assert_eq!(message["channel"], "tickers"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
