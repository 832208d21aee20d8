//! One test per rule of pegged orders and reference prices (docs/order-stream.md, "Pegged
//! orders and reference prices"), each named after the rule it pins.
//!
//! Every test is a short order stream replayed through `stream::Replay`, asserting the exact
//! events (in the compact form of `common::compact`) or the effective prices the engine's
//! snapshot shows. Defaults are those of common/mod.rs: asks from P1 at 1, bids from R1 at limit
//! 2, everything at ts 1000, so a default deal runs over [1000, 3601000).

mod common;

use common::{ask_value, bid_value, compact, replay_config, replay_with, run_lines, P1, P2, R2};
use gridbook_matcher::stream::Replay;
use gridbook_matcher::{EngineConfig, Side};
use serde_json::{json, Value};

const NANO: u64 = 1_000_000_000;

/// `value` with its fixed price field (`price` or `limit`) replaced by `peg`.
fn with_peg(mut value: Value, fixed: &str, peg: Value) -> String {
    let object = value.as_object_mut().expect("an order is an object");
    object.remove(fixed);
    object.insert("peg".into(), peg);
    value.to_string()
}

/// A default ask with `patch`, pegged to `class` at `offset` with floor `limit`.
fn pegged_ask(patch: Value, class: &str, offset: &str, limit: &str) -> String {
    with_peg(ask_value(patch), "price", json!({"class": class, "offset": offset, "limit": limit}))
}

/// A default bid with `patch`, pegged to `class` at `offset` with ceiling `limit`.
fn pegged_bid(patch: Value, class: &str, offset: &str, limit: &str) -> String {
    with_peg(bid_value(patch), "limit", json!({"class": class, "offset": offset, "limit": limit}))
}

fn reference(ts: u64, class: &str, price: &str) -> String {
    json!({"ts": ts, "op": "reference", "class": class, "price": price}).to_string()
}

/// Replays `lines` and returns the engine's resting orders as `(side, price, priced)`, in
/// arrival order.
fn book_after(lines: &[String]) -> Vec<(Side, u64, bool)> {
    let mut replay = Replay::new(EngineConfig::default());
    replay_with(&mut replay, lines);
    replay.engine().check_invariants().expect("book invariants hold");
    replay.engine().snapshot().iter().map(|v| (v.side, v.price_nano, v.priced)).collect()
}

// ---- Effective price -------------------------------------------------------------------------

#[test]
fn effective_price_of_a_pegged_bid_is_reference_plus_offset_capped_by_its_limit() {
    let book = book_after(&[
        reference(1000, "gpu.a", "1.80"),
        pegged_bid(json!({"id": "free"}), "gpu.a", "-0.05", "2.00"),
        pegged_bid(json!({"id": "capped"}), "gpu.a", "0.5", "2.00"),
    ]);
    assert_eq!(book, [(Side::Bid, 1_750_000_000, true), (Side::Bid, 2 * NANO, true)]);
}

#[test]
fn effective_price_of_a_pegged_ask_is_reference_plus_offset_floored_by_its_limit() {
    let book = book_after(&[
        reference(1000, "gpu.a", "1.80"),
        pegged_ask(json!({"id": "free"}), "gpu.a", "0.1", "1.5"),
        pegged_ask(json!({"id": "floored"}), "gpu.a", "-0.5", "1.5"),
    ]);
    assert_eq!(book, [(Side::Ask, 1_900_000_000, true), (Side::Ask, 1_500_000_000, true)]);
}

// ---- Unpriced orders -------------------------------------------------------------------------

