//! The plain stream: one instrument, limit orders and cancels only, the workload every limit
//! order book can run — so gridbook's engine can be timed side by side with published Rust
//! order books (`benches/benches/peers/`, BENCHMARKS.md "Against other order books").
//!
//! Seeded. A warm-up of passive orders builds the book to `resting`, then the mix: 50 %
//! passive orders (never crossing: asks above a fixed mid, bids below it, nearer the mid
//! likelier), 30 % cancels of live orders picked uniformly, 20 % crossing orders.
//!
//! **Takers are cut to what fills within their limit.** A crossing order's quantity is at most
//! what rests at or better than its limit, so it fills whole and never rests. One peer
//! (matchcore 0.4) sweeps a crossing limit order's whole quantity ignoring its limit; on a
//! stream whose takers fit within their limit that makes no difference, so every engine gets
//! the same, cut stream. The generator keeps its own model of the book ([`book::ModelBook`]) to
//! cut takers, pick live orders to cancel and tally the trades every engine must report.

mod book;
mod gridbook;

pub use gridbook::{gridbook_command, gridbook_config, tally_events};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use book::ModelBook;

/// The mid price, ticks: passive asks rest above it, passive bids below.
pub const MID_TICKS: u64 = 100_000;
/// Passive orders rest within this many ticks of the mid.
const DEPTH_TICKS: u64 = 2_000;
/// A crossing order's limit is at most this many ticks through the opposite best price.
const THROUGH_TICKS: u64 = 20;
/// A passive order's quantity is drawn from `1..=QTY_MAX`.
const QTY_MAX: u64 = 100;
/// A crossing order's from `1..=QTY_MAX` while the book holds fewer than `resting` orders, from
/// `1..=3 × QTY_MAX` while it holds more (then cut): passive orders and cancels alone grow the
/// book by 0.2 orders per command, so crossing orders lean on its size to keep it near
/// `resting`.
const TAKE_LEAN: u64 = 3;
/// Owners drawn from per side; asks and bids never share one, so no engine's self-trade rule
/// applies.
pub const OWNERS_PER_SIDE: u16 = 1_000;

/// Side of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A buy (gridbook: a bid).
    Buy,
    /// A sell (gridbook: an ask).
    Sell,
}

/// One command of the plain stream. Orders are numbered from 0 in arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainCommand {
    /// A good-till-cancelled limit order.
    Limit {
        /// Arrival number of the order (its id in every engine).
        order: u32,
        /// Buy or sell.
        side: Side,
        /// Limit price, ticks.
        price_ticks: u64,
        /// Quantity.
        qty: u64,
        /// Owner index within its side.
        owner: u16,
    },
    /// Cancel of a live order by its owner.
    Cancel {
        /// Arrival number of the order to cancel.
        order: u32,
        /// Its side and owner (gridbook checks the owner).
        side: Side,
        /// Owner index within its side.
        owner: u16,
    },
}

/// Trades as an engine reports them: the figures every engine must agree on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Number of fills (one per resting order a taker trades with).
    pub trades: u64,
    /// Quantity traded.
    pub qty: u64,
    /// Σ price × qty, ticks.
    pub notional_ticks: u128,
}

impl Tally {
    /// Counts one fill of `qty` at `price_ticks`.
    pub fn fill(&mut self, price_ticks: u64, qty: u64) {
        self.trades += 1;
        self.qty += qty;
        self.notional_ticks += u128::from(price_ticks) * u128::from(qty);
    }
}

/// The stream's shape.
#[derive(Debug, Clone, Copy)]
pub struct PlainConfig {
    /// Generator seed.
    pub seed: u64,
    /// Passive orders of the warm-up (the book's size).
    pub resting: usize,
    /// Mix commands after the warm-up that are not timed.
    pub warm_mix: usize,
    /// Mix commands timed.
    pub measured: usize,
}

