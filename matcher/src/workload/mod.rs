//! The seeded market generator behind `gridbook gen`, the tests and the benchmarks.
//!
//! [`Workload`] owns everything needed to reproduce a benchmark figure from a seed: a catalog of
//! machine configurations with reference prices, pools of provider and requester addresses, a
//! finite set of requirement signatures per configuration, and the command mix. It is an
//! iterator of `(ts_ms, Command)`: first a warm-up of `resting` non-crossing orders that build the
//! book, then `orders` commands of the steady-state mix:
//!
//! | share | command                                                                 |
//! |-------|-------------------------------------------------------------------------|
//! | ~50 % | a new order that does not cross (asks above reference, bids below)      |
//! | ~30 % | a cancel of a live order, by its owner                                  |
//! | ~20 % | an order that crosses (bids ~20 % over reference, asks ~20 % under)      |
//!
//! Determinism: one `ChaCha8Rng` seeded from the seed drives every choice, in a fixed order, and
//! every quantity is an integer (prices are nano-units scaled by basis points), so the same
//! configuration yields the same commands on every machine. The first `n` commands do not depend
//! on `orders`, so a longer run extends a shorter one.
//!
//! To cancel only live orders, and to keep the book near `resting` orders, the generator applies
//! each command it emits to its own [`Engine`] and follows the events.
//!
//! **Pegged orders** (opt-in, `pegged_percent`): built with [`Workload::with_classes`], that
//! share of new orders (resting and crossing alike) carries a [`Peg`](crate::command::Peg)
//! instead of a fixed price (`pegs.rs` says how offsets and limits are chosen). With
//! `pegged_percent = 0` no extra random draw is made, so streams without pegs are the same as
//! before pegs existed. The generator's own engine never receives a reference, so its pegged
//! orders rest unpriced (or are cancelled, if immediate) there; what it tracks as live is what
//! that engine says, as for any order.

mod live;
mod market;
mod pegs;
#[cfg(test)]
mod tests;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::command::{Ask, Bid, Cancel, Command, Price, Tif};
use crate::engine::{Engine, EngineConfig};
use crate::event::{Event, IdLookup};
use crate::owner::Owner;
use crate::symbols::Symbols;

use live::{LiveOrder, LiveSet};
use market::{Config, Market};
pub use pegs::PegClassifier;
use pegs::PegTable;

/// What to generate. Every field is part of the reproduction recipe of a figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadConfig {
    /// Seed of the generator; the same configuration gives the same commands.
    pub seed: u64,
    /// Distinct machine configurations (ask groups), 1 to 1024.
    pub configs: usize,
    /// Orders of the warm-up phase, which all rest: the book's size.
    pub resting: usize,
    /// Commands of the steady-state mix after the warm-up.
    pub orders: usize,
    /// Time of the first command, ms since the Unix epoch.
    pub start_ms: u64,
    /// Share of new orders, in per cent (0 to 100), that are pegged to their class's reference
    /// instead of carrying a fixed price; only with [`Workload::with_classes`], which says what
    /// the classes are.
    pub pegged_percent: u8,
}

impl Default for WorkloadConfig {
    fn default() -> WorkloadConfig {
        WorkloadConfig {
            seed: 0,
            configs: 64,
            resting: 1000,
            orders: 10_000,
            start_ms: 1_767_225_600_000, // 2026-01-01T00:00:00Z
            pegged_percent: 0,
        }
    }
}

pub(super) const HOUR_MS: u64 = 3_600_000;
pub(super) const DAY_MS: u64 = 24 * HOUR_MS;
/// Basis points in one (100 %).
pub(super) const BPS: u64 = 10_000;

/// Most configurations the default engine accepts (`EngineConfig::configs_max`).
pub(super) const CONFIGS_MAX: usize = 1024;
/// Most orders the generator's own engine reserves room for up front.
pub(super) const RESERVE_MAX: usize = 1 << 22;

/// What the next command of the mix is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    Resting,
    Cancel,
    Crossing,
}

/// Facts about a new order the generator needs once the engine has accepted it.
#[derive(Debug, Clone, Copy)]
struct Placed {
    qty: u64,
    owner: Owner,
    expiry_ms: u64,
}

