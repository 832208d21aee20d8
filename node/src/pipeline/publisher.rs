//! The publisher: everything that happens to a command after it is applied — the answer to its
//! client, the in-memory event log behind `GET /v1/events`, order status behind
//! `GET /v1/orders/{id}`, idempotent retries, and the live event stream for subscribers.
//!
//! Its state goes into the node's snapshots (`publisher/state.rs`), so a node started from a
//! snapshot answers as one that replayed the whole journal.
//!
//! Every structure here is bounded by a configured count and forgets the oldest entries first.
//! Order status is derived from the public events alone, so what `/v1/orders` says is what any
//! subscriber could have computed.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

// Ids are chosen by clients: the tables keyed by them need a keyed hash (hashbrown's default is
// randomly seeded), but not SipHash, which cost 3.5 % of the node's CPU.
use hashbrown::HashMap;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use gridbook_feeds::{Feeds, FeedsConfig};
use gridbook_pricing::Taxonomy;

use super::feeds::NodeFeeds;
use super::matching::Applied;
use super::open_orders::OpenOrders;
use super::{Item, Outcome};
use crate::snapshot::writer::submit;
use crate::snapshot::{Job, MarketCopy, SnapshotStats};

mod state;
pub use state::PublisherStateError;

/// One published event.
#[derive(Debug, Clone)]
pub struct PublishedEvent {
    /// The event's own `seq`.
    pub seq: u64,
    /// The event, one JSON object (shared by the catch-up log and every live subscriber).
    pub json: Arc<str>,
    /// The accounts it concerns (an order's owner; a deal's requester and provider), for
    /// per-owner subscriptions.
    pub owners: [Option<Arc<str>>; 2],
}

/// A fill of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fill {
    /// The deal number.
    pub deal: u64,
    /// Slots.
    pub qty: u64,
    /// Price per slot-hour (decimal text, as in the deal event).
    pub price: String,
    /// The other order.
    pub counterparty: String,
    /// When the slots run, ms.
    pub start: u64,
    /// End of the slots, ms (exclusive).
    pub end: u64,
}

/// What `GET /v1/orders/{id}` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderStatus {
    /// The order's id.
    pub id: String,
    /// `ask` or `bid`.
    pub side: String,
    /// Its owner.
    pub owner: String,
    /// `resting`, `filled`, `cancelled`, `expired` or `rejected`.
    pub state: &'static str,
    /// Why it was cancelled or rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Slots asked for.
    pub qty: u64,
    /// Slots not yet traded.
    pub remaining: u64,
    /// Its deals, in order.
    pub fills: Vec<Fill>,
    /// The sequence number of the command that placed it.
    pub seq: u64,
}

/// The publisher's state that the gateway reads.
#[derive(Debug, Default)]
pub struct Published {
    events: VecDeque<PublishedEvent>,
    orders: HashMap<String, OrderStatus>,
    order_arrivals: VecDeque<String>,
    /// The last command applied.
    pub last_seq: u64,
    /// Commands by op and outcome (first event type, or the rejection reason).
    pub outcomes_by_op: BTreeMap<String, BTreeMap<String, u64>>,
    /// Subscriber disconnections for falling behind.
    pub subscribers_dropped: u64,
    /// Resting orders by owner, for `limits.open_orders_per_owner`.
    pub open_orders: OpenOrders,
}

/// A copy of the market taken right after command `seq`, on its way to the publisher.
pub struct MarketCopyAt {
    /// The last command applied to the copy.
    pub seq: u64,
    /// Its `ts`, ms.
    pub ts_ms: u64,
    /// The copy.
    pub market: Box<dyn MarketCopy>,
}

impl std::fmt::Debug for MarketCopyAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketCopyAt").field("seq", &self.seq).finish()
    }
}

/// The publisher's side of snapshots: copies in from the matching thread (at most one in
/// flight), jobs out to the snapshot thread.
#[derive(Debug)]
pub struct Handoff {
    /// Market copies, each taken right after a command.
    pub copies: crossbeam_channel::Receiver<MarketCopyAt>,
    /// Where snapshot jobs go.
    pub jobs: crossbeam_channel::Sender<Job>,
    /// Counts the snapshots skipped because the writer was busy.
    pub stats: Arc<SnapshotStats>,
    /// A copy received, waiting for its command to be published.
    pending: Option<MarketCopyAt>,
}

