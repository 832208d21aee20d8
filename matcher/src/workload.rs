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

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::command::{Ask, Bid, Cancel, Command, Tif};
use crate::engine::{Engine, EngineConfig};
use crate::event::{Event, IdLookup, OrderRef};
use crate::hardware::{Hardware, Requirements, Sym};
use crate::limits::NANO_PER_TOKEN;
use crate::owner::Owner;
use crate::symbols::Symbols;

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
}

impl Default for WorkloadConfig {
    fn default() -> WorkloadConfig {
        WorkloadConfig {
            seed: 0,
            configs: 64,
            resting: 1000,
            orders: 10_000,
            start_ms: 1_767_225_600_000, // 2026-01-01T00:00:00Z
        }
    }
}

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;
/// Basis points in one (100 %).
const BPS: u64 = 10_000;
/// Token amounts below are written in thousandths of a token.
const MILLI_TOKEN_NANO: u64 = NANO_PER_TOKEN / 1000;

/// One GPU model of the catalog.
struct GpuModel {
    name: &'static str,
    gpu_mem_gib: u32,
    /// Reference price of one GPU for one hour, milli-tokens.
    price_milli_per_gpu_hour: u64,
    /// A machine with this model has this many cores and GiB per GPU.
    cpu_per_gpu: u32,
    mem_gib_per_gpu: u32,
    /// Models of one class serve the same jobs; a requester often accepts any of them.
    class: u8,
    /// Relative share of the market's machines with this model.
    popularity: u32,
}

#[rustfmt::skip]
const GPU_MODELS: [GpuModel; 9] = [
    GpuModel { name: "T4", gpu_mem_gib: 16, price_milli_per_gpu_hour: 350, cpu_per_gpu: 4, mem_gib_per_gpu: 16, class: 0, popularity: 8 },
    GpuModel { name: "P100", gpu_mem_gib: 16, price_milli_per_gpu_hour: 420, cpu_per_gpu: 4, mem_gib_per_gpu: 32, class: 0, popularity: 3 },
    GpuModel { name: "V100M16", gpu_mem_gib: 16, price_milli_per_gpu_hour: 800, cpu_per_gpu: 8, mem_gib_per_gpu: 64, class: 1, popularity: 3 },
    GpuModel { name: "V100M32", gpu_mem_gib: 32, price_milli_per_gpu_hour: 1000, cpu_per_gpu: 8, mem_gib_per_gpu: 64, class: 1, popularity: 4 },
    GpuModel { name: "A10", gpu_mem_gib: 24, price_milli_per_gpu_hour: 750, cpu_per_gpu: 8, mem_gib_per_gpu: 32, class: 2, popularity: 6 },
    GpuModel { name: "L4", gpu_mem_gib: 24, price_milli_per_gpu_hour: 700, cpu_per_gpu: 8, mem_gib_per_gpu: 32, class: 2, popularity: 8 },
    GpuModel { name: "RTX4090", gpu_mem_gib: 24, price_milli_per_gpu_hour: 550, cpu_per_gpu: 8, mem_gib_per_gpu: 32, class: 2, popularity: 10 },
    GpuModel { name: "A100-80GB", gpu_mem_gib: 80, price_milli_per_gpu_hour: 1800, cpu_per_gpu: 12, mem_gib_per_gpu: 128, class: 3, popularity: 12 },
    GpuModel { name: "H100-80GB", gpu_mem_gib: 80, price_milli_per_gpu_hour: 2800, cpu_per_gpu: 16, mem_gib_per_gpu: 128, class: 3, popularity: 10 },
];
/// GPUs per machine, and how common each count is.
const GPU_COUNTS: [(u32, u32); 4] = [(1, 4), (2, 3), (4, 2), (8, 2)];
/// CPU-only tiers: (cores, GiB).
const CPU_TIERS: [(u32, u32); 5] = [(4, 16), (8, 32), (16, 64), (32, 128), (64, 256)];
const TEES: [&str; 2] = ["sgx", "tdx"];
const REGIONS: [&str; 5] = ["eu-west", "eu-central", "us-east", "us-west", "ap-southeast"];
/// Price of one core-hour and one GiB-hour, micro-tokens.
const CORE_HOUR_MICRO: u64 = 20_000;
const GIB_HOUR_MICRO: u64 = 2_500;
/// A machine with a TEE costs this much more, basis points.
const TEE_PREMIUM_BPS: u64 = 1_500;
/// Requirement signatures per configuration: bids draw from this finite set.
const SIGNATURES_PER_CONFIG: usize = 4;
/// Most configurations the default engine accepts (`EngineConfig::configs_max`).
const CONFIGS_MAX: usize = 1024;
/// Draws of a new catalog entry before a duplicate is made distinct by adding memory.
const DISTINCT_ATTEMPTS: u32 = 64;
/// Most orders the generator's own engine reserves room for up front.
const RESERVE_MAX: usize = 1 << 22;
const PROVIDERS: usize = 400;
const REQUESTERS: usize = 2000;
/// Requesters that are also providers, so the same-owner rule is exercised.
const DUAL_ROLE: usize = 40;