#[test]
fn unpriced_orders_rest_without_trading_until_a_reference_arrives() {
    let lines = [
        ask_value(json!({"id": "a", "qty": 1})).to_string(),
        pegged_bid(json!({"id": "b-gtc"}), "gpu.a", "0", "5"),
        pegged_bid(json!({"id": "b-post", "tif": "post"}), "gpu.a", "0", "5"),
        pegged_bid(json!({"id": "b-ioc", "tif": "ioc"}), "gpu.a", "0", "5"),
        pegged_bid(json!({"id": "b-fok", "tif": "fok"}), "gpu.a", "0", "5"),
        reference(1000, "gpu.a", "1.80"),
    ];
    let events = run_lines(&lines);
    assert_eq!(events[1], ["accepted b-gtc"]);
    assert_eq!(events[2], ["accepted b-post"]);
    assert_eq!(events[3], ["accepted b-ioc", "cancelled b-ioc remaining=1 ioc"]);
    assert_eq!(events[4], ["accepted b-fok", "cancelled b-fok remaining=1 fok"]);
    // Both resting bids become priced; the earlier one takes the only ask, at the ask's price.
    assert_eq!(
        events[5],
        [
            "reference gpu.a price=1.8 repriced=2",
            "deal 1 b-gtc/a qty=1 price=1 start=1000 end=3601000"
        ]
    );
    let before = book_after(&lines[..5]);
    assert_eq!(before[1..], [(Side::Bid, 0, false), (Side::Bid, 0, false)]);
}

#[test]
fn unpriced_bid_when_reference_plus_offset_is_not_positive() {
    let events = run_lines(&[
        ask_value(json!({"id": "a", "price": "0.1"})).to_string(),
        reference(1000, "gpu.a", "0.5"),
        pegged_bid(json!({"id": "b", "tif": "ioc"}), "gpu.a", "-0.5", "5"),
        pegged_bid(json!({"id": "rests"}), "gpu.a", "-0.6", "5"),
        reference(1000, "gpu.a", "0.7"),
    ]);
    assert_eq!(events[2], ["accepted b", "cancelled b remaining=1 ioc"]);
    assert_eq!(events[3], ["accepted rests"]);
    assert_eq!(
        events[4],
        [
            "reference gpu.a price=0.7 repriced=1",
            "deal 1 rests/a qty=1 price=0.1 start=1000 end=3601000"
        ]
    );
}

// ---- Re-pricing ------------------------------------------------------------------------------

#[test]
fn repricing_keeps_arrival_priority() {
    // Pegged bids arrive first, between and after fixed bids at 1.9; the reference then moves
    // every pegged bid to 1.9, where each must take its arrival position.
    let events = run_lines(&[
        reference(1000, "gpu.a", "1"),
        pegged_bid(json!({"id": "p0"}), "gpu.a", "0", "5"),
        bid_value(json!({"id": "f1", "limit": "1.9"})).to_string(),
        pegged_bid(json!({"id": "p2"}), "gpu.a", "0", "5"),
        bid_value(json!({"id": "f3", "limit": "1.9"})).to_string(),
        pegged_bid(json!({"id": "p4"}), "gpu.a", "0", "5"),
        reference(1000, "gpu.a", "1.9"),
        ask_value(json!({"id": "a", "price": "1.9", "qty": 5})).to_string(),
    ]);
    assert_eq!(events[6], ["reference gpu.a price=1.9 repriced=3"]);
    let order: Vec<&str> =
        events[7].iter().filter_map(|e| e.strip_prefix("deal ")).map(|d| &d[2..7]).collect();
    assert_eq!(order, ["p0/a ", "f1/a ", "p2/a ", "f3/a ", "p4/a "]);
}

#[test]
fn repricing_reports_only_orders_whose_price_changed() {
    let events = run_lines(&[
        reference(1000, "gpu.a", "1"),
        pegged_bid(json!({"id": "moves"}), "gpu.a", "0", "5"),
        pegged_bid(json!({"id": "capped"}), "gpu.a", "0.5", "1.2"),
        pegged_bid(json!({"id": "other-class"}), "gpu.b", "0", "5"),
        reference(1000, "gpu.a", "1"),
        reference(1000, "gpu.a", "1.5"),
    ]);
    assert_eq!(events[4], ["reference gpu.a price=1 repriced=0"]);
    assert_eq!(events[5], ["reference gpu.a price=1.5 repriced=1"]);
}

