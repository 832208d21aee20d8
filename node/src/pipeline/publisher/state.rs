//! The publisher's state in a snapshot: what a restart would otherwise rebuild by replaying the
//! whole journal — the event log behind `GET /v1/events?after=`, order status, the outcomes
//! idempotent retries answer with, open orders per owner and the outcome counters.
//!
//! Written in a fixed order (the kept windows in arrival order, open orders by id), so the
//! bytes do not depend on hash-map order. Restoring checks what the publisher relies on: every
//! order state is one it knows, the windows hold no more than their bounds and name each key
//! once, and each open order counts for its owner.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use hashbrown::HashMap;
use serde::{Deserialize, Serialize};

use super::{OrderStatus, Outcomes, Published, PublishedEvent, Publisher};
use crate::pipeline::open_orders::OpenOrders;
use crate::pipeline::Outcome;

/// Publisher state that could not be restored.
#[derive(Debug, thiserror::Error)]
pub enum PublisherStateError {
    /// The bytes end early or do not decode.
    #[error("publisher state does not decode: {0}")]
    Decode(#[from] postcard::Error),
    /// The bytes decode to state the publisher could never reach.
    #[error("publisher state damaged: {0}")]
    Damaged(String),
}

/// An order's status as written (its state as text).
#[derive(Serialize, Deserialize)]
struct Order {
    id: String,
    side: String,
    owner: String,
    state: String,
    reason: Option<String>,
    qty: u64,
    remaining: u64,
    fills: Vec<(u64, u64, String, String, u64, u64)>,
    seq: u64,
}

type Key = (String, String);
/// An event as written: its seq, JSON and the accounts it concerns.
type Event = (u64, Arc<str>, [Option<Arc<str>>; 2]);

#[derive(Serialize, Deserialize)]
struct State {
    last_seq: u64,
    subscribers_dropped: u64,
    outcomes_by_op: Vec<(String, Vec<(String, u64)>)>,
    events: Vec<Event>,
    /// In arrival order.
    orders: Vec<Order>,
    /// `(key, body hash, seq, ts, events)`, in arrival order.
    outcomes: Vec<(Key, u64, u64, u64, Vec<u8>)>,
    /// `(id, owner, remaining)`, by id.
    open_orders: Vec<(Box<str>, Box<str>, u64)>,
    /// The market-data feeds' state ([`gridbook_feeds::Feeds::write_state`]); `None` if the
    /// node had none, or they had stopped.
    feeds: Option<Vec<u8>>,
}

const STATES: [&str; 5] = ["resting", "filled", "cancelled", "expired", "rejected"];

fn order_of(status: &OrderStatus) -> Order {
    let fills = status.fills.iter();
    let fills =
        fills.map(|f| (f.deal, f.qty, f.price.clone(), f.counterparty.clone(), f.start, f.end));
    Order {
        id: status.id.clone(),
        side: status.side.clone(),
        owner: status.owner.clone(),
        state: status.state.to_owned(),
        reason: status.reason.clone(),
        qty: status.qty,
        remaining: status.remaining,
        fills: fills.collect(),
        seq: status.seq,
    }
}

fn status_of(order: Order) -> Result<OrderStatus, PublisherStateError> {
    let Some(state) = STATES.into_iter().find(|s| *s == order.state) else {
        return Err(PublisherStateError::Damaged(format!("order state {:?}", order.state)));
    };
    let fills = order.fills.into_iter().map(|(deal, qty, price, counterparty, start, end)| {
        super::Fill { deal, qty, price, counterparty, start, end }
    });
    Ok(OrderStatus {
        id: order.id,
        side: order.side,
        owner: order.owner,
        state,
        reason: order.reason,
        qty: order.qty,
        remaining: order.remaining,
        fills: fills.collect(),
        seq: order.seq,
    })
}

impl Publisher {
    /// Appends the publisher's state (and that of the [`Published`] it writes into) to `out`.
    pub fn write_snapshot(&self, out: &mut Vec<u8>) {
        let shared = self.shared.read();
        let orders = shared.order_arrivals.iter().map(|id| {
            order_of(shared.orders.get(id).expect("every kept order's arrival names it"))
        });
        let outcomes = self.outcomes.arrivals.iter().map(|key| {
            let (hash, outcome) = self.outcomes.by_key.get(key).expect("arrivals name outcomes");
            (key.clone(), *hash, outcome.seq, outcome.ts_ms, outcome.events.clone())
        });
        let events = shared.events.iter().map(|e| (e.seq, e.json.clone(), e.owners.clone()));
        let state = State {
            last_seq: shared.last_seq,
            subscribers_dropped: shared.subscribers_dropped,
            outcomes_by_op: shared
                .outcomes_by_op
                .iter()
                .map(|(op, by)| (op.clone(), by.iter().map(|(o, n)| (o.clone(), *n)).collect()))
                .collect(),
            events: events.collect(),
            orders: orders.collect(),
            outcomes: outcomes.collect(),
            open_orders: shared.open_orders.entries(),
            feeds: self.feeds.as_ref().and_then(|feeds| {
                let feeds = feeds.state.read();
                feeds.failed.is_none().then(|| {
                    let mut bytes = Vec::new();
                    feeds.feeds.write_state(&mut bytes);
                    bytes
                })
            }),
        };
        let written = postcard::to_extend(&state, std::mem::take(out));
        *out = written.expect("postcard writes the publisher's strings and numbers into a Vec");
    }

