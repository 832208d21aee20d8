//! Rule 8: validation. One test per rejection reason (all but `line_too_long`, which only the
//! binary's line reader produces), the order in which checks run, and malformed input of every
//! shape (random bytes, mutated lines, 10 MB lines, deep nesting, invalid UTF-8).
//!
//! A refused line must give exactly one `rejected` event naming its line and id, and change
//! nothing: not the book, not the ids, not the deal count, not even the clock, and no expiry may
//! run. `assert_refused` checks that by replaying a fixed book with and without the line and
//! requiring everything after it to come out the same.

mod common;

use common::{ask, ask_value, bid, bid_value, cancel, compact, merge, replay_with, tick, HOUR};
use common::{P1, P2, R1, R2};
use gridbook_matcher::limits::TIME_MS_MAX;
use gridbook_matcher::stream::Replay;
use gridbook_matcher::EngineConfig;
use proptest::prelude::*;
use serde_json::{json, Value};

/// The ts of most refused lines: after `a2` expires (1 200 000) and after every command that
/// follows the refused line, so a refused line that moved the clock or ran expiry shows.
const LATE: u64 = 1_300_000;
/// The refused line's number: after the five lines of `book`.
const BAD_LINE: u64 = 6;

/// Lines 1–5, all at ts 1000: a1 (2 slots at 1) rests, a2 rests until 1 200 000, b1 rests and
/// crosses nothing, `gone` was accepted and cancelled.
fn book() -> Vec<String> {
    vec![
        ask(json!({"id": "a1", "qty": 2})),
        ask(json!({"id": "a2", "owner": P2, "price": "3", "until": 1_200_000})),
        bid(json!({"id": "b1", "limit": "0.5"})),
        ask(json!({"id": "gone", "price": "5"})),
        cancel(1000, "gone", P1),
    ]
}

/// What follows the refused line: a bid at ts 1500 that trades with a1 (the clock must not have
/// moved), an ask reusing the refused line's id (it must not have been registered), and a tick
/// that expires a2.
fn after(reuse_id: &str) -> Vec<String> {
    vec![
        bid(json!({"id": "probe", "owner": R2, "ts": 1500, "tif": "ioc"})),
        ask(json!({"id": reuse_id, "ts": 1500, "price": "4"})),
        tick(2_000_000),
    ]
}

/// Events without the fields that count lines and events, which differ by one between the two
/// replays by construction.
fn unnumbered(events: &[Vec<Value>]) -> Vec<Value> {
    let mut flat: Vec<Value> = events.iter().flatten().cloned().collect();
    for event in &mut flat {
        let object = event.as_object_mut().expect("events are objects");
        object.remove("seq");
        object.remove("line");
    }
    flat
}

/// Checks that `bad`, replayed after `book()`, is refused for `reason` naming line 6 and `id`,
/// and that the rest of the stream comes out exactly as if the line had never been there.
fn assert_refused(bad: impl AsRef<[u8]>, reason: &str, id: Option<&str>) {
    let shown = String::from_utf8_lossy(bad.as_ref()).chars().take(300).collect::<String>();
    let (book, after) = (book(), after(id.unwrap_or("x")));
    let mut lines: Vec<Vec<u8>> = book.iter().map(|l| l.clone().into_bytes()).collect();
    lines.push(bad.as_ref().to_vec());
    lines.extend(after.iter().map(|l| l.clone().into_bytes()));
    let mut with = Replay::default();
    let events = replay_with(&mut with, &lines);
    let mut without = Replay::default();
    let expected = replay_with(&mut without, &[book.clone(), after].concat());

    let refusal = &events[BAD_LINE as usize - 1];
    assert_eq!(refusal.len(), 1, "{shown}: one event only, got {refusal:?}");
    let event = &refusal[0];
    assert_eq!(event["type"], "rejected", "{shown}: {event}");
    assert_eq!(event["reason"], reason, "{shown}: {event}");
    assert_eq!(event["line"], BAD_LINE, "{shown}: {event}");
    assert_eq!(event["id"], id.map_or(Value::Null, Value::from), "{shown}: {event}");
    assert!(event["detail"].as_str().is_some_and(|d| !d.is_empty()), "{shown}: {event}");

    // Nothing changed: what follows gives the same events, and the books end the same.
    let book_len = book.len();
    let (later, expected_later) = (&events[BAD_LINE as usize..], &expected[book_len..]);
    assert_eq!(unnumbered(later), unnumbered(expected_later), "{shown}: the line left a trace");
    assert_eq!(with.engine().snapshot(), without.engine().snapshot(), "{shown}");
    assert_eq!(with.engine().now_ms(), without.engine().now_ms(), "{shown}");
    assert_eq!(with.engine().deals(), without.engine().deals(), "{shown}");
    // And the comparison had teeth: the probe traded at 1500 and a2 expired afterwards.
    let later: Vec<String> = expected_later.iter().flatten().map(compact).collect();
    assert!(later.contains(&"deal 1 probe/a1 qty=1 price=1 start=1500 end=3601500".to_string()));
    assert!(later.contains(&"expired a2 remaining=1".to_string()));
}

/// A late ask with id `x` and `patch` applied.
fn late_ask(patch: Value) -> Value {
    let mut line = ask_value(json!({"id": "x", "ts": LATE}));
    merge(&mut line, patch);
    line
}