impl Handoff {
    /// A handoff between these queues.
    pub fn new(
        copies: crossbeam_channel::Receiver<MarketCopyAt>,
        jobs: crossbeam_channel::Sender<Job>,
        stats: Arc<SnapshotStats>,
    ) -> Handoff {
        Handoff { copies, jobs, stats, pending: None }
    }
}

/// Bounds of the publisher's memory.
#[derive(Debug, Clone, Copy)]
pub struct PublisherBounds {
    /// Events kept for catch-up.
    pub events_kept: usize,
    /// Orders whose status is kept.
    pub orders_kept: usize,
    /// Outcomes kept for idempotent retries.
    pub outcomes_kept: usize,
}

impl Published {
    /// Events with `seq > after`, at most `limit`; `Err(oldest)` when events after `after` have
    /// already been forgotten (the client must resynchronise from the journal).
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<PublishedEvent>, u64> {
        let oldest = self.events.front().map_or(after + 1, |e| e.seq);
        if after + 1 < oldest {
            return Err(oldest);
        }
        let skip = (after + 1).saturating_sub(oldest) as usize;
        Ok(self.events.iter().skip(skip).take(limit).cloned().collect())
    }

    /// The status of order `id`, if it is among the kept ones.
    pub fn order(&self, id: &str) -> Option<&OrderStatus> {
        self.orders.get(id)
    }

    /// The newest event's `seq` (0 before any).
    pub fn last_event_seq(&self) -> u64 {
        self.events.back().map_or(0, |e| e.seq)
    }
}

/// The event fields the publisher reads, borrowed from the event's JSON where it has no escapes
/// (every event the publisher sees: it reads one per event, at the node's full rate).
#[derive(Debug, Deserialize)]
struct EventView<'a> {
    seq: u64,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    bid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ask: Option<Cow<'a, str>>,
    deal: Option<u64>,
    qty: Option<u64>,
    #[serde(borrow)]
    price: Option<Cow<'a, str>>,
    start: Option<u64>,
    end: Option<u64>,
    #[serde(borrow)]
    requester: Option<Cow<'a, str>>,
    #[serde(borrow)]
    provider: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reason: Option<Cow<'a, str>>,
}

/// The command fields the publisher reads.
#[derive(Debug, Deserialize)]
struct CommandView<'a> {
    #[serde(borrow)]
    op: Cow<'a, str>,
    #[serde(borrow)]
    owner: Option<Cow<'a, str>>,
    qty: Option<u64>,
}

/// Outcomes of accepted commands by `(op, id)`, for idempotent retries.
#[derive(Debug, Default)]
struct Outcomes {
    by_key: HashMap<(String, String), (u64, Arc<Outcome>)>,
    arrivals: VecDeque<(String, String)>,
}

/// A command applied and not yet followed by the feeds: seq, journal line, outcome.
type Followed = (u64, String, Arc<Outcome>);

/// The publisher thread's own state.
#[derive(Debug)]
pub struct Publisher {
    shared: Arc<RwLock<Published>>,
    outcomes: Outcomes,
    bounds: PublisherBounds,
    live: tokio::sync::broadcast::Sender<Arc<Vec<PublishedEvent>>>,
    /// Where market copies arrive and snapshot jobs leave, if the node takes snapshots.
    snapshots: Option<Handoff>,
    /// The market-data feeds, followed after each group's clients are answered.
    feeds: Option<NodeFeeds>,
    /// The feeds' state from the snapshot the publisher was restored from (`Some(None)`: the
    /// snapshot had none), until [`Publisher::start_feeds`].
    restored_feeds: Option<Option<Vec<u8>>>,
}

impl Publisher {
    /// A publisher writing into `shared` and broadcasting on `live`.
    pub fn new(
        shared: Arc<RwLock<Published>>,
        bounds: PublisherBounds,
        live: tokio::sync::broadcast::Sender<Arc<Vec<PublishedEvent>>>,
    ) -> Publisher {
        Publisher {
            shared,
            outcomes: Outcomes::default(),
            bounds,
            live,
            snapshots: None,
            feeds: None,
            restored_feeds: None,
        }
    }

