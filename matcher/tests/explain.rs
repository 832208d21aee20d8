//! `Engine::explain` ("why didn't it match") names the right rule for each kind of exclusion:
//! one test per rule, each against a book where exactly that rule keeps the pair apart, plus the
//! order in which candidates are listed.

mod common;

use common::{ask, bid, replay_with, HOUR, P1, R1};
use gridbook_matcher::stream::Replay;
use gridbook_matcher::{Candidate, Command, Exclusion, IdLookup, Mismatch};
use serde_json::json;

/// Rests `book`, then explains `probe` (not applied) against it: `(candidate id, rule codes)`.
fn explain(book: &[String], probe: &str) -> Vec<(String, Vec<&'static str>)> {
    let mut replay = Replay::default();
    replay_with(&mut replay, book);
    let (ts_ms, command) = replay.decode(probe.as_bytes()).expect("probe decodes");
    assert!(matches!(command, Command::Ask(_) | Command::Bid(_)));
    let candidates: Vec<Candidate> = replay.engine().explain(&command, ts_ms, 10);
    candidates
        .iter()
        .map(|c| {
            let codes = c.excluded_by.iter().map(|e| e.code()).collect();
            (replay.engine().order_id(c.order).to_string(), codes)
        })
        .collect()
}

/// A bid that the default ask would fill, changed by `patch`, explained against that ask.
fn bid_against_default_ask(patch: serde_json::Value) -> Vec<&'static str> {
    let book = [ask(json!({"id": "a"}))];
    let found = explain(&book, &bid(patch));
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].1.clone()
}

#[test]
fn a_pair_that_could_trade_has_no_exclusion() {
    assert!(bid_against_default_ask(json!({})).is_empty());
}

#[test]
fn explain_names_price_when_the_ask_is_above_the_limit() {
    assert_eq!(bid_against_default_ask(json!({"limit": "0.5"})), ["price"]);
}

#[test]
fn explain_names_cpu() {
    assert_eq!(bid_against_default_ask(json!({"req": {"cpu": 9}})), ["cpu"]);
}

#[test]
fn explain_names_mem() {
    assert_eq!(bid_against_default_ask(json!({"req": {"mem": 33}})), ["mem"]);
}

#[test]
fn explain_names_gpu_model() {
    assert_eq!(bid_against_default_ask(json!({"req": {"gpu": ["H100-80GB"]}})), ["gpu_model"]);
}

#[test]
fn explain_names_gpu_count() {
    let req = json!({"req": {"gpu": ["A100-80GB"], "gpus": 2}});
    assert_eq!(bid_against_default_ask(req), ["gpu_count"]);
}

#[test]
fn explain_names_gpu_memory() {
    let req = json!({"req": {"gpu": ["A100-80GB"], "gpu_mem": 81}});
    assert_eq!(bid_against_default_ask(req), ["gpu_mem"]);
}

#[test]
fn explain_names_tee() {
    assert_eq!(bid_against_default_ask(json!({"req": {"tee": "sgx"}})), ["tee"]);
}

#[test]
fn explain_names_region() {
    assert_eq!(bid_against_default_ask(json!({"req": {"regions": ["us-east"]}})), ["region"]);
}

#[test]
fn explain_names_time_when_the_deadline_is_past_the_asks_window() {
    // The ask is available until 10^8; this bid may not start before 99 999 000 and needs an hour.
    let late = json!({"not_before": 99_999_000, "deadline": 99_999_000 + 2 * HOUR});
    assert_eq!(bid_against_default_ask(late), ["time"]);
}

#[test]
fn explain_names_time_for_an_order_that_expires_at_this_time() {
    let book = [ask(json!({"id": "a", "expires": 5000}))];
    let found = explain(&book, &bid(json!({"ts": 5000})));
    assert_eq!(found, [("a".to_string(), vec!["time"])]);
}

#[test]
fn explain_names_self_trade() {
    assert_eq!(bid_against_default_ask(json!({"owner": P1})), ["self_trade"]);
}