/// The seeded generator: an iterator of `(ts_ms, Command)`.
#[derive(Debug, Clone)]
pub struct Workload {
    config: WorkloadConfig,
    rng: ChaCha8Rng,
    market: Market,
    /// Classes to peg to; empty (no pegs) unless built by [`Workload::with_classes`].
    pegs: PegTable,
    engine: Engine,
    events: Vec<Event>,
    live: LiveSet,
    emitted: usize,
    now_ms: u64,
    next_id: u64,
    /// Round-robin cursors of the warm-up, so every configuration and signature appears early.
    warm_asks: usize,
    warm_bids: usize,
}

impl Workload {
    /// A generator for `config`; the market is drawn from the seed.
    pub fn new(config: WorkloadConfig) -> Workload {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let configs = config.configs.clamp(1, CONFIGS_MAX);
        let market = Market::draw(&mut rng, configs);
        // Reserving spares the generator's engine most of its growth; beyond RESERVE_MAX it
        // grows on demand rather than claiming memory a long run may never use.
        let engine = Engine::new(EngineConfig {
            reserve_resting: (config.resting + config.resting / 2 + 1024).min(RESERVE_MAX),
            reserve_orders: config.resting.saturating_add(config.orders).min(RESERVE_MAX),
            ..EngineConfig::default()
        });
        Workload {
            now_ms: config.start_ms,
            config,
            rng,
            market,
            pegs: PegTable::default(),
            engine,
            events: Vec::with_capacity(64),
            live: LiveSet::default(),
            emitted: 0,
            next_id: 0,
            warm_asks: 0,
            warm_bids: 0,
        }
    }

    /// A generator for `config` whose pegged orders (`config.pegged_percent`) peg to the classes
    /// `classifier` gives; it is asked once per configuration and signature, here. The market,
    /// and so every draw, is the same as [`Workload::new`]'s: class names are only added to the
    /// symbol table.
    pub fn with_classes(config: WorkloadConfig, classifier: &dyn PegClassifier) -> Workload {
        let mut workload = Workload::new(config);
        workload.pegs = PegTable::build(&mut workload.market, classifier);
        workload
    }

    /// The names (GPU models, TEE kinds, regions, classes) the commands' symbols stand for.
    pub fn symbols(&self) -> &Symbols {
        &self.market.symbols
    }

    /// Commands in the warm-up phase (`config.resting`): the first commands, all resting.
    pub fn warmup_len(&self) -> usize {
        self.config.resting
    }

    fn total_len(&self) -> usize {
        self.config.resting.saturating_add(self.config.orders)
    }

    fn in_warmup(&self) -> bool {
        self.emitted < self.config.resting
    }

    /// Draws the next command at the current time.
    fn draw(&mut self) -> (Command, Option<Placed>) {
        if self.in_warmup() {
            return self.warmup_order();
        }
        match self.pick() {
            Pick::Resting => self.mix_order(false),
            Pick::Crossing => self.mix_order(true),
            Pick::Cancel => match self.cancel() {
                Some(cancel) => (Command::Cancel(cancel), None),
                None => self.mix_order(false),
            },
        }
    }

    /// Chooses the kind of the next mix command. The nominal 50/30/20 split leans towards
    /// cancels when the book is above `resting` and towards new orders when below, so the book
    /// stays near its warm-up size however the fills and expiries happen to fall.
    fn pick(&mut self) -> Pick {
        let target = self.config.resting.max(1) as i64;
        let deviation_permille = (self.live.orders.len() as i64 - target) * 1000 / target;
        let cancel = (300 + deviation_permille.clamp(-200, 200)) as u64; // 100..=500
        let roll = self.rng.random_range(0..1000u64);
        if roll < cancel {
            Pick::Cancel
        } else if roll < cancel + 200 {
            Pick::Crossing
        } else {
            Pick::Resting
        }
    }

    fn warmup_order(&mut self) -> (Command, Option<Placed>) {
        if self.rng.random_ratio(1, 2) {
            let config = self.warm_asks % self.market.configs.len();
            self.warm_asks += 1;
            self.ask(config, false, Tif::Gtc, false)
        } else {
            let signature = self.warm_bids % self.market.signatures.len();
            self.warm_bids += 1;
            self.bid(signature, false, Tif::Gtc, false)
        }
    }