    /// Starts the market-data feeds, which follow every command from now on (those replayed
    /// from the journal included): from the state of the snapshot the publisher was restored
    /// from, if it was, else empty. The market is at command `seq`.
    pub fn start_feeds(&mut self, taxonomy: Taxonomy, config: FeedsConfig, seq: u64) -> NodeFeeds {
        let mut failed = None;
        let feeds = match self.restored_feeds.take() {
            None => Feeds::new(taxonomy, config),
            Some(Some(bytes)) => match Feeds::restore(taxonomy.clone(), config.clone(), &bytes) {
                Ok(feeds) => feeds,
                Err(error) => {
                    failed = Some(format!("could not be restored from the snapshot: {error}"));
                    Feeds::new(taxonomy, config)
                }
            },
            Some(None) => {
                failed = Some("had stopped before the snapshot the node started from".into());
                Feeds::new(taxonomy, config)
            }
        };
        if let Some(why) = &failed {
            eprintln!("gridbook node: the market-data feeds {why}; they stay stopped");
        }
        let feeds = NodeFeeds::new(feeds, seq, failed);
        self.feeds = Some(feeds.clone());
        feeds
    }

    /// The feeds, if set.
    pub fn feeds(&self) -> Option<&NodeFeeds> {
        self.feeds.as_ref()
    }

    /// Joins the publisher's state to each market copy that `handoff` brings, at the copy's
    /// sequence number, and hands the pair on as one snapshot job.
    pub fn set_snapshots(&mut self, handoff: Handoff) {
        self.snapshots = Some(handoff);
    }

    /// After command `seq` (at `ts_ms`) is recorded: if a market copy was taken right after
    /// that command, the publisher's state is now at the same point, so the snapshot job
    /// leaves. A copy of an earlier command (taken while the journal was replayed, before
    /// this publisher saw commands) is dropped.
    ///
    /// The feeds' state goes into the job too, so they first follow the commands of the group
    /// so far (`followed`), up to this one.
    fn snapshot_after(&mut self, seq: u64, followed: &mut Vec<Followed>) {
        let Some(handoff) = &mut self.snapshots else { return };
        if handoff.pending.is_none() {
            handoff.pending = handoff.copies.try_recv().ok();
        }
        let Some(copy) = handoff.pending.take_if(|copy| copy.seq <= seq) else { return };
        if copy.seq < seq {
            return;
        }
        self.follow_feeds(followed);
        let mut publisher = Vec::new();
        self.write_snapshot(&mut publisher);
        let Some(handoff) = &self.snapshots else { return };
        let job = Job { seq, ts_ms: copy.ts_ms, market: copy.market, publisher };
        submit(&handoff.jobs, job, &handoff.stats);
    }

    /// Records a group of applied commands, answers their clients and broadcasts their events.
    pub fn publish(&mut self, group: Vec<Applied>) {
        let mut batch = Vec::new();
        let mut followed = Vec::with_capacity(if self.feeds.is_some() { group.len() } else { 0 });
        {
            let mut shared = self.shared.write();
            for applied in group {
                let outcome = Arc::new(Outcome {
                    seq: applied.seq,
                    ts_ms: applied.ts_ms,
                    events: applied.events,
                });
                let first = record(
                    &mut shared,
                    &self.bounds,
                    applied.seq,
                    &applied.line,
                    &outcome,
                    &mut batch,
                );
                if self.feeds.is_some() {
                    followed.push((applied.seq, applied.line, outcome.clone()));
                }
                if self.snapshots.is_some() {
                    drop(shared);
                    self.snapshot_after(applied.seq, &mut followed);
                    shared = self.shared.write();
                }
                if let Item::Client(submission) = applied.item {
                    let answer = self.outcomes.answer(
                        &submission.key,
                        submission.body_hash,
                        &outcome,
                        &first,
                        self.bounds.outcomes_kept,
                    );
                    // A client that went away no longer wants its answer; the command stands.
                    let _ = submission.reply.send(answer);
                }
            }
        }
        if !batch.is_empty() {
            // No subscriber is not an error: the events are in the log.
            let _ = self.live.send(Arc::new(batch));
        }
        self.follow_feeds(&mut followed);
    }

    /// The feeds follow the commands in `followed` (emptied).
    fn follow_feeds(&self, followed: &mut Vec<Followed>) {
        if let Some(feeds) = &self.feeds {
            let group = followed.iter();
            feeds.follow_group(group.map(|(seq, line, o)| (*seq, line.as_str(), &o.events[..])));
        }
        followed.clear();
    }