/// A late bid with id `x` and `patch` applied.
fn late_bid(patch: Value) -> Value {
    let mut line = bid_value(json!({"id": "x", "ts": LATE}));
    merge(&mut line, patch);
    line
}

/// `line` without the field at `path`.
fn without(mut line: Value, path: &[&str]) -> Value {
    let (last, parents) = path.split_last().expect("a path");
    let mut object = &mut line;
    for key in parents {
        object = &mut object[*key];
    }
    object.as_object_mut().expect("an object").remove(*last);
    line
}

/// Replays `book()` then `lines` into an engine with `config`; returns the events of `lines`.
fn after_book(config: EngineConfig, lines: &[String]) -> Vec<Vec<String>> {
    let mut replay = Replay::new(config);
    let all = replay_with(&mut replay, &[book(), lines.to_vec()].concat());
    all[5..].iter().map(|events| events.iter().map(compact).collect()).collect()
}

// ---- Decoder-level reasons -----------------------------------------------------------------

#[test]
fn malformed_json_is_refused() {
    let lines: [&[u8]; 9] = [
        b"not json",
        b"",
        b"   ",
        b"[1, 2]",
        b"\"a string\"",
        b"null",
        b"{\"ts\":1,",
        b"{\"ts\":1,\"op\":\"tick\"} trailing",
        b"{\"ts\":1,\"op\":\"tick\"}{\"ts\":2,\"op\":\"tick\"}",
    ];
    for line in lines {
        assert_refused(line, "malformed_json", None);
    }
}

#[test]
fn unknown_field_is_refused() {
    assert_refused(late_ask(json!({"pric": "1"})).to_string(), "unknown_field", Some("x"));
    assert_refused(late_ask(json!({"hw": {"disk": 100}})).to_string(), "unknown_field", Some("x"));
    assert_refused(
        late_bid(json!({"req": {"gpu_model": "A100-80GB"}})).to_string(),
        "unknown_field",
        Some("x"),
    );
    assert_refused(late_bid(json!({"expire": LATE + 1})).to_string(), "unknown_field", Some("x"));
    let cancel = json!({"ts": LATE, "op": "cancel", "id": "a1", "owner": P1, "why": "typo"});
    assert_refused(cancel.to_string(), "unknown_field", Some("a1"));
    assert_refused(
        json!({"ts": LATE, "op": "tick", "id": "t"}).to_string(),
        "unknown_field",
        Some("t"),
    );
}

#[test]
fn missing_field_is_refused() {
    // Every field but `expires` is required, including a null `gpu` or `tee`.
    let mut cases: Vec<(Value, Vec<&str>)> = Vec::new();
    for field in ["ts", "op", "id", "owner", "price", "qty", "tif", "hw", "from", "until"] {
        cases.push((late_ask(json!({})), vec![field]));
    }
    for field in ["cpu", "mem", "gpu", "gpus", "gpu_mem", "tee", "region"] {
        cases.push((late_ask(json!({"hw": {"gpu": null, "tee": null}})), vec!["hw", field]));
    }
    let bid_fields = [
        "ts",
        "op",
        "id",
        "owner",
        "limit",
        "qty",
        "tif",
        "req",
        "duration",
        "not_before",
        "deadline",
    ];
    for field in bid_fields {
        cases.push((late_bid(json!({})), vec![field]));
    }
    for field in ["cpu", "mem", "gpu", "gpus", "gpu_mem", "tee", "regions"] {
        cases.push((late_bid(json!({})), vec!["req", field]));
    }
    let cancel = json!({"ts": LATE, "op": "cancel", "id": "a1", "owner": P1});
    for field in ["ts", "id", "owner"] {
        cases.push((cancel.clone(), vec![field]));
    }
    cases.push((json!({"ts": LATE, "op": "tick"}), vec!["ts"]));
    for (line, path) in cases {
        // The rejection names the id whenever the line still has one.
        let id = match path[..] {
            ["id"] => None,
            _ => line["id"].as_str().map(str::to_string),
        };
        assert_refused(without(line, &path).to_string(), "missing_field", id.as_deref());
    }
}

#[test]
fn expires_is_the_one_optional_field() {
    let events = after_book(EngineConfig::default(), &[ask(json!({"id": "x", "ts": 2000}))]);
    assert_eq!(events, [["accepted x"]]);
}

#[test]
fn a_nodes_proof_of_the_sender_is_carried_not_checked() {
    // A node journals `sig`, or a session's signed request in its place (docs/api.md); an
    // offline replay has no keys and gives the same events either way.
    let session = json!({"expires": 9_000_000, "nonce": "n1", "sig": "0x00"});
    let lines = [
        ask(json!({"id": "x", "ts": 2000, "sig": "0x00"})),
        ask(json!({"id": "y", "ts": 2000, "session": session})),
    ];
    let events = after_book(EngineConfig::default(), &lines);
    assert_eq!(events, [["accepted x"], ["accepted y"]]);
    let bad = json!({"expires": 9_000_000, "nonce": "n1", "sig": "0x00", "owner": P1});
    assert_refused(late_ask(json!({"session": bad})).to_string(), "unknown_field", Some("x"));
}

