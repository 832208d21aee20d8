//! The demo's crowd: simulated providers and requesters (the `gridbook gen` market's hardware
//! mix and accounts, each with its own key) trading through a node's public HTTP API with real
//! EIP-712 signatures, like any client would.
//!
//! First the providers and requesters put up a book (the generator's warm-up, in batches), then
//! the steady mix follows at [`RATE_PER_S`] commands a second, each command in its own request.
//! The generator keeps its own time; each command's times are moved onto the node's clock when
//! it is sent, so a good-till-date means the same on the node as in the generator.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_node::auth::Domain;
use gridbook_node::client::commands::{adopt, request_body, serialised, shift_times, wall_ms};
use gridbook_node::client::http::{Answer, NodeClient};
use gridbook_node::client::keys::Accounts;

/// Commands per second of the steady mix: a lively market that costs the machine little.
pub(crate) const RATE_PER_S: u64 = 100;
/// Seed of the demo market and of its accounts' keys.
const SEED: u64 = 1;
/// Orders of the warm-up (the book the crowd keeps, about).
const RESTING: usize = 400;
/// Warm-up orders per request.
const WARMUP_BATCH: usize = 50;
/// The steady mix is sent in rounds this far apart.
const ROUND: Duration = Duration::from_millis(100);
/// How often the crowd says what it has done.
const STATUS_EVERY: Duration = Duration::from_secs(15);

/// What the crowd needs to trade.
#[derive(Debug, Clone)]
pub(crate) struct Crowd {
    /// The node's base URL.
    pub(crate) url: String,
    /// The node's EIP-712 domain.
    pub(crate) domain: Domain,
    /// Put before every order id (empty on a fresh data directory).
    pub(crate) id_prefix: String,
    /// Set when the node has stopped.
    pub(crate) stop: Arc<AtomicBool>,
}

/// What the crowd's commands got.
#[derive(Debug, Default)]
struct Counts {
    acknowledged: u64,
    deals: u64,
    failed: u64,
}

/// Trades until `crowd.stop` is set.
pub(crate) fn run(crowd: Crowd) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(trade(crowd))
}

async fn trade(crowd: Crowd) -> Result<()> {
    let client = NodeClient::new(&crowd.url, 8, Duration::from_secs(10))?;
    let mut market = Market::new(&crowd.id_prefix);
    let mut counts = Counts::default();
    let mut status_at = Instant::now() + STATUS_EVERY;
    while !crowd.stop.load(Ordering::Relaxed) {
        let warming = market.warming();
        let per_round = RATE_PER_S * ROUND.as_millis() as u64 / 1000;
        let count = if warming { WARMUP_BATCH } else { per_round as usize };
        let bodies = market.next_bodies(count, &crowd.domain);
        if warming {
            let answer = client.post_commands(request_body(&bodies).into(), bodies.len()).await;
            counts.add(answer.ok());
        } else {
            let round = tokio::time::sleep(ROUND);
            let mut sends = tokio::task::JoinSet::new();
            for body in bodies {
                let client = client.clone();
                sends.spawn(async move { client.post_commands(body.into(), 1).await.ok() });
            }
            while let Some(answer) = sends.join_next().await {
                counts.add(answer.ok().flatten());
            }
            round.await;
        }
        if Instant::now() >= status_at {
            status_at += STATUS_EVERY;
            eprintln!(
                "demo crowd: {} commands acknowledged, {} deals, {} failed or refused",
                counts.acknowledged, counts.deals, counts.failed
            );
        }
    }
    Ok(())
}

impl Counts {
    fn add(&mut self, answer: Option<Answer>) {
        match answer {
            Some(Answer::Acknowledged(outcomes)) => {
                self.acknowledged += outcomes.len() as u64;
                let events = outcomes.iter().flat_map(|outcome| &outcome.events);
                self.deals += events.filter(|event| event.kind == "deal").count() as u64;
            }
            Some(Answer::Refused(_)) | None => self.failed += 1,
        }
    }
}

/// The generator and the accounts behind it; a new round of the market (next seed, ids
/// prefixed with the round) starts when one is used up.
struct Market {
    workload: Workload,
    accounts: Accounts,
    id_prefix: String,
    round: u64,
}

impl Market {
    fn new(id_prefix: &str) -> Market {
        Market {
            workload: workload(SEED),
            accounts: Accounts::new(SEED),
            id_prefix: id_prefix.to_owned(),
            round: 0,
        }
    }

    /// Whether the round is still putting up its book.
    fn warming(&self) -> bool {
        self.workload.len() > ORDERS_PER_ROUND
    }

    /// The next `count` commands, on the node's clock, signed by their owners.
    fn next_bodies(&mut self, count: usize, domain: &Domain) -> Vec<String> {
        let mut bodies = Vec::with_capacity(count);
        while bodies.len() < count {
            let Some((ts_ms, mut command)) = self.workload.next() else {
                self.round += 1;
                self.workload = workload(SEED + self.round);
                continue;
            };
            let prefix = match self.round {
                0 => self.id_prefix.clone(),
                round => format!("{}g{round}-", self.id_prefix),
            };
            let account = adopt(&mut command, &mut self.accounts, &prefix)
                .expect("the generator emits only asks, bids and cancels");
            shift_times(&mut command, wall_ms().saturating_sub(ts_ms));
            let signing = Some((self.accounts.signer(account), domain));
            bodies.push(serialised(self.workload.symbols(), &command, signing));
        }
        bodies
    }
}

/// Commands of one round of the market after its warm-up.
const ORDERS_PER_ROUND: usize = 1_000_000;

fn workload(seed: u64) -> Workload {
    Workload::new(WorkloadConfig {
        seed,
        resting: RESTING,
        orders: ORDERS_PER_ROUND,
        start_ms: wall_ms(),
        ..WorkloadConfig::default()
    })
}
