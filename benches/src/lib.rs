//! Shared set-up for gridbook benchmarks: the benchmark workload (from
//! [`gridbook_matcher::workload`]), a warm engine, and the commands to measure.
//!
//! Every figure in BENCHMARKS.md is produced from a [`Setup`], so the criterion bench and the
//! latency harness measure the same market: 64 machine configurations, a resting book built by
//! the generator's warm-up, then the steady-state mix (about 50 % new orders that rest, 30 %
//! cancels, 20 % crossing orders).
//!
//! [`plain`] is the other workload: one instrument, limit orders and cancels only, which
//! published order books can run too (the peer table, `benches/peers/`).

pub mod plain;

use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{Command, Engine, EngineConfig, Event};
use gridbook_pricing::Taxonomy;

/// Price levels reserved per ladder: more than a ladder holds up to 100 000 resting orders, so
/// ladders do not grow while measuring (larger books grow theirs during the warm-up).
const LEVELS_PER_LADDER: usize = 1024;

/// What to build: the workload's seed and shape, and how many mix commands to warm with and to
/// measure.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Generator seed.
    pub seed: u64,
    /// Distinct machine configurations.
    pub configs: usize,
    /// Resting orders after the warm-up.
    pub resting: usize,
    /// Mix commands applied after the warm-up and before measuring, so every buffer of the engine
    /// has reached its steady size.
    pub warm_mix: usize,
    /// Mix commands to measure.
    pub measured: usize,
    /// Share of new orders pegged to their class of the default taxonomy, per cent.
    pub pegged_percent: u8,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            seed: 1,
            configs: 64,
            resting: 100_000,
            warm_mix: 100_000,
            measured: 100_000,
            pegged_percent: 0,
        }
    }
}

/// The commands of a set-up, as the generator produced them, split where measuring starts.
pub struct Commands {
    /// The warm-up and the warm mix.
    pub warm: Vec<(u64, Command)>,
    /// The commands to measure.
    pub measured: Vec<(u64, Command)>,
}

impl Setup {
    /// The generator configuration of this set-up.
    pub fn workload(&self) -> WorkloadConfig {
        WorkloadConfig {
            seed: self.seed,
            configs: self.configs,
            resting: self.resting,
            orders: self.warm_mix + self.measured,
            pegged_percent: self.pegged_percent,
            ..WorkloadConfig::default()
        }
    }

    /// Engine limits with every buffer reserved for this workload, so that measuring never
    /// includes the growth of the book's storage.
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            reserve_resting: 2 * self.resting + 1024,
            reserve_orders: self.resting + self.warm_mix + self.measured,
            reserve_levels: LEVELS_PER_LADDER,
            ..EngineConfig::default()
        }
    }

    /// Generates every command of the set-up.
    pub fn generate(&self) -> Commands {
        let workload = if self.pegged_percent > 0 {
            Workload::with_classes(self.workload(), &Taxonomy::default_taxonomy())
        } else {
            Workload::new(self.workload())
        };
        let mut warm: Vec<(u64, Command)> = workload.collect();
        let measured = warm.split_off(self.resting + self.warm_mix);
        Commands { warm, measured }
    }

    /// A fresh engine, its buffers reserved, after applying `warm`.
    ///
    /// Built by replaying rather than by cloning a warm engine: a clone's vectors have no spare
    /// capacity, so its first commands would reallocate the book's storage while being timed.
    pub fn warm_engine(&self, warm: &[(u64, Command)]) -> Engine {
        let mut engine = Engine::new(self.engine_config());
        apply_all(&mut engine, warm);
        engine
    }
}

/// Applies `commands` in order, reusing one event buffer; returns the number of events.
pub fn apply_all(engine: &mut Engine, commands: &[(u64, Command)]) -> usize {
    let mut out: Vec<Event> = Vec::with_capacity(1024);
    let mut events = 0;
    for (ts_ms, command) in commands {
        out.clear();
        engine.apply_into(command, *ts_ms, &mut out);
        events += out.len();
    }
    events
}