#[test]
fn bad_field_is_refused() {
    let patches = [
        json!({"qty": "2"}),
        json!({"qty": -1}),
        json!({"qty": 1.5}),
        json!({"qty": null}),
        json!({"ts": "1300000"}),
        json!({"ts": -1}),
        json!({"op": "buy"}),
        json!({"op": 7}),
        json!({"tif": "day"}),
        json!({"tif": "GTC"}),
        json!({"price": 1.25}),
        json!({"price": "1e3"}),
        json!({"price": "1,5"}),
        json!({"price": " 1"}),
        json!({"price": "one"}),
        json!({"price": ""}),
        json!({"hw": {"cpu": 4_294_967_296u64}}),
        json!({"hw": {"gpu": 5}}),
        json!({"hw": "A100"}),
        json!({"from": true}),
    ];
    for patch in patches {
        assert_refused(late_ask(patch).to_string(), "bad_field", Some("x"));
    }
    for patch in [json!({"req": {"gpu": "A100-80GB"}}), json!({"req": {"regions": null}})] {
        assert_refused(late_bid(patch).to_string(), "bad_field", Some("x"));
    }
    // An id that is not a string cannot be named in the rejection.
    assert_refused(late_ask(json!({"id": 42})).to_string(), "bad_field", None);
}

#[test]
fn bad_price_is_refused() {
    // Decoder: more than 9 decimals (also past 28 digits, where a decimal type would round the
    // tail away), not positive, beyond a u64 of nano-units (also past 28 digits).
    // Engine: above 10^9 tokens.
    let prices = [
        "1.0000000001",
        "0.0000000001",
        "1.00000000000000000000000000000001",
        "0",
        "0.0",
        "-1",
        "99999999999999999999999",
        "9999999999999999999999999999999999999999",
        "1000000001",
    ];
    for price in prices {
        assert_refused(late_ask(json!({"price": price})).to_string(), "bad_price", Some("x"));
        assert_refused(late_bid(json!({"limit": price})).to_string(), "bad_price", Some("x"));
    }
    // The bounds themselves are prices, and zeros past the ninth decimal are harmless.
    let lines = [
        ask(json!({"id": "max", "ts": 2000, "price": "1000000000"})),
        // Owned by b1's owner, so it rests instead of trading with b1.
        ask(json!({"id": "nano", "ts": 2000, "price": "0.000000001", "owner": R1})),
        bid(json!({"id": "zeros", "ts": 2000, "limit": "0.0000000010", "owner": R2})),
    ];
    let events = after_book(EngineConfig::default(), &lines);
    assert_eq!(events[0], ["accepted max"]);
    assert_eq!(events[1], ["accepted nano"]);
    assert_eq!(
        events[2],
        ["accepted zeros", "deal 1 zeros/nano qty=1 price=0.000000001 start=2000 end=3602000"]
    );
}

#[test]
fn bad_owner_is_refused() {
    let owners = [
        "0x123".to_string(),
        "1".repeat(40),
        format!("0x{}g", "1".repeat(39)),
        format!("0x{}", "1".repeat(42)),
        format!("0X{}", "1".repeat(40)),
        String::new(),
    ];
    for owner in &owners {
        assert_refused(late_ask(json!({"owner": owner})).to_string(), "bad_owner", Some("x"));
        assert_refused(late_bid(json!({"owner": owner})).to_string(), "bad_owner", Some("x"));
        let cancel = json!({"ts": LATE, "op": "cancel", "id": "a1", "owner": owner});
        assert_refused(cancel.to_string(), "bad_owner", Some("a1"));
    }
}

#[test]
fn bad_hardware_is_refused() {
    let too_many: Vec<String> = (0..33).map(|n| format!("m{n}")).collect();
    let too_long = "g".repeat(65);
    let asks = [
        json!({"hw": {"cpu": 1_048_577}}),
        json!({"hw": {"mem": 1_048_577}}),
        json!({"hw": {"gpus": 1_048_577}}),
        json!({"hw": {"gpu_mem": 1_048_577}}),
        json!({"hw": {"gpu": ""}}),
        json!({"hw": {"gpu": too_long}}),
        json!({"hw": {"tee": ""}}),
        json!({"hw": {"region": ""}}),
        json!({"hw": {"region": too_long}}),
    ];
    for patch in asks {
        assert_refused(late_ask(patch).to_string(), "bad_hardware", Some("x"));
    }
    let bids = [
        json!({"req": {"cpu": 1_048_577}}),
        json!({"req": {"mem": 1_048_577}}),
        json!({"req": {"gpus": 1_048_577}}),
        json!({"req": {"gpu_mem": 1_048_577}}),
        json!({"req": {"gpu": too_many}}),
        json!({"req": {"regions": too_many}}),
        json!({"req": {"gpu": [""]}}),
        json!({"req": {"regions": [too_long]}}),
        json!({"req": {"tee": too_long}}),
    ];
    for patch in bids {
        assert_refused(late_bid(patch).to_string(), "bad_hardware", Some("x"));
    }
}

#[test]
fn hardware_at_its_bounds_is_accepted() {
    let name = "g".repeat(64);
    let list: Vec<String> = (0..32).map(|n| format!("m{n}")).collect();
    let lines = [
        ask(json!({"id": "big", "ts": 2000, "hw": {"cpu": 1_048_576, "mem": 1_048_576,
            "gpus": 1_048_576, "gpu_mem": 1_048_576, "gpu": name, "tee": name, "region": name}})),
        bid(json!({"id": "wide", "ts": 2000, "limit": "0.5",
            "req": {"cpu": 1_048_576, "gpu": list, "regions": list, "tee": name}})),
    ];
    assert_eq!(after_book(EngineConfig::default(), &lines), [["accepted big"], ["accepted wide"]]);
}