#[test]
fn repriced_orders_that_cross_trade_at_once_in_arrival_order_at_the_resting_price() {
    let events = run_lines(&[
        reference(1000, "gpu.a", "1"),
        ask_value(json!({"id": "a-cheap", "price": "1.5"})).to_string(),
        ask_value(json!({"id": "a-dear", "price": "1.6", "owner": P2})).to_string(),
        pegged_bid(json!({"id": "b-first"}), "gpu.a", "0", "3"),
        pegged_bid(json!({"id": "b-second", "owner": R2}), "gpu.a", "0", "3"),
        reference(2000, "gpu.a", "2"),
    ]);
    assert_eq!(
        events[5],
        [
            "reference gpu.a price=2 repriced=2",
            "deal 1 b-first/a-cheap qty=1 price=1.5 start=2000 end=3602000",
            "deal 2 b-second/a-dear qty=1 price=1.6 start=2000 end=3602000",
        ]
    );
}

#[test]
fn repriced_orders_cross_other_pegged_orders_at_the_resting_price() {
    let events = run_lines(&[
        reference(1000, "gpu.a", "2"),
        reference(1000, "gpu.b", "1"),
        pegged_ask(json!({"id": "a"}), "gpu.a", "0", "0.1"),
        pegged_bid(json!({"id": "b"}), "gpu.b", "0", "10"),
        reference(1000, "gpu.b", "3"),
        // The ask is the one that moves now: it is the aggressor, the bid sets the price.
        reference(1000, "gpu.a", "2.5"),
    ]);
    assert_eq!(
        events[4],
        ["reference gpu.b price=3 repriced=1", "deal 1 b/a qty=1 price=2 start=1000 end=3601000"]
    );
    let events = run_lines(&[
        reference(1000, "gpu.a", "4"),
        reference(1000, "gpu.b", "3"),
        pegged_ask(json!({"id": "a", "qty": 2}), "gpu.a", "0", "0.1"),
        pegged_bid(json!({"id": "b"}), "gpu.b", "0", "10"),
        reference(1000, "gpu.a", "2.5"),
    ]);
    assert_eq!(
        events[4],
        ["reference gpu.a price=2.5 repriced=1", "deal 1 b/a qty=1 price=3 start=1000 end=3601000"]
    );
}

#[test]
fn a_peg_never_trades_past_its_limit() {
    let events = run_lines(&[
        ask_value(json!({"id": "a", "price": "1.6"})).to_string(),
        // Same owner as `a`, so only the pegged ask could trade with it.
        bid_value(json!({"id": "b", "limit": "1.9", "owner": P1})).to_string(),
        pegged_bid(json!({"id": "pb"}), "gpu.a", "0", "1.5"),
        pegged_ask(json!({"id": "pa", "owner": P2}), "gpu.a", "-8.5", "2"),
        reference(1000, "gpu.a", "9"),
        ask_value(json!({"id": "a-cheap", "price": "1.5"})).to_string(),
    ]);
    // Unbounded, the bid (9) would take the ask at 1.6 and the ask (0.5) the bid at 1.9; its
    // ceiling 1.5 and the ask's floor 2 keep both apart. At its ceiling, the bid still trades
    // (with `a-cheap`, which `b` cannot take: same owner).
    assert_eq!(events[4], ["reference gpu.a price=9 repriced=2"]);
    assert_eq!(
        events[5],
        ["accepted a-cheap", "deal 1 pb/a-cheap qty=1 price=1.5 start=1000 end=3601000"]
    );
}

#[test]
fn expiry_runs_before_a_reference() {
    let events = run_lines(&[
        reference(1000, "gpu.a", "1"),
        ask_value(json!({"id": "a", "until": 5000})).to_string(),
        pegged_bid(json!({"id": "b", "deadline": 10_000_000}), "gpu.a", "-0.5", "5"),
        reference(6000, "gpu.a", "2"),
    ]);
    assert_eq!(events[3], ["expired a remaining=1", "reference gpu.a price=2 repriced=1"]);
}

