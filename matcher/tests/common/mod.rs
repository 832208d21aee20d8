//! Helpers shared by the stream-level tests (rules.rs, validation.rs): building order-stream
//! lines from a readable template, replaying them, and reading the events back in a compact form.
//!
//! Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use gridbook_matcher::stream::Replay;
use gridbook_matcher::EngineConfig;
use serde_json::{json, Value};

/// Providers and requesters.
pub(crate) const P1: &str = "0x1111111111111111111111111111111111111111";
pub(crate) const P2: &str = "0x2222222222222222222222222222222222222222";
pub(crate) const R1: &str = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub(crate) const R2: &str = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// One hour, the default bid duration.
pub(crate) const HOUR: u64 = 3_600_000;

/// Sets every field of `patch` in `base`, recursing into objects (so `{"hw":{"cpu":4}}` changes
/// only the core count); `null` is set as a value, not a removal.
pub(crate) fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                match base.get_mut(&key) {
                    Some(slot) if value.is_object() && slot.is_object() => merge(slot, value),
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, patch) => *base = patch,
    }
}

/// The default ask: provider P1 offers one A100-80GB machine in eu-west at 1 token per
/// slot-hour, gtc, available over [0, 10^8), at ts 1000.
pub(crate) fn ask_value(patch: Value) -> Value {
    let mut line = json!({
        "ts": 1000, "op": "ask", "id": "a", "owner": P1, "price": "1", "qty": 1, "tif": "gtc",
        "hw": {"cpu": 8, "mem": 32, "gpu": "A100-80GB", "gpus": 1, "gpu_mem": 80, "tee": null,
               "region": "eu-west"},
        "from": 0, "until": 100_000_000
    });
    merge(&mut line, patch);
    line
}

/// The default bid: requester R1 wants one slot of anything for an hour at up to 2 tokens, gtc,
/// any time before 5·10^7, at ts 1000.
pub(crate) fn bid_value(patch: Value) -> Value {
    let mut line = json!({
        "ts": 1000, "op": "bid", "id": "b", "owner": R1, "limit": "2", "qty": 1, "tif": "gtc",
        "req": {"cpu": 0, "mem": 0, "gpu": [], "gpus": 0, "gpu_mem": 0, "tee": null,
                "regions": []},
        "duration": HOUR, "not_before": 0, "deadline": 50_000_000
    });
    merge(&mut line, patch);
    line
}

/// The default ask line with `patch` applied.
pub(crate) fn ask(patch: Value) -> String {
    ask_value(patch).to_string()
}

/// The default bid line with `patch` applied.
pub(crate) fn bid(patch: Value) -> String {
    bid_value(patch).to_string()
}

/// A cancel line.
pub(crate) fn cancel(ts: u64, id: &str, owner: &str) -> String {
    json!({"ts": ts, "op": "cancel", "id": id, "owner": owner}).to_string()
}

/// A tick line.
pub(crate) fn tick(ts: u64) -> String {
    json!({"ts": ts, "op": "tick"}).to_string()
}

/// Replays `lines` (numbered from 1) and returns each line's events as JSON values.
pub(crate) fn replay_with(replay: &mut Replay, lines: &[impl AsRef<[u8]>]) -> Vec<Vec<Value>> {
    let mut per_line = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let mut out = Vec::new();
        replay.line(at as u64 + 1, line.as_ref(), &mut out);
        let text = std::str::from_utf8(&out).expect("events are UTF-8");
        let events = text
            .lines()
            .map(|event| serde_json::from_str(event).expect("each event line is JSON"))
            .collect();
        per_line.push(events);
    }
    per_line
}

/// Replays `lines` into a fresh engine with `config`.
pub(crate) fn replay_config(config: EngineConfig, lines: &[impl AsRef<[u8]>]) -> Vec<Vec<Value>> {
    replay_with(&mut Replay::new(config), lines)
}

/// Replays `lines` into a fresh default engine and returns all events in compact form.
pub(crate) fn run(lines: &[impl AsRef<[u8]>]) -> Vec<String> {
    replay_config(EngineConfig::default(), lines).iter().flatten().map(compact).collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One event in a short, exact form:
/// `accepted b`, `deal 1 b/a qty=2 price=1.25 start=1000 end=3601000`,
/// `cancelled b remaining=3 ioc`, `expired a remaining=1`, `rejected b bad_qty line=4`,
/// `reference gpu.a price=1.8 repriced=2`.
pub(crate) fn compact(event: &Value) -> String {
    let field = |name: &str| text(&event[name]);
    match field("type").as_str() {
        "accepted" => format!("accepted {}", field("id")),
        "deal" => format!(
            "deal {} {}/{} qty={} price={} start={} end={}",
            field("deal"),
            field("bid"),
            field("ask"),
            field("qty"),
            field("price"),
            field("start"),
            field("end")
        ),
        "cancelled" => {
            format!(
                "cancelled {} remaining={} {}",
                field("id"),
                field("remaining"),
                field("reason")
            )
        }
        "expired" => format!("expired {} remaining={}", field("id"), field("remaining")),
        "reference" => format!(
            "reference {} price={} repriced={}",
            field("class"),
            field("price"),
            field("repriced")
        ),
        "rejected" => {
            format!("rejected {} {} line={}", field("id"), field("reason"), field("line"))
        }
        other => panic!("unknown event type {other:?} in {event}"),
    }
}

/// Replays `lines` into a fresh default engine and returns each line's events in compact form.
pub(crate) fn run_lines(lines: &[impl AsRef<[u8]>]) -> Vec<Vec<String>> {
    let events = replay_config(EngineConfig::default(), lines);
    events.iter().map(|line| line.iter().map(compact).collect()).collect()
}

/// Only the deals of `events`.
pub(crate) fn deals(events: &[String]) -> Vec<String> {
    events.iter().filter(|e| e.starts_with("deal ")).cloned().collect()
}