// ---- Engine-level reasons ------------------------------------------------------------------

#[test]
fn time_backwards_is_refused() {
    assert_refused(tick(999), "time_backwards", None);
    assert_refused(ask(json!({"id": "x", "ts": 999})), "time_backwards", Some("x"));
    assert_refused(cancel(999, "a1", P1), "time_backwards", Some("a1"));
    // The same ts as the clock is not backwards.
    assert_eq!(after_book(EngineConfig::default(), &[ask(json!({"id": "x"}))]), [["accepted x"]]);
}

#[test]
fn bad_time_is_refused() {
    let past_max = TIME_MS_MAX + 1;
    assert_refused(tick(past_max), "bad_time", None);
    assert_refused(cancel(past_max, "a1", P1), "bad_time", Some("a1"));
    for field in ["ts", "from", "until", "expires"] {
        let line = late_ask(json!({ field: past_max }));
        assert_refused(line.to_string(), "bad_time", Some("x"));
    }
    for field in ["ts", "not_before", "deadline", "duration", "expires"] {
        let line = late_bid(json!({ field: past_max }));
        assert_refused(line.to_string(), "bad_time", Some("x"));
    }
    // The last millisecond of 9999 is a time.
    let events = after_book(EngineConfig::default(), &[tick(TIME_MS_MAX), tick(past_max)]);
    assert_eq!(events[1], ["rejected null bad_time line=7"]);
}

#[test]
fn duplicate_id_is_refused() {
    // Any id ever accepted: resting, cancelled, on either side.
    for id in ["a1", "a2", "b1", "gone"] {
        assert_refused(late_ask(json!({"id": id})).to_string(), "duplicate_id", Some(id));
        assert_refused(late_bid(json!({"id": id})).to_string(), "duplicate_id", Some(id));
    }
    // Also the id of an order that was filled or cancelled on arrival.
    let lines = [
        bid(json!({"id": "filled", "owner": R2, "ts": 2000})),
        bid(json!({"id": "killed", "ts": 2000, "qty": 9, "tif": "fok"})),
        ask(json!({"id": "filled", "ts": 2000})),
        ask(json!({"id": "killed", "ts": 2000})),
    ];
    let events = after_book(EngineConfig::default(), &lines);
    assert_eq!(events[2], ["rejected filled duplicate_id line=8"]);
    assert_eq!(events[3], ["rejected killed duplicate_id line=9"]);
}

#[test]
fn bad_id_is_refused() {
    let long = "i".repeat(81);
    for id in ["", "with space", "tab\there", "new\nline", "é", "\u{7f}", long.as_str()] {
        assert_refused(late_ask(json!({"id": id})).to_string(), "bad_id", Some(id));
        assert_refused(late_bid(json!({"id": id})).to_string(), "bad_id", Some(id));
    }
    // 80 printable characters, punctuation included, make an id.
    let longest = format!("!~{}", "i".repeat(78));
    let events = after_book(EngineConfig::default(), &[ask(json!({"id": longest, "ts": 2000}))]);
    assert_eq!(events, [[format!("accepted {longest}")]]);
}

#[test]
fn bad_qty_is_refused() {
    for qty in [0, 1_000_001] {
        assert_refused(late_ask(json!({"qty": qty})).to_string(), "bad_qty", Some("x"));
        assert_refused(late_bid(json!({"qty": qty})).to_string(), "bad_qty", Some("x"));
    }
    let events = after_book(EngineConfig::default(), &[ask(json!({"id": "x", "qty": 1_000_000}))]);
    assert_eq!(events, [["accepted x"]]);
}

#[test]
fn bad_duration_is_refused() {
    assert_refused(late_bid(json!({"duration": 0})).to_string(), "bad_duration", Some("x"));
}

#[test]
fn deadline_unreachable_is_refused() {
    // max(ts, not_before) + duration must not pass the deadline.
    let from_now = late_bid(json!({"duration": HOUR, "deadline": LATE + HOUR - 1}));
    assert_refused(from_now.to_string(), "deadline_unreachable", Some("x"));
    let later =
        late_bid(json!({"not_before": LATE + 10, "duration": HOUR, "deadline": LATE + 9 + HOUR}));
    assert_refused(later.to_string(), "deadline_unreachable", Some("x"));
    // Exactly reachable is fine.
    let exact = bid(
        json!({"id": "x", "ts": 2000, "limit": "0.5", "duration": HOUR, "deadline": 2000 + HOUR}),
    );
    assert_eq!(after_book(EngineConfig::default(), &[exact]), [["accepted x"]]);
}

#[test]
fn bad_window_is_refused() {
    for (from, until) in [(5000, 5000), (6000, 5000), (0, LATE), (0, LATE - 1)] {
        let line = late_ask(json!({"from": from, "until": until}));
        assert_refused(line.to_string(), "bad_window", Some("x"));
    }
    let open = ask(json!({"id": "x", "ts": 2000, "price": "4", "from": 0, "until": 2001}));
    assert_eq!(after_book(EngineConfig::default(), &[open]), [["accepted x"]]);
}