/// A machine configuration of the market and what one slot of it is worth.
#[derive(Debug, Clone)]
struct Config {
    hw: Hardware,
    /// Reference price per slot-hour, nano-units.
    reference_nano: u64,
}

/// A requirement signature and the prices that decide whether a bid crosses.
#[derive(Debug, Clone)]
struct Signature {
    req: Requirements,
    /// The configuration the signature was derived from.
    target: usize,
    /// Cheapest reference among the configurations that satisfy it: a bid below this never
    /// crosses a non-crossing ask (those are above their reference).
    floor_nano: u64,
}

/// The static market: names, configurations, signatures and accounts.
#[derive(Debug, Clone)]
struct Market {
    symbols: Symbols,
    configs: Vec<Config>,
    /// `SIGNATURES_PER_CONFIG` per configuration, config-major.
    signatures: Vec<Signature>,
    providers: Vec<Owner>,
    requesters: Vec<Owner>,
}

/// A resting order the generator knows of (for cancels).
#[derive(Debug, Clone, Copy)]
struct LiveOrder {
    order: OrderRef,
    remaining: u64,
    owner: Owner,
    /// When rule 6 removes it; a cancel must come earlier.
    expiry_ms: u64,
}

/// The generator's view of which orders rest: a dense list for uniform picks, and the position
/// of each order (by arrival number) for O(1) removal.
#[derive(Debug, Clone, Default)]
struct LiveSet {
    orders: Vec<LiveOrder>,
    position: Vec<u32>,
}

const ABSENT: u32 = u32::MAX;

impl LiveSet {
    fn insert(&mut self, live: LiveOrder) {
        let number = live.order.0 as usize;
        if self.position.len() <= number {
            self.position.resize(number + 1, ABSENT);
        }
        self.position[number] = self.orders.len() as u32;
        self.orders.push(live);
    }

    fn find(&self, order: OrderRef) -> Option<usize> {
        match self.position.get(order.0 as usize) {
            Some(&at) if at != ABSENT => Some(at as usize),
            _ => None,
        }
    }

    fn remove(&mut self, order: OrderRef) {
        let Some(at) = self.find(order) else { return };
        self.orders.swap_remove(at);
        self.position[order.0 as usize] = ABSENT;
        if let Some(moved) = self.orders.get(at) {
            self.position[moved.order.0 as usize] = at as u32;
        }
    }

