//! The matching thread: owns the [`Market`] and applies journaled lines in sequence order.
//!
//! It waits on exactly two bounded queues — groups of journaled commands from the sequencer and
//! read-only queries from the gateway — and writes to one, the publisher's. It never touches a
//! socket, a file or a lock: everything slow happens before (sequencer) or after (publisher).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{never, select, Receiver, Sender};

use super::market::Market;
use super::Item;
use crate::journal::sequencer::Stamped;

/// A question the matching thread answers between groups (book, price, quote, …); it sends
/// its own answer. It changes nothing: the market is `&mut` only so that a probe can decode
/// its order with the market's names, which [`Market::probe`] forgets again.
pub type Query = Box<dyn FnOnce(&mut Market) + Send>;

/// One applied command, on its way to the publisher.
#[derive(Debug)]
pub struct Applied {
    /// Its sequence number.
    pub seq: u64,
    /// Its `ts`.
    pub ts_ms: u64,
    /// Its journal line.
    pub line: String,
    /// The command (with its reply channel).
    pub item: Item,
    /// Its events, JSON lines.
    pub events: Vec<u8>,
}

/// What the matching thread has done, for `/metrics`.
#[derive(Debug, Default)]
pub struct MatchingStats {
    /// Time spent applying commands and answering queries, ns.
    pub busy_ns: AtomicU64,
    /// Commands applied.
    pub applied: AtomicU64,
    /// Queries answered.
    pub queries: AtomicU64,
}

/// Runs until the sequencer's queue closes; returns the market (for a final snapshot).
pub fn run(
    mut market: Market,
    groups: Receiver<Vec<Stamped<Item>>>,
    queries: Receiver<Query>,
    publisher: Sender<Vec<Applied>>,
    stats: Arc<MatchingStats>,
) -> Market {
    let mut queries = queries;
    loop {
        select! {
            recv(groups) -> group => {
                let Ok(group) = group else { return market };
                let started = Instant::now();
                let applied = apply_group(&mut market, group);
                stats.applied.fetch_add(applied.len() as u64, Ordering::Relaxed);
                stats.busy_ns.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
                if publisher.send(applied).is_err() {
                    return market;
                }
            }
            recv(queries) -> query => match query {
                Ok(query) => {
                    let started = Instant::now();
                    query(&mut market);
                    stats.queries.fetch_add(1, Ordering::Relaxed);
                    stats.busy_ns.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
                }
                // The gateway is gone; keep applying what the sequencer still has.
                Err(_) => queries = never(),
            },
        }
    }
}

fn apply_group(market: &mut Market, group: Vec<Stamped<Item>>) -> Vec<Applied> {
    group
        .into_iter()
        .map(|stamped| {
            let mut events = Vec::new();
            market.apply(stamped.seq, &stamped.line, &mut events);
            Applied {
                seq: stamped.seq,
                ts_ms: stamped.ts_ms,
                line: stamped.line,
                item: stamped.item,
                events,
            }
        })
        .collect()
}