#[test]
fn bad_expires_is_refused() {
    for expires in [LATE, LATE - 1, 0] {
        assert_refused(late_ask(json!({"expires": expires})).to_string(), "bad_expires", Some("x"));
        assert_refused(late_bid(json!({"expires": expires})).to_string(), "bad_expires", Some("x"));
    }
    let next_ms = ask(json!({"id": "x", "ts": 2000, "price": "4", "expires": 2001}));
    assert_eq!(after_book(EngineConfig::default(), &[next_ms]), [["accepted x"]]);
}

#[test]
fn unknown_id_is_refused() {
    assert_refused(cancel(LATE, "never", P1), "unknown_id", Some("never"));
    // A refused order's id was never accepted either.
    let lines = [ask(json!({"id": "refused", "ts": 2000, "qty": 0})), cancel(2000, "refused", P1)];
    let events = after_book(EngineConfig::default(), &lines);
    assert_eq!(events[1], ["rejected refused unknown_id line=7"]);
}

#[test]
fn inactive_id_is_refused() {
    assert_refused(cancel(LATE, "gone", P1), "inactive_id", Some("gone"));
    // a2 rests until 1 200 000: at that ts it is already dead (and the refusal expires nothing).
    assert_refused(cancel(1_200_000, "a2", P2), "inactive_id", Some("a2"));
    assert_refused(cancel(1_300_000, "a2", P2), "inactive_id", Some("a2"));
    // Filled and expired orders.
    let lines = [
        bid(json!({"id": "filled", "owner": R2, "ts": 2000})),
        cancel(2000, "filled", R2),
        tick(1_200_000),
        cancel(1_200_000, "a2", P2),
    ];
    let events = after_book(EngineConfig::default(), &lines);
    assert_eq!(events[1], ["rejected filled inactive_id line=7"]);
    assert_eq!(events[3], ["rejected a2 inactive_id line=9"]);
}

#[test]
fn not_owner_is_refused() {
    assert_refused(cancel(LATE, "a1", P2), "not_owner", Some("a1"));
    assert_refused(cancel(LATE, "b1", P1), "not_owner", Some("b1"));
}

// ---- Capacity --------------------------------------------------------------------------------

fn config(limits: impl FnOnce(&mut EngineConfig)) -> EngineConfig {
    let mut config = EngineConfig::default();
    limits(&mut config);
    config
}

#[test]
fn capacity_resting_orders() {
    // book() needs room for four resting orders and leaves three; `fill` takes the fourth. Every
    // new order needs room to rest, even an ioc that would trade at once.
    let lines = [
        ask(json!({"id": "fill", "ts": 2000, "price": "4"})),
        ask(json!({"id": "x", "ts": 2000})),
        bid(json!({"id": "ioc", "ts": 2000, "owner": R2, "tif": "ioc"})),
        cancel(2000, "b1", R1),
        ask(json!({"id": "x", "ts": 2000})),
    ];
    let events = after_book(config(|c| c.resting_max = 4), &lines);
    assert_eq!(
        events,
        [
            vec!["accepted fill"],
            vec!["rejected x capacity line=7"],
            vec!["rejected ioc capacity line=8"],
            vec!["cancelled b1 remaining=1 user"],
            vec!["accepted x"],
        ]
    );
}

#[test]
fn capacity_is_judged_before_expiry_frees_room() {
    // At 1 200 000 a2 expires, but a refused order runs no expiry, so the book is still full.
    let lines = [
        ask(json!({"id": "fill", "ts": 2000, "price": "4"})),
        ask(json!({"id": "x", "ts": 1_200_000})),
        tick(1_200_000),
        ask(json!({"id": "x", "ts": 1_200_000})),
    ];
    let events = after_book(config(|c| c.resting_max = 4), &lines);
    assert_eq!(
        events,
        [
            vec!["accepted fill"],
            vec!["rejected x capacity line=7"],
            vec!["expired a2 remaining=1"],
            vec!["accepted x"],
        ]
    );
}

#[test]
fn capacity_orders_over_the_engines_life() {
    // Ids are remembered forever: cancelling frees no room for more orders.
    let lines = [cancel(2000, "a1", P1), ask(json!({"id": "x", "ts": 2000}))];
    let events = after_book(config(|c| c.orders_max = 4), &lines);
    assert_eq!(events, [["cancelled a1 remaining=2 user"], ["rejected x capacity line=7"]]);
}

#[test]
fn capacity_id_bytes() {
    // book() used 10 bytes of ids (a1 a2 b1 gone).
    let lines = [ask(json!({"id": "xyz", "ts": 2000})), ask(json!({"id": "xy", "ts": 2000}))];
    let events = after_book(config(|c| c.id_bytes_max = 12), &lines);
    assert_eq!(events, [["rejected xyz capacity line=6"], ["accepted xy"]]);
}