    fn mix_order(&mut self, crossing: bool) -> (Command, Option<Placed>) {
        let tif = self.tif(crossing);
        let expires = self.rng.random_ratio(1, 20);
        if self.rng.random_ratio(1, 2) {
            let config = self.index(self.market.configs.len());
            self.ask(config, crossing, tif, expires)
        } else {
            let signature = self.index(self.market.signatures.len());
            self.bid(signature, crossing, tif, expires)
        }
    }

    /// Mostly good-till-cancelled; crossing orders are more often immediate (ioc, fok), resting
    /// ones sometimes post-only.
    fn tif(&mut self, crossing: bool) -> Tif {
        let roll = self.rng.random_range(0..100u32);
        match (crossing, roll) {
            (true, 0..=59) => Tif::Gtc,
            (true, 60..=84) => Tif::Ioc,
            (true, _) => Tif::Fok,
            (false, 0..=89) => Tif::Gtc,
            (false, 90..=96) => Tif::Post,
            (false, _) => Tif::Ioc,
        }
    }

    fn ask(
        &mut self,
        config: usize,
        crossing: bool,
        tif: Tif,
        expires: bool,
    ) -> (Command, Option<Placed>) {
        let Config { hw, reference_nano } = self.market.configs[config].clone();
        let bps = if crossing {
            7_000 + self.rng.random_range(0..2_000u64)
        } else {
            BPS + 100 + self.skewed(4_000)
        };
        let at = self.index(self.market.providers.len());
        let owner = self.market.providers[at];
        let qty = [1, 1, 1, 2, 2, 4, 8][self.index(7)];
        let from_ms = self.now_ms + self.pick_below(HOUR_MS / 1000 + 1) * 1000;
        let until_ms = from_ms + 2 * DAY_MS + self.pick_below(28) * DAY_MS;
        let expires_ms = self.expires_ms(expires);
        let fixed_nano = scale_bps(reference_nano, bps);
        let price = match self.peg_target(self.pegs.configs.get(config).copied().flatten()) {
            Some(target) => {
                Price::Pegged(pegs::ask_peg(&mut self.rng, target, fixed_nano, reference_nano))
            }
            None => Price::Fixed(fixed_nano),
        };
        let ask =
            Ask { id: self.next_id(), owner, price, qty, tif, hw, from_ms, until_ms, expires_ms };
        let expiry_ms = crate::validate::ask_expiry_ms(&ask);
        (Command::Ask(ask), Some(Placed { qty, owner, expiry_ms }))
    }

    fn bid(
        &mut self,
        signature: usize,
        crossing: bool,
        tif: Tif,
        expires: bool,
    ) -> (Command, Option<Placed>) {
        let sig = &self.market.signatures[signature];
        let (req, floor_nano) = (sig.req.clone(), sig.floor_nano);
        let target_nano = self.market.configs[sig.target].reference_nano;
        let limit_nano = if crossing {
            scale_bps(target_nano, BPS + 1_000 + self.rng.random_range(0..2_000u64))
        } else {
            scale_bps(floor_nano, BPS - 100 - self.skewed(4_000))
        };
        let at = self.index(self.market.requesters.len());
        let owner = self.market.requesters[at];
        let qty = if crossing { 1 + self.pick_below(4) } else { [1, 1, 1, 2, 4][self.index(5)] };
        let duration_ms = (1 + self.pick_below(24)) * HOUR_MS;
        let not_before_ms = self.now_ms + self.pick_below(HOUR_MS / 1000 + 1) * 1000;
        let deadline_ms = not_before_ms + duration_ms + DAY_MS + self.pick_below(6) * DAY_MS;
        let expires_ms = self.expires_ms(expires);
        let fixed_nano = limit_nano.max(1);
        let limit = match self.peg_target(self.pegs.signatures.get(signature).copied().flatten()) {
            Some(target) => {
                Price::Pegged(pegs::bid_peg(&mut self.rng, target, fixed_nano, target_nano))
            }
            None => Price::Fixed(fixed_nano),
        };
        let bid = Bid {
            id: self.next_id(),
            owner,
            limit,
            qty,
            tif,
            req,
            duration_ms,
            not_before_ms,
            deadline_ms,
            expires_ms,
        };
        let expiry_ms = crate::validate::bid_expiry_ms(&bid);
        (Command::Bid(bid), Some(Placed { qty, owner, expiry_ms }))
    }

