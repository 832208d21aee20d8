//! [`Market`]: the real engine with the real pricing model inside it — a
//! [`gridbook_pricing::PricedEngine`] stepped with commands the agents build — plus the name
//! lookups the agents need. No lines and no rendered events: the simulator reads each step's
//! events directly.

use gridbook_matcher::{Command, EngineConfig, Event, Hardware, Sym};
use gridbook_pricing::{model_by_name, ClassId, PricedEngine, PricedOptions, Taxonomy};

use crate::scenario::PricingSection;
use crate::SimError;

/// The engine and pricing model of one run.
pub struct Market {
    priced: PricedEngine,
    commands: u64,
}

impl Market {
    /// An empty market priced by `pricing` under the default taxonomy; `orders_hint` is about
    /// how many orders the run will place (storage for their ids is reserved once).
    pub fn new(pricing: &PricingSection, orders_hint: u64) -> Result<Market, SimError> {
        let model = model_by_name(&pricing.model, &pricing.params)
            .map_err(|error| SimError::Setup(error.to_string()))?;
        let reserve_orders = orders_hint.clamp(4096, 1 << 22) as usize;
        let config =
            EngineConfig { reserve_resting: 4096, reserve_orders, ..EngineConfig::default() };
        let options = PricedOptions {
            book_interval_ms: pricing.book_interval_s.saturating_mul(1000),
            publish_step_bps: pricing.publish_step_bps,
            ..PricedOptions::default()
        };
        let taxonomy = Taxonomy::default_taxonomy();
        let priced = PricedEngine::new(config, taxonomy, Some(model), options);
        Ok(Market { priced, commands: 0 })
    }

    /// Applies `command` at `now_ms`; every event of the step, re-pricing included.
    pub fn apply(&mut self, now_ms: u64, command: Command) -> &[Event] {
        self.commands += 1;
        self.priced.apply(&command, now_ms)
    }

    /// Commands applied so far.
    pub fn commands(&self) -> u64 {
        self.commands
    }

    /// The symbol of a name (GPU model, region, TEE kind, class).
    pub fn intern(&mut self, name: &str) -> Sym {
        self.priced.intern(name)
    }

    /// The name a symbol stands for.
    pub fn name(&self, sym: Sym) -> &str {
        self.priced.symbols().name(sym)
    }

    /// The class of a slot's hardware, if the taxonomy has one.
    pub fn class_of(&self, hw: &Hardware) -> Option<ClassId> {
        let symbols = self.priced.symbols();
        self.priced.taxonomy().classify(hw, symbols)
    }

    /// The taxonomy.
    pub fn taxonomy(&self) -> &Taxonomy {
        self.priced.taxonomy()
    }

    /// The engine's current reference of the class named by `class_sym`, per slot of `units`
    /// class units; `None` before the model has published one.
    pub fn reference_per_slot(&self, class_sym: Sym, units: u64) -> Option<u64> {
        let unit = self.priced.engine().reference_nano(class_sym)?;
        Some(unit.saturating_mul(units.max(1)))
    }

    /// The model's reference for `class`, nano-units per class unit.
    pub fn model_reference(&self, class: ClassId) -> Option<u64> {
        self.priced.model().expect("a market is priced").reference_nano(class)
    }

    /// Deals the engine made so far.
    pub fn deals(&self) -> u64 {
        self.priced.engine().deals()
    }
}