#[test]
fn capacity_machine_configurations_counts_the_live_ones() {
    // book() rests asks of one configuration. A configuration whose asks have all left — or
    // whose only order never rested — makes room for another (bounds apply to what is live);
    // the same machine at another price or window is the same configuration.
    let h100 = json!({"gpu": "H100-80GB"});
    let l40s = json!({"gpu": "L40S"});
    let lines = [
        ask(json!({"id": "h100", "ts": 2000, "hw": h100, "tif": "ioc"})),
        ask(json!({"id": "l40s", "ts": 2000, "hw": l40s})),
        ask(json!({"id": "h100-again", "ts": 2000, "hw": h100})),
        ask(json!({"id": "l40s-more", "ts": 2000, "hw": l40s, "price": "7", "from": 9, "qty": 3})),
        cancel(2000, "l40s", P1),
        cancel(2000, "l40s-more", P1),
        ask(json!({"id": "h100-again", "ts": 2000, "hw": h100})),
    ];
    let events = after_book(config(|c| c.configs_max = 2), &lines);
    assert_eq!(
        events,
        [
            vec!["accepted h100", "cancelled h100 remaining=1 ioc"],
            vec!["accepted l40s"],
            vec!["rejected h100-again capacity line=8"],
            vec!["accepted l40s-more"],
            vec!["cancelled l40s remaining=1 user"],
            vec!["cancelled l40s-more remaining=3 user"],
            vec!["accepted h100-again"],
        ]
    );
}

#[test]
fn capacity_requirement_signatures_counts_the_live_ones() {
    // book() rests one signature (b1). Lists are sets: the same models in another order are
    // the same signature. A signature whose bids have all left makes room for another.
    let lines = [
        bid(
            json!({"id": "ah", "ts": 2000, "limit": "0.5", "req": {"gpu": ["A100-80GB", "H100-80GB"]}}),
        ),
        bid(
            json!({"id": "ha", "ts": 2000, "limit": "0.5", "req": {"gpu": ["H100-80GB", "A100-80GB"]}}),
        ),
        bid(json!({"id": "cpu4", "ts": 2000, "limit": "0.5", "req": {"cpu": 4}})),
        cancel(2000, "ah", R1),
        bid(json!({"id": "cpu4", "ts": 2000, "limit": "0.5", "req": {"cpu": 4}})),
        cancel(2000, "ha", R1),
        bid(json!({"id": "cpu4", "ts": 2000, "limit": "0.5", "req": {"cpu": 4}})),
    ];
    let events = after_book(config(|c| c.signatures_max = 2), &lines);
    assert_eq!(
        events,
        [
            vec!["accepted ah"],
            vec!["accepted ha"],
            vec!["rejected cpu4 capacity line=8"],
            vec!["cancelled ah remaining=1 user"],
            vec!["rejected cpu4 capacity line=10"],
            vec!["cancelled ha remaining=1 user"],
            vec!["accepted cpu4"],
        ]
    );
}

/// A market that has seen far more machines and requirement signatures over its life than its
/// bounds, a few at a time, keeps accepting new ones.
#[test]
fn groups_come_and_go_far_past_their_bounds() {
    let mut replay = Replay::new(config(|c| {
        c.configs_max = 4;
        c.signatures_max = 4;
    }));
    replay_with(&mut replay, &book());
    for n in 0..200u64 {
        let ts = 2000 + n;
        let lines = [
            ask(json!({"id": format!("ask{n}"), "ts": ts, "hw": {"cpu": 100 + n}, "price": "9"})),
            bid(
                json!({"id": format!("bid{n}"), "ts": ts, "limit": "0.5", "req": {"cpu": 100 + n}}),
            ),
            cancel(ts, &format!("ask{n}"), P1),
            cancel(ts, &format!("bid{n}"), R1),
        ];
        for events in replay_with(&mut replay, &lines) {
            assert_ne!(events[0]["type"], "rejected", "after {n} machines: {events:?}");
        }
    }
    assert!(replay.engine().config_count() <= 4 && replay.engine().signature_count() <= 4);
    replay.engine().check_invariants().expect("the book's structure holds");
}

