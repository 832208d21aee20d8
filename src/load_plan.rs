//! The commands of a load run, made before the clock starts: a `gridbook gen` market on the
//! node's time, owned by deterministic accounts, signed, serialised and cut into request bodies,
//! so that nothing but sending and reading answers happens while the run is timed.
//!
//! Over HTTP the requests mix every account's commands; over sessions (`--auth session`) the
//! market's owners are folded onto one account per connection, and each connection's frames
//! carry its own account's commands only, unsigned (the session proves them).

use std::sync::Arc;

use anyhow::{ensure, Result};
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{Command, Symbols};
use gridbook_node::auth::Domain;
use gridbook_node::client::commands::{adopt, request_body, serialised};
use gridbook_node::client::keys::Accounts;
use gridbook_node::client::open_loop::Request;
use gridbook_node::client::open_loop_ws::{batch_frame, Utf8Bytes};

/// Most commands one run prepares (they are all held in memory, about 1 KiB each signed).
pub(crate) const COMMANDS_MAX: u64 = 20_000_000;

/// What to generate.
#[derive(Debug, Clone)]
pub(crate) struct PlanConfig {
    /// Commands in all.
    pub(crate) commands: u64,
    /// Commands per request.
    pub(crate) batch: usize,
    /// Seed of the market and of the accounts.
    pub(crate) seed: u64,
    /// Warm-up orders that build the book first (at most half the commands).
    pub(crate) resting: usize,
    /// Distinct machine configurations.
    pub(crate) configs: usize,
    /// The market's first time, ms: the node's clock now.
    pub(crate) start_ms: u64,
    /// Put before every id, so that runs against one node never reuse an id.
    pub(crate) id_prefix: String,
    /// With `Some(n)`: `n` session lanes, one account each, instead of HTTP requests.
    pub(crate) lanes: Option<usize>,
}

/// How the prepared commands go out.
#[derive(Debug)]
pub(crate) enum Sending {
    /// Request bodies in sending order, over HTTP.
    Http(Arc<Vec<Request>>),
    /// Per lane (account `k` is lane `k`), its frames in sending order, with their commands.
    Lanes(Vec<Arc<Vec<(Utf8Bytes, usize)>>>),
}

impl Sending {
    /// Requests or frames in all.
    pub(crate) fn requests(&self) -> usize {
        match self {
            Sending::Http(requests) => requests.len(),
            Sending::Lanes(lanes) => lanes.iter().map(|lane| lane.len()).sum(),
        }
    }
}

/// The prepared run.
#[derive(Debug)]
pub(crate) struct Plan {
    /// What to send.
    pub(crate) sending: Sending,
    /// The accounts that own the commands (sessions are opened with their keys).
    pub(crate) accounts: Accounts,
}

/// Generates, adopts, signs (when `domain` is given) and batches the commands.
pub(crate) fn prepare(config: &PlanConfig, domain: Option<&Domain>) -> Result<Plan> {
    ensure!(config.commands <= COMMANDS_MAX, "at most {COMMANDS_MAX} commands per run");
    let total = config.commands as usize;
    let resting = config.resting.min(total / 2);
    let mut workload = Workload::new(WorkloadConfig {
        seed: config.seed,
        configs: config.configs,
        resting,
        orders: total - resting,
        start_ms: config.start_ms,
        pegged_percent: 0,
    });
    let mut accounts = match config.lanes {
        Some(lanes) => Accounts::folded(config.seed, lanes),
        None => Accounts::new(config.seed),
    };
    let mut owned: Vec<(Command, usize)> = Vec::with_capacity(total);
    for (_, mut command) in workload.by_ref() {
        let account = adopt(&mut command, &mut accounts, &config.id_prefix)
            .expect("the generator emits only asks, bids and cancels");
        owned.push((command, account));
    }
    let bodies = serialise_in_parallel(workload.symbols(), &owned, &accounts, domain);
    let batch = config.batch.max(1);
    let sending = match config.lanes {
        None => {
            let requests = bodies
                .chunks(batch)
                .map(|chunk| Request { body: request_body(chunk).into(), commands: chunk.len() });
            Sending::Http(Arc::new(requests.collect()))
        }
        Some(_) => {
            let mut by_lane: Vec<Vec<String>> = vec![Vec::new(); accounts.len()];
            for (body, (_, account)) in bodies.into_iter().zip(&owned) {
                by_lane[*account].push(body);
            }
            let frames = |lane: Vec<String>| {
                let frames = lane.chunks(batch).enumerate();
                Arc::new(
                    frames.map(|(tag, chunk)| (batch_frame(tag, chunk), chunk.len())).collect(),
                )
            };
            Sending::Lanes(by_lane.into_iter().map(frames).collect())
        }
    };
    Ok(Plan { sending, accounts })
}

/// Signing is the costly part (tens of µs a command): it runs on every core.
fn serialise_in_parallel(
    symbols: &Symbols,
    owned: &[(Command, usize)],
    accounts: &Accounts,
    domain: Option<&Domain>,
) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = owned.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = owned
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(command, account)| {
                            let signing = domain.map(|d| (accounts.signer(*account), d));
                            serialised(symbols, command, signing)
                        })
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().expect("serialising does not panic"))
            .collect()
    })
}