    /// Replaces the publisher's state (and its [`Published`]) with the one `bytes` hold.
    pub fn restore_snapshot(&mut self, bytes: &[u8]) -> Result<(), PublisherStateError> {
        let (state, rest) = postcard::take_from_bytes::<State>(bytes)?;
        let damaged = |what: &str| PublisherStateError::Damaged(what.to_owned());
        if !rest.is_empty() {
            return Err(damaged("bytes follow the publisher state"));
        }
        let bounds = &self.bounds;
        if state.events.len() > bounds.events_kept
            || state.orders.len() > bounds.orders_kept
            || state.outcomes.len() > bounds.outcomes_kept
        {
            return Err(damaged("a window holds more than its configured bound"));
        }
        let mut orders = HashMap::with_capacity(state.orders.len());
        let mut order_arrivals = VecDeque::with_capacity(state.orders.len());
        for order in state.orders {
            let status = status_of(order)?;
            order_arrivals.push_back(status.id.clone());
            if orders.insert(status.id.clone(), status).is_some() {
                return Err(damaged("an order is kept twice"));
            }
        }
        let mut outcomes = Outcomes::default();
        for (key, hash, seq, ts_ms, events) in state.outcomes {
            outcomes.arrivals.push_back(key.clone());
            let outcome = Arc::new(Outcome { seq, ts_ms, events });
            if outcomes.by_key.insert(key, (hash, outcome)).is_some() {
                return Err(damaged("an outcome is kept twice"));
            }
        }
        let open_orders = OpenOrders::from_entries(state.open_orders)
            .ok_or_else(|| damaged("an open order is listed twice"))?;
        let events = state.events.into_iter();
        let events = events.map(|(seq, json, owners)| PublishedEvent { seq, json, owners });
        let events: VecDeque<PublishedEvent> = events.collect();
        if events.iter().zip(events.iter().skip(1)).any(|(a, b)| a.seq >= b.seq) {
            return Err(damaged("the event log is out of order"));
        }
        let mut shared = self.shared.write();
        *shared = Published {
            events,
            orders,
            order_arrivals,
            last_seq: state.last_seq,
            outcomes_by_op: state
                .outcomes_by_op
                .into_iter()
                .map(|(op, by)| (op, by.into_iter().collect::<BTreeMap<_, _>>()))
                .collect(),
            subscribers_dropped: state.subscribers_dropped,
            open_orders,
        };
        self.outcomes = outcomes;
        self.restored_feeds = Some(state.feeds);
        Ok(())
    }
}