/// Every `capacity` rejection names the bound that was reached and its value, not just "a
/// capacity".
#[test]
fn a_capacity_rejection_names_its_bound_and_value() {
    let rejected = |limits: fn(&mut EngineConfig), line: String| {
        let mut replay = Replay::new(config(limits));
        replay_with(&mut replay, &book());
        let events = replay_with(&mut replay, &[line]);
        assert_eq!(events[0][0]["reason"], "capacity", "{:?}", events[0]);
        events[0][0]["detail"].as_str().expect("a detail").to_string()
    };
    type Case = (fn(&mut EngineConfig), String, &'static str);
    let cases: [Case; 7] = [
        (
            |c| c.resting_max = 3,
            ask(json!({"id": "x", "ts": 2000})),
            "resting_max = 3 reached: resting orders",
        ),
        (|c| c.orders_max = 4, ask(json!({"id": "x", "ts": 2000})), "orders_max = 4 reached"),
        (|c| c.id_bytes_max = 10, ask(json!({"id": "x", "ts": 2000})), "id_bytes_max = 10 reached"),
        (
            |c| c.configs_max = 1,
            ask(json!({"id": "x", "ts": 2000, "hw": {"cpu": 64}})),
            "configs_max = 1 reached: machine configurations with resting asks",
        ),
        (
            |c| c.signatures_max = 1,
            bid(json!({"id": "x", "ts": 2000, "limit": "0.5", "req": {"cpu": 64}})),
            "signatures_max = 1 reached: requirement signatures with resting bids",
        ),
        (
            |c| c.classes_max = 0,
            json!({"ts": 2000, "op": "reference", "class": "gpu.a", "price": "1"}).to_string(),
            "classes_max = 0 reached: classes",
        ),
        (
            |c| c.names_max = 2,
            ask(json!({"id": "x", "ts": 2000, "hw": {"gpu": "L40S"}})),
            "names_max = 2 reached: distinct names",
        ),
    ];
    for (limits, line, want) in cases {
        let detail = rejected(limits, line);
        assert!(detail.starts_with(want), "{detail:?} should start with {want:?}");
    }
}

// ---- Memory ---------------------------------------------------------------------------------

/// A rejected line leaves no trace in memory (issue 9, item 2): 5 000 rejected lines each
/// naming 32 new 64-byte GPU models — bids of quantity 0 the engine refuses, and bids whose
/// last name is too long for the decoder — leave the name table and the engine's memory as
/// the first 1 000 of them did (by then the table's hash map has found the size one line
/// needs; before the fix the names alone took 20 MB).
#[test]
fn rejected_lines_with_new_names_leave_no_memory_behind() {
    let mut replay = Replay::default();
    replay_with(&mut replay, &book());
    let names = replay.symbols().len();
    let hostile = |n: usize| {
        let mut gpu: Vec<String> = (0..32).map(|k| format!("{:0>64}", n * 32 + k)).collect();
        if n % 2 == 1 {
            gpu[31].push('x'); // 65 bytes: refused by the decoder after 31 new names
        }
        bid(json!({"id": format!("q{n}"), "ts": 2000, "qty": n % 2, "req": {"gpu": gpu}}))
    };
    let mut memory = None;
    for n in 0..5_000 {
        let events = replay_with(&mut replay, &[hostile(n)]);
        assert_eq!(events[0][0]["type"], "rejected", "{:?}", events[0]);
        if n == 999 {
            let symbols = replay.symbols();
            memory = Some((symbols.heap_bytes(), replay.engine().heap_bytes()));
        }
    }
    let symbols = replay.symbols();
    assert_eq!(symbols.len(), names, "rejected lines left names behind");
    assert_eq!(Some((symbols.heap_bytes(), replay.engine().heap_bytes())), memory);
}

// ---- The order of checks: the first failing one is the reason ------------------------------

/// Sends `line`, then `line` with each fix applied in turn, and requires the reasons in order;
/// the fully fixed line must be accepted. Refused lines change nothing, so one replay serves.
fn assert_check_order(mut line: Value, steps: &[(&str, Value)], accepted: &str) {
    let config = config(|c| {
        c.configs_max = 1;
        c.signatures_max = 1;
    });
    let mut replay = Replay::new(config);
    replay_with(&mut replay, &book());
    for (at, (reason, fix)) in steps.iter().enumerate() {
        let events = replay_with(&mut replay, &[line.to_string()]);
        assert_eq!(events[0][0]["reason"], *reason, "step {at}: {}", line);
        merge(&mut line, fix.clone());
    }
    let events = replay_with(&mut replay, &[line.to_string()]);
    let all: Vec<String> = events[0].iter().map(compact).collect();
    assert!(all.contains(&accepted.to_string()), "{line}: {all:?}");
}

#[test]
fn ask_checks_run_in_order() {
    let line = late_ask(json!({
        "ts": TIME_MS_MAX + 1, "id": "bad id", "price": "1000000001", "qty": 0,
        "hw": {"cpu": 1_048_577}, "from": TIME_MS_MAX + 1, "until": 0, "expires": LATE,
    }));
    let steps = [
        ("bad_time", json!({"ts": 500})),
        ("time_backwards", json!({"ts": LATE})),
        ("bad_id", json!({"id": "a1"})),
        ("duplicate_id", json!({"id": "x"})),
        ("bad_price", json!({"price": "1"})),
        ("bad_qty", json!({"qty": 1})),
        ("bad_hardware", json!({"hw": {"cpu": 16}})),
        ("bad_time", json!({"from": 0})),
        ("bad_window", json!({"until": 100_000_000})),
        ("bad_expires", json!({"expires": LATE + 1})),
        ("capacity", json!({"hw": {"cpu": 8}})),
    ];
    assert_check_order(line, &steps, "accepted x");
}

#[test]
fn bid_checks_run_in_order() {
    let line = late_bid(json!({
        "ts": TIME_MS_MAX + 1, "id": "bad id", "limit": "1000000001", "qty": 1_000_001,
        "req": {"gpus": 1_048_577}, "duration": TIME_MS_MAX + 1, "deadline": LATE, "expires": LATE,
    }));
    let steps = [
        ("bad_time", json!({"ts": 500})),
        ("time_backwards", json!({"ts": LATE})),
        ("bad_id", json!({"id": "b1"})),
        ("duplicate_id", json!({"id": "x"})),
        ("bad_price", json!({"limit": "2"})),
        ("bad_qty", json!({"qty": 1})),
        ("bad_hardware", json!({"req": {"gpus": 0, "cpu": 4}})),
        ("bad_time", json!({"duration": 0})),
        ("bad_duration", json!({"duration": HOUR})),
        ("deadline_unreachable", json!({"deadline": 50_000_000})),
        ("bad_expires", json!({"expires": LATE + 1})),
        ("capacity", json!({"req": {"cpu": 0}})),
    ];
    assert_check_order(line, &steps, "accepted x");
}

#[test]
fn cancel_checks_run_in_order() {
    let line = json!({"ts": TIME_MS_MAX + 1, "op": "cancel", "id": "never", "owner": P2});
    let steps = [
        ("bad_time", json!({"ts": 500})),
        ("time_backwards", json!({"ts": LATE})),
        ("unknown_id", json!({"id": "gone"})),
        ("inactive_id", json!({"id": "a1"})),
        ("not_owner", json!({"owner": P1})),
    ];
    assert_check_order(line, &steps, "cancelled a1 remaining=2 user");
}

// ---- Malformed input of every shape --------------------------------------------------------

/// Replays `lines` after `book()` and checks the framing every line must keep: each output line
/// is a JSON object, `seq` counts from 1 without gaps, and a line with a `rejected` event has no
/// other event. Returns each line's events.
fn replay_checked(lines: &[Vec<u8>]) -> Vec<Vec<Value>> {
    let mut replay = Replay::default();
    let book: Vec<Vec<u8>> = book().into_iter().map(String::into_bytes).collect();
    let all = replay_with(&mut replay, &[book, lines.to_vec()].concat());
    let mut seq = 0;
    for (at, events) in all.iter().enumerate() {
        if events.iter().any(|e| e["type"] == "rejected") {
            assert_eq!(events.len(), 1, "line {}: {events:?}", at + 1);
            assert_eq!(events[0]["line"], at as u64 + 1);
        }
        for event in events {
            seq += 1;
            assert_eq!(event["seq"], seq);
        }
    }
    all[5..].to_vec()
}

/// Bytes that look a little like JSON, to get past the first byte more often.
fn jsonish_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        any::<u8>(),
        prop::sample::select(b"{}[]\":,.-+0123456789eEtruefalsnl \\/u\xff\xc3".to_vec()),
    ]
}