#[test]
fn explain_lists_every_failing_rule_in_rule_order() {
    let all = json!({"limit": "0.5", "owner": P1, "req": {"cpu": 9, "regions": ["us-east"]}});
    assert_eq!(bid_against_default_ask(all), ["price", "cpu", "region", "self_trade"]);
}

#[test]
fn explain_works_for_an_incoming_ask_against_resting_bids() {
    let book = [bid(json!({"id": "b", "req": {"mem": 64}}))];
    let found = explain(&book, &ask(json!({"id": "a", "owner": P1})));
    assert_eq!(found, [("b".to_string(), vec!["mem"])]);
    assert_eq!(Exclusion::Hardware(Mismatch::Mem).code(), "mem");
}

#[test]
fn candidates_are_nearest_first_fewest_rules_then_price_gap_then_arrival() {
    let book = [
        ask(json!({"id": "two-rules", "price": "2", "hw": {"cpu": 1, "mem": 1}})),
        ask(json!({"id": "price-gap-7", "price": "9"})),
        ask(json!({"id": "price-gap-1-first", "price": "3"})),
        ask(json!({"id": "price-gap-1-second", "price": "3"})),
        ask(json!({"id": "own-at-limit", "price": "2", "owner": R1})),
        ask(json!({"id": "price-gap-half", "price": "2.5"})),
    ];
    let probe = bid(json!({"limit": "2", "req": {"cpu": 8, "mem": 32}}));
    let order: Vec<String> = explain(&book, &probe).into_iter().map(|(id, _)| id).collect();
    let want = [
        "own-at-limit",
        "price-gap-half",
        "price-gap-1-first",
        "price-gap-1-second",
        "price-gap-7",
        "two-rules",
    ];
    assert_eq!(order, want);
}

/// `explain_resting` answers for an order already in the book what `explain` answers for the
/// same order arriving now: the same candidates, the same rules, in the same order — and
/// nothing for an id that is not resting.
#[test]
fn a_resting_order_is_explained_as_it_would_be_on_arrival_now() {
    let mut replay = Replay::default();
    let book = [
        ask(json!({"id": "a-dear", "price": "3"})),
        ask(json!({"id": "a-far", "hw": {"region": "us-east"}})),
        ask(json!({"id": "a-gone", "qty": 1})),
    ];
    replay_with(&mut replay, &book);
    let resting_bid =
        bid(json!({"id": "b", "qty": 2, "limit": "2", "req": {"regions": ["eu-west"]}}));
    // b takes a-gone, then rests: a-dear is too dear, a-far in the wrong region.
    replay_with(&mut replay, &[&resting_bid]);
    let engine = replay.engine();
    let codes = |candidates: &[Candidate]| -> Vec<(String, Vec<&'static str>)> {
        candidates
            .iter()
            .map(|c| {
                let codes = c.excluded_by.iter().map(|e| e.code()).collect();
                (engine.order_id(c.order).to_string(), codes)
            })
            .collect()
    };
    let resting = engine.explain_resting("b", 10).expect("b rests");
    assert_eq!(
        codes(&resting),
        [("a-dear".to_string(), vec!["price"]), ("a-far".to_string(), vec!["region"])]
    );
    let mut fresh = Replay::default();
    replay_with(&mut fresh, &book[..2]);
    let (ts_ms, command) = fresh.decode(resting_bid.as_bytes()).expect("decodes");
    let on_arrival: Vec<(String, Vec<&'static str>)> = fresh
        .engine()
        .explain(&command, ts_ms, 10)
        .iter()
        .map(|c| {
            (
                fresh.engine().order_id(c.order).to_string(),
                c.excluded_by.iter().map(|e| e.code()).collect(),
            )
        })
        .collect();
    assert_eq!(codes(&resting), on_arrival);
    assert!(engine.explain_resting("a-gone", 10).is_none(), "filled: not resting");
    assert!(engine.explain_resting("nobody", 10).is_none());
}