    /// Records commands replayed from the journal at start-up (nobody to answer).
    pub fn recover(&mut self, seq: u64, ts_ms: u64, line: &str, events: Vec<u8>) {
        let outcome = Arc::new(Outcome { seq, ts_ms, events });
        let mut shared = self.shared.write();
        let mut batch = Vec::new();
        let first = record(&mut shared, &self.bounds, seq, line, &outcome, &mut batch);
        if let Some(feeds) = &self.feeds {
            feeds.follow_group(std::iter::once((seq, line, &outcome.events[..])));
        }
        if let Some(key) = command_key(line) {
            self.outcomes.remember(
                key,
                body_hash_of_line(line),
                &outcome,
                &first,
                self.bounds.outcomes_kept,
            );
        }
    }
}

/// The `(op, id)` of a journal line, and the hash its body had at the gateway.
fn command_key(line: &str) -> Option<(String, String)> {
    #[derive(Deserialize)]
    struct Key {
        op: String,
        id: Option<String>,
    }
    let key: Key = serde_json::from_str(line).ok()?;
    Some((key.op, key.id?))
}

/// The body hash of a journal line: the line without its leading `"ts":…,`, which is exactly
/// the body the gateway hashed.
pub fn body_hash_of_line(line: &str) -> u64 {
    let body = match line.strip_prefix("{\"ts\":").and_then(|rest| rest.split_once(',')) {
        Some((_, rest)) => format!("{{{rest}"),
        None => line.to_owned(),
    };
    body_hash(&body)
}

/// The hash idempotent retries are compared by (FNV-1a, 64 bits: stable across runs and
/// builds, unlike the standard library's seeded hasher).
pub fn body_hash(body: &str) -> u64 {
    body.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Outcomes {
    /// The answer to a client: the original outcome when this is an identical retry of an
    /// accepted command, else this command's own.
    fn answer(
        &mut self,
        key: &(String, String),
        body_hash: u64,
        outcome: &Arc<Outcome>,
        first_event: &str,
        kept: usize,
    ) -> Arc<Outcome> {
        if let Some((hash, original)) = self.by_key.get(key) {
            if *hash == body_hash && original.seq != outcome.seq {
                return original.clone();
            }
        }
        self.remember(key.clone(), body_hash, outcome, first_event, kept);
        outcome.clone()
    }

    fn remember(
        &mut self,
        key: (String, String),
        body_hash: u64,
        outcome: &Arc<Outcome>,
        first_event: &str,
        kept: usize,
    ) {
        if first_event == "rejected" || first_event.is_empty() || self.by_key.contains_key(&key) {
            return;
        }
        if self.arrivals.len() >= kept {
            if let Some(oldest) = self.arrivals.pop_front() {
                self.by_key.remove(&oldest);
            }
        }
        self.arrivals.push_back(key.clone());
        self.by_key.insert(key, (body_hash, outcome.clone()));
    }
}

/// Folds one command's events into the shared state; returns the type of its first event.
fn record(
    shared: &mut Published,
    bounds: &PublisherBounds,
    seq: u64,
    line: &str,
    outcome: &Outcome,
    batch: &mut Vec<PublishedEvent>,
) -> String {
    shared.last_seq = seq;
    let command: Option<CommandView<'_>> = serde_json::from_str(line).ok();
    let mut first = String::new();
    for json in outcome.events.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let json = std::str::from_utf8(json).expect("events are UTF-8 JSON");
        let event: EventView<'_> =
            serde_json::from_str(json).expect("the engine's events read back");
        if first.is_empty() {
            first = event.kind.to_string();
            let op = command.as_ref().map_or("?", |c| &c.op);
            count_outcome(&mut shared.outcomes_by_op, op, &event);
        }
        let owners = fold_event(shared, bounds, seq, command.as_ref(), &event);
        let published = PublishedEvent { seq: event.seq, json: json.into(), owners };
        if shared.events.len() >= bounds.events_kept {
            shared.events.pop_front();
        }
        shared.events.push_back(published.clone());
        batch.push(published);
    }
    first
}