// ---- Validation ------------------------------------------------------------------------------

/// The `reason` and `detail` of the single rejection `line` gives.
fn rejection(config: EngineConfig, lines: &[String]) -> (String, String) {
    let events = replay_config(config, lines);
    let last = events.last().expect("a line").last().expect("an event");
    assert_eq!(last["type"], "rejected", "{}", compact(last));
    (last["reason"].as_str().unwrap_or("").into(), last["detail"].as_str().unwrap_or("").into())
}

fn reason(lines: &[String]) -> String {
    rejection(EngineConfig::default(), lines).0
}

#[test]
fn peg_validation_errors() {
    let mut neither = ask_value(json!({}));
    neither.as_object_mut().map(|o| o.remove("price"));
    let (code, detail) = rejection(EngineConfig::default(), &[neither.to_string()]);
    assert_eq!((code.as_str(), detail.contains("`price` or `peg`")), ("missing_field", true));

    let peg = json!({"class": "gpu.a", "offset": "0", "limit": "2"});
    let both = ask_value(json!({"peg": peg})).to_string();
    let (code, detail) = rejection(EngineConfig::default(), &[both]);
    assert_eq!((code.as_str(), detail.contains("both")), ("bad_field", true));
    assert_eq!(reason(&[bid_value(json!({"peg": peg})).to_string()]), "bad_field");

    let cases = [
        (json!({"class": "gpu.a", "offset": "-0.0000000001", "limit": "2"}), "bad_price"),
        (json!({"class": "gpu.a", "offset": "-1000000000.000000001", "limit": "2"}), "bad_price"),
        (json!({"class": "gpu.a", "offset": "1e3", "limit": "2"}), "bad_field"),
        (json!({"class": "gpu.a", "offset": "0", "limit": "0"}), "bad_price"),
        (json!({"class": "gpu.a", "offset": "0", "limit": "1000000000.000000001"}), "bad_price"),
        (json!({"class": "", "offset": "0", "limit": "2"}), "bad_field"),
        (json!({"class": "gpu.a", "limit": "2"}), "missing_field"),
        (json!({"class": "gpu.a", "offset": "0", "limit": "2", "floor": "1"}), "unknown_field"),
        (json!({"class": "gpu.a", "offset": 0, "limit": "2"}), "bad_field"),
    ];
    for (peg, want) in cases {
        let line = with_peg(bid_value(json!({})), "limit", peg.clone());
        assert_eq!(reason(&[line]), want, "{peg}");
    }
    // The widest offset is accepted.
    let widest = pegged_bid(json!({}), "gpu.a", "-1000000000", "2");
    assert_eq!(run_lines(&[widest])[0], ["accepted b"]);
}

#[test]
fn reference_validation_errors() {
    assert_eq!(reason(&[reference(1000, "gpu.a", "0")]), "bad_price");
    assert_eq!(reason(&[reference(1000, "gpu.a", "1000000000.000000001")]), "bad_price");
    assert_eq!(reason(&[reference(1000, &"x".repeat(65), "1")]), "bad_field");
    let no_price = json!({"ts": 1000, "op": "reference", "class": "gpu.a"}).to_string();
    assert_eq!(reason(&[no_price]), "missing_field");
    assert_eq!(
        reason(&[reference(1000, "gpu.a", "1"), reference(999, "gpu.a", "1")]),
        "time_backwards"
    );
    let one_class = EngineConfig { classes_max: 1, ..EngineConfig::default() };
    let full = [reference(1000, "gpu.a", "1"), reference(1000, "gpu.b", "1")];
    assert_eq!(rejection(one_class.clone(), &full).0, "capacity");
    let full = [reference(1000, "gpu.a", "1"), pegged_bid(json!({}), "gpu.b", "0", "2")];
    assert_eq!(rejection(one_class, &full).0, "capacity");
}