proptest! {
    #[test]
    fn random_bytes_give_one_rejection_per_line(
        lines in prop::collection::vec(prop::collection::vec(jsonish_byte(), 0..200), 1..20),
    ) {
        for events in replay_checked(&lines) {
            prop_assert_eq!(events.len(), 1);
            prop_assert_eq!(&events[0]["type"], "rejected");
        }
    }

    #[test]
    fn mutated_lines_never_break_the_event_stream(
        edits in prop::collection::vec((0usize..4, any::<usize>(), jsonish_byte(), 0usize..3), 1..40),
    ) {
        // Valid lines of every kind with a few bytes deleted, inserted or replaced.
        let templates = [
            ask(json!({"id": "x", "ts": 2000, "expires": 9000})),
            bid(json!({"id": "y", "ts": 2000, "owner": R2, "req": {"gpu": ["A100-80GB"]}})),
            cancel(2000, "a1", P1),
            tick(3000),
        ];
        let lines: Vec<Vec<u8>> = edits
            .iter()
            .map(|&(which, at, byte, kind)| {
                let mut line = templates[which].clone().into_bytes();
                let at = at % (line.len() + 1);
                match kind {
                    0 if at < line.len() => { line.remove(at); }
                    1 => line.insert(at, byte),
                    _ if at < line.len() => line[at] = byte,
                    _ => line.push(byte),
                }
                line
            })
            .collect();
        replay_checked(&lines);
    }
}

#[test]
fn ten_megabyte_lines_give_one_rejection() {
    const TEN_MB: usize = 10 << 20;
    let huge = "a".repeat(TEN_MB);
    let cases: [(Vec<u8>, &str); 5] = [
        (late_ask(json!({"id": huge})).to_string().into_bytes(), "bad_id"),
        (json!({"ts": LATE, "op": "tick", "pad": huge}).to_string().into_bytes(), "unknown_field"),
        (
            late_ask(json!({"price": format!("1.{}1", "0".repeat(TEN_MB))}))
                .to_string()
                .into_bytes(),
            "bad_price",
        ),
        (vec![b'['; TEN_MB], "malformed_json"),
        ([b"{\"a\":".as_slice(), &vec![b'['; TEN_MB]].concat(), "malformed_json"),
    ];
    for (line, reason) in cases {
        let events = replay_checked(&[line]);
        let shown: Vec<String> =
            events[0].iter().map(|e| compact(e).chars().take(80).collect()).collect();
        assert_eq!(events[0].len(), 1, "{reason}: {shown:?}");
        assert_eq!(events[0][0]["reason"], reason, "{shown:?}");
    }
}

#[test]
fn deep_nesting_gives_one_rejection() {
    const DEPTH: usize = 100_000;
    let lines = [
        vec![b'['; DEPTH],
        b"{\"a\":".repeat(DEPTH),
        [b"{\"ts\":1,\"op\":\"tick\",\"x\":".as_slice(), &b"{\"a\":".repeat(DEPTH)].concat(),
        [b"{\"ts\":1,\"op\":\"ask\",\"hw\":".as_slice(), &b"[".repeat(DEPTH)].concat(),
    ];
    for events in replay_checked(&lines) {
        let reason = events[0]["reason"].as_str().expect("a reason");
        assert!(["malformed_json", "bad_field"].contains(&reason), "{reason}");
    }
}

#[test]
fn invalid_utf8_is_refused() {
    let mut inside_id = cancel(LATE, "a1", P1).into_bytes();
    let at = inside_id.windows(2).position(|w| w == b"a1").expect("the id");
    inside_id[at] = 0xff;
    assert_refused(&inside_id, "malformed_json", None);
    let outside = [b"{\"ts\":1,\"op\":\"tick\"}".as_slice(), b"\xc3\x28"].concat();
    assert_refused(&outside, "malformed_json", None);
    assert_refused(b"\xef\xbb\xbf{\"ts\":1,\"op\":\"tick\"}", "malformed_json", None);
}