/// Counts a command's outcome under its op, allocating only for an outcome not seen before
/// (this runs once per command).
fn count_outcome(
    counts: &mut BTreeMap<String, BTreeMap<String, u64>>,
    op: &str,
    first: &EventView<'_>,
) {
    let rejected;
    let result = match (&*first.kind, &first.reason) {
        ("rejected", Some(reason)) => {
            rejected = format!("rejected:{reason}");
            rejected.as_str()
        }
        (kind, _) => kind,
    };
    if !counts.contains_key(op) {
        counts.insert(op.to_owned(), BTreeMap::new());
    }
    let by_result = counts.get_mut(op).expect("inserted above");
    match by_result.get_mut(result) {
        Some(count) => *count += 1,
        None => {
            by_result.insert(result.to_owned(), 1);
        }
    }
}

/// Updates order status from one event; returns the accounts the event concerns.
fn fold_event(
    shared: &mut Published,
    bounds: &PublisherBounds,
    seq: u64,
    command: Option<&CommandView<'_>>,
    event: &EventView<'_>,
) -> [Option<Arc<str>>; 2] {
    let id = event.id.as_deref();
    match &*event.kind {
        "accepted" => {
            let (Some(id), Some(command)) = (id, command) else { return [None, None] };
            let qty = command.qty.unwrap_or(0);
            let owner = command.owner.as_deref().unwrap_or_default();
            shared.open_orders.accepted(id, owner, qty);
            let status = OrderStatus {
                id: id.to_owned(),
                side: command.op.to_string(),
                owner: owner.to_owned(),
                state: "resting",
                reason: None,
                qty,
                remaining: qty,
                fills: Vec::new(),
                seq,
            };
            insert_order(shared, bounds, status);
            [Some(owner.into()), None]
        }
        "deal" => {
            let qty = event.qty.unwrap_or(0);
            for (own, other) in [(&event.bid, &event.ask), (&event.ask, &event.bid)] {
                if let Some(id) = own {
                    shared.open_orders.traded(id, qty);
                }
                let Some(order) = own.as_deref().and_then(|id| shared.orders.get_mut(id)) else {
                    continue;
                };
                order.remaining = order.remaining.saturating_sub(qty);
                if order.remaining == 0 {
                    order.state = "filled";
                }
                order.fills.push(Fill {
                    deal: event.deal.unwrap_or(0),
                    qty,
                    price: event.price.as_deref().unwrap_or_default().to_owned(),
                    counterparty: other.as_deref().unwrap_or_default().to_owned(),
                    start: event.start.unwrap_or(0),
                    end: event.end.unwrap_or(0),
                });
            }
            [event.requester.as_deref().map(Into::into), event.provider.as_deref().map(Into::into)]
        }
        "cancelled" | "expired" => {
            let Some(id) = id else { return [None, None] };
            shared.open_orders.closed(id);
            let Some(order) = shared.orders.get_mut(id) else { return [None, None] };
            order.state = if &*event.kind == "expired" { "expired" } else { "cancelled" };
            order.reason = event.reason.as_deref().map(str::to_owned);
            [Some(order.owner.as_str().into()), None]
        }
        "rejected" => {
            // A rejection never overwrites the status of an order that was accepted under the
            // same id (a duplicate_id, or a cancel refused).
            let owner = command.and_then(|c| c.owner.as_deref()).map(Into::into);
            if let (Some(id), Some(command)) = (id, command) {
                if !shared.orders.contains_key(id) && command.op != "cancel" {
                    let status = OrderStatus {
                        id: id.to_owned(),
                        side: command.op.to_string(),
                        owner: command.owner.as_deref().unwrap_or_default().to_owned(),
                        state: "rejected",
                        reason: event.reason.as_deref().map(str::to_owned),
                        qty: command.qty.unwrap_or(0),
                        remaining: 0,
                        fills: Vec::new(),
                        seq,
                    };
                    insert_order(shared, bounds, status);
                }
            }
            [owner, None]
        }
        _ => [None, None],
    }
}

/// Keeps `status`, forgetting the oldest kept order if the bound is reached. An id seen before
/// (rejected, then accepted with a corrected body) keeps its place.
fn insert_order(shared: &mut Published, bounds: &PublisherBounds, status: OrderStatus) {
    if !shared.orders.contains_key(&status.id) {
        if shared.order_arrivals.len() >= bounds.orders_kept {
            if let Some(oldest) = shared.order_arrivals.pop_front() {
                shared.orders.remove(&oldest);
            }
        }
        shared.order_arrivals.push_back(status.id.clone());
    }
    shared.orders.insert(status.id.clone(), status);
}