    fn reduce(&mut self, order: OrderRef, qty: u64) {
        let Some(at) = self.find(order) else { return };
        let live = &mut self.orders[at];
        live.remaining = live.remaining.saturating_sub(qty);
        if live.remaining == 0 {
            self.remove(order);
        }
    }
}

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
            engine,
            events: Vec::with_capacity(64),
            live: LiveSet::default(),
            emitted: 0,
            next_id: 0,
            warm_asks: 0,
            warm_bids: 0,
        }
    }

    /// The names (GPU models, TEE kinds, regions) the commands' symbols stand for.
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
        let ask = Ask {
            id: self.next_id(),
            owner,
            price_nano: scale_bps(reference_nano, bps),
            qty,
            tif,
            hw,
            from_ms,
            until_ms,
            expires_ms,
        };
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
        let bid = Bid {
            id: self.next_id(),
            owner,
            limit_nano: limit_nano.max(1),
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
                Event::Rejected { .. } => {}
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
fn scale_bps(value: u64, bps: u64) -> u64 {
    (u128::from(value) * u128::from(bps) / u128::from(BPS)) as u64
}

/// One entry of the catalog before it is given symbols.
#[derive(Debug, Clone, Copy)]
enum CatalogEntry {
    Gpu { model: usize, gpus: u32, region: usize },
    Cpu { tier: usize, tee: Option<usize>, region: usize },
}

impl Market {
    fn draw(rng: &mut ChaCha8Rng, configs: usize) -> Market {
        let mut symbols = Symbols::new();
        for name in GPU_MODELS.iter().map(|m| m.name).chain(TEES).chain(REGIONS) {
            symbols.intern(name);
        }
        let mut drawn: Vec<Config> = Vec::with_capacity(configs);
        while drawn.len() < configs {
            let config = distinct_config(rng, &mut symbols, &drawn);
            drawn.push(config);
        }
        let mut signatures = Vec::with_capacity(drawn.len() * SIGNATURES_PER_CONFIG);
        for target in 0..drawn.len() {
            for _ in 0..SIGNATURES_PER_CONFIG {
                let req = requirements(rng, &mut symbols, &drawn[target].hw);
                let floor_nano = drawn
                    .iter()
                    .filter(|c| req.satisfied_by(&c.hw))
                    .map(|c| c.reference_nano)
                    .min()
                    .unwrap_or(drawn[target].reference_nano);
                signatures.push(Signature { req, target, floor_nano });
            }
        }
        let providers: Vec<Owner> = (0..PROVIDERS).map(|_| Owner(rng.random())).collect();
        let requesters = providers[..DUAL_ROLE]
            .iter()
            .copied()
            .chain((DUAL_ROLE..REQUESTERS).map(|_| Owner(rng.random())))
            .collect();
        Market { symbols, configs: drawn, signatures, providers, requesters }
    }
}

/// A configuration not in `drawn`: popular machines are drawn more often; when the catalog runs
/// dry, a repeat gets more memory so configurations stay distinct.
fn distinct_config(rng: &mut ChaCha8Rng, symbols: &mut Symbols, drawn: &[Config]) -> Config {
    let taken = |config: &Config| drawn.iter().any(|d| d.hw == config.hw);
    let mut entry = catalog_entry(rng);
    for _ in 1..DISTINCT_ATTEMPTS {
        if !taken(&make_config(symbols, entry, 0)) {
            break;
        }
        entry = catalog_entry(rng);
    }
    let mut extra_mem_gib = 0;
    loop {
        let config = make_config(symbols, entry, extra_mem_gib);
        if !taken(&config) {
            return config;
        }
        extra_mem_gib += 64;
    }
}

/// Three machines in four have GPUs; models and GPU counts by popularity; a CPU machine has a
/// TEE two times in five.
fn catalog_entry(rng: &mut ChaCha8Rng) -> CatalogEntry {
    let region = rng.random_range(0..REGIONS.len() as u64) as usize;
    if rng.random_ratio(3, 4) {
        let model = weighted(rng, GPU_MODELS.iter().map(|m| m.popularity));
        let gpus = GPU_COUNTS[weighted(rng, GPU_COUNTS.iter().map(|&(_, weight)| weight))].0;
        CatalogEntry::Gpu { model, gpus, region }
    } else {
        let tier = rng.random_range(0..CPU_TIERS.len() as u64) as usize;
        let tee = match rng.random_range(0..5u32) {
            0 => Some(0),
            1 => Some(1),
            _ => None,
        };
        CatalogEntry::Cpu { tier, tee, region }
    }
}

/// An index drawn with the given weights (not all zero).
fn weighted(rng: &mut ChaCha8Rng, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u64 = weights.clone().map(u64::from).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (at, weight) in weights.enumerate() {
        if roll < u64::from(weight) {
            return at;
        }
        roll -= u64::from(weight);
    }
    0
}

fn make_config(symbols: &mut Symbols, entry: CatalogEntry, extra_mem_gib: u32) -> Config {
    match entry {
        CatalogEntry::Gpu { model, gpus, region } => {
            let m = &GPU_MODELS[model];
            let hw = Hardware {
                cpu: m.cpu_per_gpu * gpus,
                mem_gib: m.mem_gib_per_gpu * gpus + extra_mem_gib,
                gpu: Some(symbols.intern(m.name)),
                gpus,
                gpu_mem_gib: m.gpu_mem_gib,
                tee: None,
                region: symbols.intern(REGIONS[region]),
            };
            let gpu_nano = m.price_milli_per_gpu_hour * MILLI_TOKEN_NANO * u64::from(gpus);
            Config { reference_nano: gpu_nano + host_price_nano(&hw), hw }
        }
        CatalogEntry::Cpu { tier, tee, region } => {
            let (cpu, mem_gib) = CPU_TIERS[tier];
            let hw = Hardware {
                cpu,
                mem_gib: mem_gib + extra_mem_gib,
                gpu: None,
                gpus: 0,
                gpu_mem_gib: 0,
                tee: tee.map(|t| symbols.intern(TEES[t])),
                region: symbols.intern(REGIONS[region]),
            };
            let base_nano = host_price_nano(&hw);
            let premium_bps = if tee.is_some() { BPS + TEE_PREMIUM_BPS } else { BPS };
            Config { reference_nano: scale_bps(base_nano, premium_bps), hw }
        }
    }
}

/// The CPU and memory part of a slot-hour's reference price, nano-units.
fn host_price_nano(hw: &Hardware) -> u64 {
    let micro = u64::from(hw.cpu) * CORE_HOUR_MICRO + u64::from(hw.mem_gib) * GIB_HOUR_MICRO;
    micro * (NANO_PER_TOKEN / 1_000_000)
}

/// A requirement signature that `hw` satisfies: a job sized for this machine or a fraction of
/// it, often accepting any GPU model of the class, sometimes pinned to regions.
fn requirements(rng: &mut ChaCha8Rng, symbols: &mut Symbols, hw: &Hardware) -> Requirements {
    let regions = region_filter(rng, symbols, hw.region, hw.gpu.is_some());
    match hw.gpu {
        Some(model) => {
            let gpus = match rng.random_range(0..5u32) {
                0..=2 => 1,
                3 => (hw.gpus / 2).max(1),
                _ => hw.gpus.max(1),
            };
            let share = |whole: u32| whole * gpus / hw.gpus.max(1);
            let models =
                if rng.random_ratio(3, 4) { class_of(symbols, model) } else { vec![model] };
            let gpu_mem_gib = if rng.random_ratio(1, 3) { hw.gpu_mem_gib } else { 0 };
            let (cpu, mem_gib) = (share(hw.cpu), share(hw.mem_gib));
            Requirements::new(cpu, mem_gib, models, gpus, gpu_mem_gib, None, regions)
        }
        None => {
            let divisor = rng.random_range(1..=2u32);
            let (cpu, mem_gib) = (hw.cpu / divisor, hw.mem_gib / divisor);
            Requirements::new(cpu, mem_gib, Vec::new(), 0, 0, hw.tee, regions)
        }
    }
}

/// Every model of `model`'s class.
fn class_of(symbols: &mut Symbols, model: Sym) -> Vec<Sym> {
    let name = symbols.name(model);
    let Some(class) = GPU_MODELS.iter().find(|m| m.name == name).map(|m| m.class) else {
        return vec![model];
    };
    GPU_MODELS.iter().filter(|m| m.class == class).map(|m| symbols.intern(m.name)).collect()
}

/// Any region, the machine's own, or its own and one more. CPU jobs are pinned more often:
/// without a GPU list, any machine with enough cores satisfies them.
fn region_filter(rng: &mut ChaCha8Rng, symbols: &mut Symbols, own: Sym, gpu: bool) -> Vec<Sym> {
    let roll = rng.random_range(0..20u32);
    let any_below = if gpu { 12 } else { 4 };
    if roll < any_below {
        return Vec::new();
    }
    let mut regions = vec![own];
    if roll >= 15 {
        let other = REGIONS[rng.random_range(0..REGIONS.len() as u64) as usize];
        regions.push(symbols.intern(other));
    }
    regions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> WorkloadConfig {
        WorkloadConfig { seed, resting: 1000, orders: 5000, ..WorkloadConfig::default() }
    }

    #[test]
    fn same_seed_gives_same_commands() {
        let a: Vec<_> = Workload::new(small(7)).collect();
        let b: Vec<_> = Workload::new(small(7)).collect();
        assert_eq!(a.len(), 6000);
        assert_eq!(a, b);
    }

    #[test]
    fn different_seeds_give_different_commands() {
        let a: Vec<_> = Workload::new(small(1)).collect();
        let b: Vec<_> = Workload::new(small(2)).collect();
        assert_ne!(a, b);
    }

    #[test]
    fn a_longer_run_extends_a_shorter_one() {
        let short: Vec<_> = Workload::new(small(3)).collect();
        let long: Vec<_> = Workload::new(WorkloadConfig { orders: 8000, ..small(3) }).collect();
        assert_eq!(&long[..short.len()], &short[..]);
    }

    #[test]
    fn a_bid_fits_about_ten_of_64_configurations() {
        for seed in 0..8 {
            let market = Workload::new(WorkloadConfig { seed, ..WorkloadConfig::default() }).market;
            assert_eq!(market.configs.len(), 64);
            let fits: usize = market
                .signatures
                .iter()
                .map(|s| market.configs.iter().filter(|c| s.req.satisfied_by(&c.hw)).count())
                .sum();
            let mean_x10 = fits * 10 / market.signatures.len();
            assert!((60..=160).contains(&mean_x10), "seed {seed}: mean fit count {mean_x10}/10");
        }
    }

    #[test]
    fn every_signature_is_satisfied_by_its_own_configuration() {
        let market = Workload::new(WorkloadConfig::default()).market;
        for sig in &market.signatures {
            assert!(sig.req.satisfied_by(&market.configs[sig.target].hw));
        }
    }

    #[test]
    fn every_command_is_accepted_by_a_fresh_engine() {
        let mut engine = Engine::default();
        let mut events = Vec::new();
        for (ts_ms, command) in Workload::new(WorkloadConfig { orders: 20_000, ..small(5) }) {
            events.clear();
            engine.apply_into(&command, ts_ms, &mut events);
            let rejected = events.iter().find(|e| matches!(e, Event::Rejected { .. }));
            assert!(rejected.is_none(), "{command:?} at {ts_ms}: {rejected:?}");
        }
    }

    #[test]
    fn warmup_rests_every_order_and_crosses_nothing() {
        let mut workload = Workload::new(small(11));
        let mut engine = Engine::default();
        for _ in 0..workload.warmup_len() {
            let Some((ts_ms, command)) = workload.next() else { break };
            let events = engine.apply(&command, ts_ms);
            assert_eq!(events.len(), 1, "{command:?}: {events:?}");
        }
        assert_eq!(engine.resting(), 1000);
    }

    #[test]
    fn the_mix_is_half_new_orders_30_percent_cancels_and_20_percent_crossing() {
        let config =
            WorkloadConfig { seed: 4, resting: 5000, orders: 50_000, ..WorkloadConfig::default() };
        let mut workload = Workload::new(config);
        let mut engine = Engine::default();
        let (mut cancels, mut trading, mut expiring, mut gtc, mut mix) = (0, 0, 0, 0, 0);
        for (at, (ts_ms, command)) in workload.by_ref().enumerate() {
            let events = engine.apply(&command, ts_ms);
            if at < 5000 {
                continue;
            }
            mix += 1;
            cancels += usize::from(matches!(command, Command::Cancel(_)));
            trading += usize::from(events.iter().any(|e| matches!(e, Event::Deal(_))));
            let (tif, expires) = match &command {
                Command::Ask(ask) => (Some(ask.tif), ask.expires_ms.is_some()),
                Command::Bid(bid) => (Some(bid.tif), bid.expires_ms.is_some()),
                _ => (None, false),
            };
            expiring += usize::from(expires);
            gtc += usize::from(tif == Some(Tif::Gtc));
        }
        let percent = |n: usize| n * 100 / mix;
        assert!((25..=35).contains(&percent(cancels)), "cancels {}%", percent(cancels));
        assert!((12..=25).contains(&percent(trading)), "trading {}%", percent(trading));
        assert!((2..=6).contains(&percent(expiring)), "expiring {}%", percent(expiring));
        assert!(gtc * 100 / (mix - cancels) >= 70, "gtc {gtc} of {}", mix - cancels);
    }

    #[test]
    fn the_book_stays_within_30_percent_of_its_warmup_size() {
        let resting = 2000;
        let config =
            WorkloadConfig { seed: 9, resting, orders: 40_000, ..WorkloadConfig::default() };
        let mut workload = Workload::new(config);
        let warmup = workload.warmup_len();
        let mut engine = Engine::default();
        for (at, (ts_ms, command)) in workload.by_ref().enumerate() {
            engine.apply(&command, ts_ms);
            if at >= warmup {
                let live = engine.resting();
                assert!(live * 10 >= resting * 7 && live * 10 <= resting * 13, "{live} after {at}");
            }
        }
    }
}
