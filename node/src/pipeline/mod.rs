//! The node's pipeline, in the style of LMAX and exchange-core: gateway workers → sequencer
//! (numbers, stamps, journals with group commit) → matching thread (applies) → publisher
//! (answers, event log, order status, subscriptions). Stages talk only through bounded queues,
//! and the matching thread does nothing but apply journaled lines and answer queries.
//!
//! ```text
//!  gateway (tokio workers)      sequencer thread          matching thread        publisher thread
//!  parse, verify signature ──► seq, ts, journal+fsync ──► LineReplay::line   ──► reply to client,
//!       │  (bounded)                (bounded)               ▲   (bounded)         event log, orders,
//!       └── queries (bounded) ──────────────────────────────┘                     subscribers
//! ```

pub mod feeds;
pub mod market;
pub mod matching;
pub mod open_orders;
pub mod publisher;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::journal::sequencer::Journaled;

/// What a client sent, ready to be sequenced.
#[derive(Debug)]
pub struct Submission {
    /// The command object without `ts`, keys in canonical (sorted) order, `sig` included: the
    /// journal line is this with the node's `ts` put first.
    pub body: String,
    /// `(op, id)`, which an identical retry is recognised by.
    pub key: (String, String),
    /// A hash of `body`: a retry must be byte-identical (signature included).
    pub body_hash: u64,
    /// Where the outcome goes once it is durable and applied.
    pub reply: tokio::sync::oneshot::Sender<Arc<Outcome>>,
    /// Its place in the bound on commands inside the pipeline, given back when it is answered.
    pub admitted: Admission,
}

/// One command's place in the bound on commands between the gateway and the publisher. The
/// bound is what keeps the pipeline's bounded queues from ever being full when the gateway
/// hands a command on: it is checked once, at the door.
#[derive(Debug)]
pub struct Admission {
    counter: Arc<AtomicUsize>,
}

impl Admission {
    /// `count` places if the total stays within `max`.
    pub fn take(counter: &Arc<AtomicUsize>, count: usize, max: usize) -> Option<Vec<Admission>> {
        let before = counter.fetch_add(count, Ordering::AcqRel);
        if before + count > max {
            counter.fetch_sub(count, Ordering::AcqRel);
            return None;
        }
        Some((0..count).map(|_| Admission { counter: counter.clone() }).collect())
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the sequencer journals.
#[derive(Debug)]
pub enum Item {
    /// A client's command.
    Client(Submission),
    /// The node's own tick, when the market is quiet.
    Tick,
}

impl Journaled for Item {
    fn tick() -> Item {
        Item::Tick
    }

    fn render(&self, ts_ms: u64, out: &mut String) {
        match self {
            Item::Tick => {
                out.push_str("{\"ts\":");
                out.push_str(&ts_ms.to_string());
                out.push_str(",\"op\":\"tick\"}");
            }
            Item::Client(submission) => {
                let rest = submission.body.strip_prefix('{').expect("a body is a JSON object");
                debug_assert!(rest.len() > 1, "a body has at least `op`");
                out.push_str("{\"ts\":");
                out.push_str(&ts_ms.to_string());
                out.push(',');
                out.push_str(rest);
            }
        }
    }
}

/// The answer to one command, once journaled and applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Its sequence number in the journal.
    pub seq: u64,
    /// The node's time it was stamped with.
    pub ts_ms: u64,
    /// Its events, JSON lines exactly as `gridbook replay` writes them.
    pub events: Vec<u8>,
}

impl Outcome {
    /// `{"seq":…,"ts":…,"events":[…]}`.
    pub fn to_json(&self) -> String {
        let mut json = String::with_capacity(self.events.len() + 48);
        self.write_json(&mut json);
        json
    }

    /// Appends [`Outcome::to_json`] to `json` (a batch's answer is written into one buffer).
    pub fn write_json(&self, json: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(json, "{{\"seq\":{},\"ts\":{},\"events\":[", self.seq, self.ts_ms);
        let mut first = true;
        for line in self.events.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            if !first {
                json.push(',');
            }
            first = false;
            json.push_str(std::str::from_utf8(line).expect("events are UTF-8 JSON"));
        }
        json.push_str("]}");
    }

    /// The outcomes of a request, as one JSON text: an array for a batch, else the one outcome.
    pub fn batch_json(outcomes: &[std::sync::Arc<Outcome>], batch: bool) -> String {
        let mut json = String::with_capacity(Outcome::batch_len_hint(outcomes));
        Outcome::write_batch(&mut json, outcomes, batch);
        json
    }

    /// About how long [`Outcome::batch_json`] is, to size its buffer once.
    pub fn batch_len_hint(outcomes: &[std::sync::Arc<Outcome>]) -> usize {
        outcomes.iter().map(|o| o.events.len() + 48).sum::<usize>() + 2
    }

    /// Appends [`Outcome::batch_json`] to `json`.
    pub fn write_batch(json: &mut String, outcomes: &[std::sync::Arc<Outcome>], batch: bool) {
        if batch {
            json.push('[');
        }
        for (index, outcome) in outcomes.iter().enumerate() {
            if index > 0 {
                json.push(',');
            }
            outcome.write_json(json);
        }
        if batch {
            json.push(']');
        }
    }
}