/// A generated stream, split where timing starts, with the trades each part must give.
pub struct PlainStream {
    /// The warm-up and the warm mix.
    pub warm: Vec<PlainCommand>,
    /// The commands to time.
    pub measured: Vec<PlainCommand>,
    /// Trades of `measured` (the warm-up never trades; the warm mix does, untallied).
    pub expected: Tally,
    /// Orders resting after the whole stream.
    pub resting_after: usize,
}

/// Kinds of mix command, in per cent.
const PASSIVE_PERCENT: u32 = 50;
const CANCEL_PERCENT: u32 = 30;

impl PlainConfig {
    /// Generates the stream.
    pub fn generate(&self) -> PlainStream {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut book = ModelBook::default();
        let mut warm = Vec::with_capacity(self.resting + self.warm_mix);
        for _ in 0..self.resting {
            warm.push(passive(&mut rng, &mut book));
        }
        for _ in 0..self.warm_mix {
            warm.push(mix(&mut rng, &mut book, self.resting, &mut Tally::default()));
        }
        let mut expected = Tally::default();
        let measured = (0..self.measured)
            .map(|_| mix(&mut rng, &mut book, self.resting, &mut expected))
            .collect();
        PlainStream { warm, measured, expected, resting_after: book.resting() }
    }
}

/// One mix command (the book kept near `target` orders): passive, cancel or crossing; a cancel or crossing order that finds its
/// side of the book empty is a passive order instead.
fn mix(
    rng: &mut ChaCha8Rng,
    book: &mut ModelBook,
    target: usize,
    tally: &mut Tally,
) -> PlainCommand {
    let roll = rng.random_range(0..100);
    if roll < PASSIVE_PERCENT {
        return passive(rng, book);
    }
    if roll < PASSIVE_PERCENT + CANCEL_PERCENT {
        if let Some((order, side, owner)) = book.cancel_random(rng) {
            return PlainCommand::Cancel { order, side, owner };
        }
        return passive(rng, book);
    }
    crossing(rng, book, target, tally).unwrap_or_else(|| passive(rng, book))
}

/// A passive order: within `DEPTH_TICKS` of the mid on its side, nearer the mid likelier (the
/// nearer of two uniform draws).
fn passive(rng: &mut ChaCha8Rng, book: &mut ModelBook) -> PlainCommand {
    let side = if rng.random_bool(0.5) { Side::Buy } else { Side::Sell };
    let away = 1 + rng.random_range(0..DEPTH_TICKS).min(rng.random_range(0..DEPTH_TICKS));
    let price_ticks = match side {
        Side::Buy => MID_TICKS - away,
        Side::Sell => MID_TICKS + away,
    };
    let qty = rng.random_range(1..=QTY_MAX);
    let owner = rng.random_range(0..OWNERS_PER_SIDE);
    let order = book.rest(side, price_ticks, qty, owner);
    PlainCommand::Limit { order, side, price_ticks, qty, owner }
}

/// A crossing order through the opposite best price, cut to what rests within its limit so it
/// fills whole; `None` if the opposite side is empty.
fn crossing(
    rng: &mut ChaCha8Rng,
    book: &mut ModelBook,
    target: usize,
    tally: &mut Tally,
) -> Option<PlainCommand> {
    let side = if rng.random_bool(0.5) { Side::Buy } else { Side::Sell };
    let best = book.best_opposite(side)?;
    let through = rng.random_range(0..=THROUGH_TICKS);
    let price_ticks = match side {
        Side::Buy => best + through,
        Side::Sell => best - through,
    };
    let most = if book.resting() > target { TAKE_LEAN * QTY_MAX } else { QTY_MAX };
    let wanted = rng.random_range(1..=most);
    let qty = wanted.min(book.available(side, price_ticks, wanted));
    let owner = rng.random_range(0..OWNERS_PER_SIDE);
    let order = book.take(side, price_ticks, qty, tally);
    Some(PlainCommand::Limit { order, side, price_ticks, qty, owner })
}

#[cfg(test)]
mod tests;
