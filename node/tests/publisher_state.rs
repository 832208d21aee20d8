//! The publisher's part of a snapshot (node/src/pipeline/publisher/state.rs). The rule pinned:
//! a publisher restored from a snapshot at seq S and fed the journal after S ends exactly as
//! one that was fed the whole journal — the same event log for `GET /v1/events?after=`, the
//! same order status for `GET /v1/orders/{id}`, the same open orders, and the same outcomes for
//! idempotent retries (compared through the bytes it writes, which hold them all) — with
//! windows small enough that old entries are forgotten on the way. And a snapshot job joins
//! the publisher's state at exactly the seq its market copy was taken at.

use std::sync::Arc;

use gridbook_matcher::stream::encode_command;
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_node::config::MarketConfig;
use gridbook_node::pipeline::market::Market;
use gridbook_node::pipeline::matching::Applied;
use gridbook_node::pipeline::publisher::{
    Handoff, MarketCopyAt, Published, Publisher, PublisherBounds,
};
use gridbook_node::pipeline::Item;
use gridbook_node::snapshot::MarketCopy;
use parking_lot::RwLock;

fn journal() -> Vec<(u64, String)> {
    let config =
        WorkloadConfig { seed: 4, configs: 16, resting: 200, orders: 1500, ..Default::default() };
    let workload = Workload::new(config);
    let symbols = workload.symbols().clone();
    let lines = workload.map(|(ts_ms, command)| (ts_ms, encode_command(&symbols, ts_ms, &command)));
    lines.collect()
}

fn publisher() -> (Publisher, Arc<RwLock<Published>>) {
    let shared = Arc::new(RwLock::new(Published::default()));
    // Windows small enough that old entries are forgotten along the way.
    let bounds = PublisherBounds { events_kept: 700, orders_kept: 300, outcomes_kept: 250 };
    let (live, _) = tokio::sync::broadcast::channel(16);
    (Publisher::new(shared.clone(), bounds, live), shared)
}

/// Feeds journal records `from..` (seq = index + 1) through `market` into `publisher`.
fn feed(market: &mut Market, publisher: &mut Publisher, journal: &[(u64, String)], from: usize) {
    for (at, (ts_ms, line)) in journal.iter().enumerate().skip(from) {
        let seq = at as u64 + 1;
        let mut events = Vec::new();
        market.apply(seq, line, &mut events);
        publisher.recover(seq, *ts_ms, line, events);
    }
}

fn snapshot(publisher: &Publisher) -> Vec<u8> {
    let mut bytes = Vec::new();
    publisher.write_snapshot(&mut bytes);
    bytes
}

#[test]
fn a_restored_publisher_answers_as_one_that_saw_the_whole_journal() {
    let journal = journal();
    let cut = journal.len() * 2 / 3;
    let mut market = Market::new(&MarketConfig::default()).expect("the default market");
    let (mut original, original_shared) = publisher();
    feed(&mut market, &mut original, &journal[..cut], 0);
    let bytes = snapshot(&original);

    let (mut restored, restored_shared) = publisher();
    restored.restore_snapshot(&bytes).expect("its own snapshot restores");
    assert_eq!(snapshot(&restored), bytes, "a restored publisher writes the bytes it read");
    // The restored publisher goes on behind a market that reached the cut on its own.
    let mut market_copy = Market::new(&MarketConfig::default()).expect("the default market");
    feed(&mut market_copy, &mut publisher().0, &journal[..cut], 0);
    feed(&mut market, &mut original, &journal, cut);
    feed(&mut market_copy, &mut restored, &journal, cut);

    assert_eq!(snapshot(&restored), snapshot(&original));
    let (want, got) = (original_shared.read(), restored_shared.read());
    assert_eq!(got.last_seq, journal.len() as u64);
    let events = |p: &Published| {
        let oldest = p.events_after(0, 1).expect_err("early events were forgotten");
        let kept = p.events_after(oldest - 1, usize::MAX).expect("the kept events");
        kept.iter().map(|e| e.json.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(events(&got), events(&want));
    for (_, line) in &journal {
        let id = line.split("\"id\":\"").nth(1).and_then(|rest| rest.split('"').next());
        if let Some(id) = id {
            assert_eq!(got.order(id), want.order(id), "order {id}");
        }
    }
    assert!(!got.open_orders.is_empty() && got.open_orders.len() == want.open_orders.len());
}

#[test]
fn damaged_publisher_state_is_refused_without_panicking() {
    let journal = journal();
    let mut market = Market::new(&MarketConfig::default()).expect("the default market");
    let (mut original, _) = publisher();
    feed(&mut market, &mut original, &journal[..400], 0);
    let bytes = snapshot(&original);
    let step = bytes.len() / 150 + 1;
    for len in (0..bytes.len()).step_by(step) {
        assert!(publisher().0.restore_snapshot(&bytes[..len]).is_err(), "truncated to {len}");
    }
    for at in (0..bytes.len()).step_by(step) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x40;
        let _ = publisher().0.restore_snapshot(&flipped);
    }
}

/// Journal records `1..=n` applied by `market`, as the matching thread hands them on (with
/// nobody to answer).
fn applied(market: &mut Market, journal: &[(u64, String)]) -> Vec<Applied> {
    let records = journal.iter().enumerate();
    let applied = records.map(|(at, (ts_ms, line))| {
        let mut events = Vec::new();
        market.apply(at as u64 + 1, line, &mut events);
        let (seq, ts_ms, line) = (at as u64 + 1, *ts_ms, line.clone());
        Applied { seq, ts_ms, line, item: Item::Tick, events }
    });
    applied.collect()
}

/// A market copy that writes a fixed marker.
struct Marker(u8);

impl MarketCopy for Marker {
    fn write_state(&self, out: &mut Vec<u8>) {
        out.push(self.0);
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

/// A snapshot joins the publisher's state at exactly the copy's seq, even when the copy was
/// taken in the middle of a group the publisher has not reached yet.
#[test]
fn a_snapshot_job_joins_the_publisher_state_at_the_copys_seq() {
    let journal = journal();
    let mut market = Market::new(&MarketConfig::default()).expect("the default market");
    let (copies_tx, copies_rx) = crossbeam_channel::bounded(1);
    let (jobs_tx, jobs_rx) = crossbeam_channel::bounded(1);
    let (mut joined, _) = publisher();
    joined.set_snapshots(Handoff::new(copies_rx, jobs_tx, Arc::default()));
    copies_tx
        .send(MarketCopyAt { seq: 7, ts_ms: 77, market: Box::new(Marker(9)) })
        .expect("queued");
    joined.publish(applied(&mut market, &journal[..12]));
    let job = jobs_rx.try_recv().expect("one job");
    assert_eq!((job.seq, job.ts_ms), (7, 77));
    let mut state = Vec::new();
    job.market.write_state(&mut state);
    assert_eq!(state, [9]);
    let (mut seven, _) = publisher();
    let mut market = Market::new(&MarketConfig::default()).expect("the default market");
    seven.publish(applied(&mut market, &journal[..7]));
    assert!(job.publisher == snapshot(&seven), "the publisher's state after seq 7");
    assert!(jobs_rx.try_recv().is_err(), "one copy, one job");
}
