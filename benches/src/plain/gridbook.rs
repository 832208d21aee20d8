//! The plain stream as gridbook commands: one machine configuration, one requirement signature
//! it satisfies, windows and deadlines that never bind, asks and bids from disjoint owners —
//! so rules 1, 2, 3's self-trade clause and 6 never decide anything and the engine is a plain
//! price-time limit order book.

use gridbook_matcher::limits::TIME_MS_MAX;
use gridbook_matcher::{
    Ask, Bid, Cancel, Command, EngineConfig, Event, Hardware, Owner, Price, Requirements, Sym, Tif,
};

use super::{PlainCommand, Side, Tally};

/// Nano-units per tick: a tick is 0.001 of a token.
pub(crate) const NANO_PER_TICK: u64 = 1_000_000;
/// Every ask's machine and what every bid needs (it fits).
const CPU: u32 = 8;
const MEM_GIB: u32 = 32;
/// A bid's slot length.
const DURATION_MS: u64 = 3_600_000;

/// Engine limits with room reserved for a stream of `orders` orders and about `resting` resting,
/// as the other benchmarks reserve it (`crate::Setup::engine_config`).
pub fn gridbook_config(resting: usize, orders: usize) -> EngineConfig {
    EngineConfig {
        reserve_resting: 2 * resting + 1024,
        reserve_orders: orders,
        reserve_levels: 4096,
        ..EngineConfig::default()
    }
}

/// The gridbook command of `command`.
pub fn gridbook_command(command: &PlainCommand) -> Command {
    match *command {
        PlainCommand::Limit { order, side: Side::Sell, price_ticks, qty, owner } => {
            Command::Ask(Ask {
                id: id(order),
                owner: owner_of(Side::Sell, owner),
                price: Price::Fixed(price_ticks * NANO_PER_TICK),
                qty,
                tif: Tif::Gtc,
                hw: Hardware {
                    cpu: CPU,
                    mem_gib: MEM_GIB,
                    gpu: None,
                    gpus: 0,
                    gpu_mem_gib: 0,
                    tee: None,
                    region: Sym(0),
                },
                from_ms: 0,
                until_ms: TIME_MS_MAX,
                expires_ms: None,
            })
        }
        PlainCommand::Limit { order, side: Side::Buy, price_ticks, qty, owner } => {
            Command::Bid(Bid {
                id: id(order),
                owner: owner_of(Side::Buy, owner),
                limit: Price::Fixed(price_ticks * NANO_PER_TICK),
                qty,
                tif: Tif::Gtc,
                req: Requirements::new(CPU, MEM_GIB, Vec::new(), 0, 0, None, Vec::new()),
                duration_ms: DURATION_MS,
                not_before_ms: 0,
                deadline_ms: TIME_MS_MAX,
                expires_ms: None,
            })
        }
        PlainCommand::Cancel { order, side, owner } => {
            Command::Cancel(Cancel { id: id(order), owner: owner_of(side, owner) })
        }
    }
}

/// Counts the deals among `events` (each at the resting order's price).
pub fn tally_events(events: &[Event], tally: &mut Tally) {
    for event in events {
        if let Event::Deal(deal) = event {
            tally.fill(deal.price_nano / NANO_PER_TICK, deal.qty);
        }
    }
}

/// Short ids, as the other benchmark workloads use.
fn id(order: u32) -> String {
    format!("o{order}")
}

/// Sellers' addresses start with 0x10, buyers' with 0x20.
fn owner_of(side: Side, owner: u16) -> Owner {
    let mut address = [0u8; 20];
    address[0] = match side {
        Side::Sell => 0x10,
        Side::Buy => 0x20,
    };
    address[18..].copy_from_slice(&owner.to_be_bytes());
    Owner(address)
}