    /// Whether the order being drawn is pegged, and to what. Draws nothing when pegs are off
    /// (`pegged_percent = 0`), so that streams without pegs do not change; one draw per order
    /// otherwise, even for an order whose hardware has no class, so that the draw sequence does
    /// not depend on the classifier's answers.
    fn peg_target(&mut self, target: Option<pegs::PegTarget>) -> Option<pegs::PegTarget> {
        let percent = u32::from(self.config.pegged_percent.min(100));
        if percent == 0 {
            return None;
        }
        let pegged = self.rng.random_range(0..100u32) < percent;
        target.filter(|_| pegged)
    }

    /// A good-till-date 30 s to 10 min ahead, when asked for.
    fn expires_ms(&mut self, expires: bool) -> Option<u64> {
        expires.then(|| self.now_ms + 30_000 + self.pick_below(570) * 1000)
    }

    /// A cancel of a uniformly chosen live order that this command's time does not expire, by
    /// its owner; `None` if a few draws find none.
    fn cancel(&mut self) -> Option<Cancel> {
        for _ in 0..4 {
            if self.live.orders.is_empty() {
                return None;
            }
            let at = self.index(self.live.orders.len());
            let live = self.live.orders[at];
            if live.expiry_ms > self.now_ms {
                let id = self.engine.order_id(live.order).to_string();
                return Some(Cancel { id, owner: live.owner });
            }
        }
        None
    }

    fn next_id(&mut self) -> String {
        self.next_id += 1;
        format!("o{}", self.next_id)
    }

    /// Uniform in `0..n` (n ≥ 1).
    fn pick_below(&mut self, n: u64) -> u64 {
        self.rng.random_range(0..n.max(1))
    }

    /// A uniform index into a non-empty collection of `len` items.
    fn index(&mut self, len: usize) -> usize {
        self.pick_below(len as u64) as usize
    }

    /// In `0..n`, small values likelier (the smaller of two draws): most orders are placed
    /// near the top of the book, as on real markets.
    fn skewed(&mut self, n: u64) -> u64 {
        let (a, b) = (self.pick_below(n), self.pick_below(n));
        a.min(b)
    }

    /// Applies the emitted command to the generator's engine and follows which orders rest.
    fn follow(&mut self, now_ms: u64, command: &Command, placed: Option<Placed>) {
        self.events.clear();
        self.engine.apply_into(command, now_ms, &mut self.events);
        for event in &self.events {
            match *event {
                Event::Accepted { order } => {
                    if let Some(Placed { qty, owner, expiry_ms }) = placed {
                        self.live.insert(LiveOrder { order, remaining: qty, owner, expiry_ms });
                    }
                }
                Event::Deal(deal) => {
                    self.live.reduce(deal.bid, deal.qty);
                    self.live.reduce(deal.ask, deal.qty);
                }
                Event::Cancelled { order, .. } | Event::Expired { order, .. } => {
                    self.live.remove(order)
                }
                Event::Rejected { .. } | Event::Reference { .. } => {}
            }
        }
    }
}

impl Iterator for Workload {
    type Item = (u64, Command);

    fn next(&mut self) -> Option<(u64, Command)> {
        if self.emitted >= self.total_len() {
            return None;
        }
        if self.emitted > 0 {
            self.now_ms += self.pick_below(3);
        }
        let (command, placed) = self.draw();
        let now_ms = self.now_ms;
        self.follow(now_ms, &command, placed);
        self.emitted += 1;
        Some((now_ms, command))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.total_len() - self.emitted;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Workload {}

/// `value × bps / 10 000`, in integers.
pub(super) fn scale_bps(value: u64, bps: u64) -> u64 {
    (u128::from(value) * u128::from(bps) / u128::from(BPS)) as u64
}
