//! [`Market`]: the real engine with the real pricing model inside it — a
//! [`gridbook_pricing::PricedReplay`] fed with commands the agents build — plus the name
//! lookups the agents need. Events are not rendered; the simulator reads them directly.

use gridbook_matcher::{Command, EngineConfig, Event, Hardware, Sym};
use gridbook_pricing::{model_by_name, ClassId, PricedReplay, Taxonomy};

use crate::scenario::PricingSection;
use crate::SimError;

/// The engine and pricing model of one run.
pub struct Market {
    priced: PricedReplay,
    scratch: Vec<u8>,
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
        let book_interval_ms = pricing.book_interval_s.saturating_mul(1000);
        let mut priced =
            PricedReplay::new(config, Taxonomy::default_taxonomy(), model, book_interval_ms);
        priced.set_write_events(false);
        priced.record_step_events(true);
        priced.set_publish_step_bps(pricing.publish_step_bps);
        Ok(Market { priced, scratch: Vec::new(), commands: 0 })
    }

    /// Applies `command` at `now_ms`; every event of the step, re-pricing included.
    pub fn apply(&mut self, now_ms: u64, command: Command) -> &[Event] {
        self.commands += 1;
        self.scratch.clear();
        self.priced.apply_command(self.commands, now_ms, command, &mut self.scratch);
        self.priced.step_events()
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
        self.priced.replay().decoder().symbols().name(sym)
    }

    /// The class of a slot's hardware, if the taxonomy has one.
    pub fn class_of(&self, hw: &Hardware) -> Option<ClassId> {
        let symbols = self.priced.replay().decoder().symbols();
        self.priced.taxonomy().classify(hw, symbols)
    }

    /// The taxonomy.
    pub fn taxonomy(&self) -> &Taxonomy {
        self.priced.taxonomy()
    }

    /// The engine's current reference of the class named by `class_sym`, per slot of `units`
    /// class units; `None` before the model has published one.
    pub fn reference_per_slot(&self, class_sym: Sym, units: u64) -> Option<u64> {
        let unit = self.priced.replay().engine().reference_nano(class_sym)?;
        Some(unit.saturating_mul(units.max(1)))
    }

    /// The model's reference for `class`, nano-units per class unit.
    pub fn model_reference(&self, class: ClassId) -> Option<u64> {
        self.priced.model().reference_nano(class)
    }

    /// Deals the engine made so far.
    pub fn deals(&self) -> u64 {
        self.priced.replay().engine().deals()
    }
}
