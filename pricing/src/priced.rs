//! [`PricedEngine`]: the matching engine with an optional pricing model applied inside each
//! step — the one step API every driver uses (the line replay, the simulator, the node).
//!
//! A step applies one command and returns every event it caused. Under a model: complete the
//! command's peg (`prepare.rs`); apply it; feed its deals to the model; give the model the time
//! and, every `book_interval_ms`, a fresh [`BookSummary`]; then publish every class reference
//! that moved to the engine as a `reference` command, in class order, which re-prices that
//! class's pegged orders in the same step. Deals caused by re-pricing reach the model at once,
//! but the references they move are published at the next step, so one step never loops.
//! Without a model a step is the engine's own step, and `reference` commands are applied as
//! given.
//!
//! A rejected command changes nothing, here as in the engine: it does not reach the model,
//! advance its time or publish a reference. (Names a rejected line brought are the codec's
//! business: `line_replay.rs` forgets them.)
//!
//! Lines, event rendering and tallies are not here: this type knows commands and events only.
//! Its state — engine, name table, model, and the driver's own `PricingState` — is plain
//! data, so a later snapshot can copy it whole. Deterministic like the engine: no clock, no
//! I/O, no hash-map order in outputs.

use gridbook_matcher::{Command, Engine, EngineConfig, Event, RejectReason, Sym, Symbols};

pub use snapshot::{PricedCopy, PricedSnapshotError};

use crate::book::{BookNeeds, BookSummary};
use crate::fixed::{div_round, saturate_u64};
use crate::model::PricingModel;
use crate::prepare::{prepare, ClassCache};
use crate::tape::{moved_enough, ClassTape, DealRow, PriceRow, PUBLISH_STEP_BPS_DEFAULT};
use crate::taxonomy::{ClassId, Taxonomy};

/// Marks an order that is not an ask of a known class.
const NO_CLASS: u32 = u32::MAX;

/// How a [`PricedEngine`] prices and what it keeps for its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedOptions {
    /// Engine time between two book summaries given to the model (and two price rows), ms;
    /// at least 1.
    pub book_interval_ms: u64,
    /// Smallest move, in basis points of the last published value, that is published to the
    /// engine (0: every change). See [`PUBLISH_STEP_BPS_DEFAULT`].
    pub publish_step_bps: u64,
    /// Keep price rows for [`PricedEngine::take_rows`] (off by default: unread, they would
    /// grow with the stream).
    pub record_rows: bool,
    /// Keep deals for [`PricedEngine::take_deals`] (off by default, for the same reason).
    pub record_deals: bool,
}

impl Default for PricedOptions {
    fn default() -> PricedOptions {
        PricedOptions {
            book_interval_ms: 60_000,
            publish_step_bps: PUBLISH_STEP_BPS_DEFAULT,
            record_rows: false,
            record_deals: false,
        }
    }
}

/// What the driver remembers between steps, besides the engine and the model.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct PricingState {
    /// When the next book summary is due; `None` before the first step.
    next_book_ms: Option<u64>,
    /// By arrival number: the class of each accepted ask and its units per slot.
    order_class: Vec<(u32, u32)>,
    /// By class.
    tapes: Vec<ClassTape>,
    /// Slots of every accepted bid, for fill rates.
    bid_slots_accepted: u64,
    /// Kept for the caller (with the options' `record_rows` / `record_deals`); outputs, not
    /// state: a snapshot leaves them out.
    #[serde(skip)]
    rows: Vec<PriceRow>,
    #[serde(skip)]
    deals: Vec<DealRow>,
}

/// The engine, its name table and taxonomy, and optionally a pricing model inside each step.
pub struct PricedEngine {
    engine: Engine,
    symbols: Symbols,
    taxonomy: Taxonomy,
    model: Option<Box<dyn PricingModel>>,
    options: PricedOptions,
    state: PricingState,
    /// Rebuilt at each book interval; scratch, not state.
    summary: BookSummary,
    classes: ClassCache,
    /// Every event of the last step (reused, so a step allocates nothing for its events).
    events: Vec<Event>,
    /// Why the last step's command was refused before the engine saw it.
    refused: Option<String>,
}

impl PricedEngine {
    /// An empty engine with `config`, priced by `model` (none: a plain engine) under
    /// `taxonomy`, as `options` say.
    pub fn new(
        config: EngineConfig,
        taxonomy: Taxonomy,
        model: Option<Box<dyn PricingModel>>,
        options: PricedOptions,
    ) -> PricedEngine {
        let state =
            PricingState { tapes: ClassTape::for_classes(taxonomy.len()), ..Default::default() };
        let options =
            PricedOptions { book_interval_ms: options.book_interval_ms.max(1), ..options };
        PricedEngine {
            symbols: Symbols::with_names_max(config.names_max),
            engine: Engine::new(config),
            taxonomy,
            model,
            options,
            state,
            summary: BookSummary::default(),
            classes: ClassCache::default(),
            events: Vec::with_capacity(64),
            refused: None,
        }
    }

    /// An empty engine with `config` and no model, under the default taxonomy.
    pub fn unpriced(config: EngineConfig) -> PricedEngine {
        PricedEngine::new(config, Taxonomy::default_taxonomy(), None, PricedOptions::default())
    }

    /// Applies `command` at `now_ms`: every event of the step, the command's own first, then
    /// those of each reference the model published in it, in the order the engine emitted
    /// them. A rejected command's step is its one `rejected` event.
    pub fn apply(&mut self, command: &Command, now_ms: u64) -> &[Event] {
        self.events.clear();
        self.refused = None;
        if self.model.is_none() {
            self.engine.apply_into(command, now_ms, &mut self.events);
            return &self.events;
        }
        match prepare(&self.classes, &self.taxonomy, &self.symbols, command) {
            Err(detail) => {
                self.events.push(Event::Rejected { reason: RejectReason::BadField });
                self.refused = Some(detail);
                return &self.events;
            }
            Ok(Some(prepared)) => self.engine.apply_into(&prepared, now_ms, &mut self.events),
            Ok(None) => self.engine.apply_into(command, now_ms, &mut self.events),
        }
        if matches!(self.events.first(), Some(Event::Rejected { .. })) {
            return &self.events;
        }
        self.record_accepted(command);
        self.feed_deals(0);
        let now_ms = self.engine.now_ms();
        self.advance_time(now_ms);
        self.publish(now_ms);
        &self.events
    }

    /// The events of the last step, as [`PricedEngine::apply`] returned them.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Why the last step's command was refused before it reached the engine (a peg to another
    /// class, a stream's own reference under a model); `None` if it was not.
    pub fn refusal(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// The engine, for questions about the book.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The name table (GPU models, TEE kinds, regions, classes).
    pub fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// The name table, for the codec that decodes lines into it.
    pub(crate) fn symbols_mut(&mut self) -> &mut Symbols {
        &mut self.symbols
    }

    /// The symbol of `name`, interned if new, for callers that build commands directly.
    pub fn intern(&mut self, name: &str) -> Sym {
        self.symbols.intern(name)
    }

    /// The taxonomy.
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The model, if the engine is priced.
    pub fn model(&self) -> Option<&dyn PricingModel> {
        self.model.as_deref()
    }

    /// The options it was made with.
    pub fn options(&self) -> &PricedOptions {
        &self.options
    }

    /// Price rows produced since the last call (with the options' `record_rows`).
    pub fn take_rows(&mut self) -> Vec<PriceRow> {
        std::mem::take(&mut self.state.rows)
    }

    /// Deals seen since the last call (with the options' `record_deals`).
    pub fn take_deals(&mut self) -> Vec<DealRow> {
        std::mem::take(&mut self.state.deals)
    }

    /// Slots of every bid accepted so far (counted under a model).
    pub fn bid_slots_accepted(&self) -> u64 {
        self.state.bid_slots_accepted
    }

    /// The class of the ask accepted as `order` (arrival number), if it has one (known under
    /// a model).
    pub fn ask_class(&self, order: u32) -> Option<ClassId> {
        self.state
            .order_class
            .get(order as usize)
            .filter(|(c, _)| *c != NO_CLASS)
            .map(|(c, _)| ClassId(*c))
    }

    fn record_accepted(&mut self, command: &Command) {
        let accepted = self.events.iter().find_map(|event| match event {
            Event::Accepted { order } => Some(*order),
            _ => None,
        });
        let Some(order) = accepted else { return };
        if let Command::Bid(bid) = command {
            self.state.bid_slots_accepted += bid.qty;
        }
        let Command::Ask(ask) = command else { return };
        let entry = match self.classes.class_of(&self.taxonomy, &self.symbols, &ask.hw) {
            Some((class, units)) => (class.0, units),
            None => (NO_CLASS, 1),
        };
        let at = order.0 as usize;
        let order_class = &mut self.state.order_class;
        if order_class.len() <= at {
            order_class.resize(at + 1, (NO_CLASS, 1));
        }
        order_class[at] = entry;
    }

    /// Gives the model every deal among the step's events from `from` on.
    fn feed_deals(&mut self, from: usize) {
        let now_ms = self.engine.now_ms();
        let model = self.model.as_deref_mut().expect("only a priced step feeds deals");
        for event in &self.events[from..] {
            let Event::Deal(deal) = event else { continue };
            // Every accepted ask was recorded, with its class or NO_CLASS.
            let (class, units_per_slot) = *self
                .state
                .order_class
                .get(deal.ask.0 as usize)
                .expect("a deal's ask was accepted, and every accepted ask is recorded");
            if class == NO_CLASS {
                continue;
            }
            let units = deal.qty.saturating_mul(u64::from(units_per_slot));
            // Rounded as `Taxonomy::normalise_nano` rounds (units_per_slot ≥ 1).
            let per = u128::from(units_per_slot.max(1));
            let unit_price_nano =
                div_round(u128::from(deal.price_nano), per).map_or(deal.price_nano, saturate_u64);
            model.on_deal(ClassId(class), unit_price_nano, units, now_ms);
            let tape = &mut self.state.tapes[class as usize];
            tape.stale = true;
            tape.last_deal_nano = Some(unit_price_nano);
            tape.volume_units = tape.volume_units.saturating_add(units);
            if self.options.record_deals {
                self.state.deals.push((ClassId(class), unit_price_nano, units, now_ms));
            }
        }
    }

    /// Every `book_interval_ms`, a new book summary for the model, and a row per class.
    fn advance_time(&mut self, now_ms: u64) {
        let due = self.state.next_book_ms.is_none_or(|next| now_ms >= next);
        if !due {
            return;
        }
        let model = self.model.as_deref_mut().expect("only a priced step advances time");
        // The price rows print best bid and ask; otherwise the model decides.
        let rows =
            if self.options.record_rows { BookNeeds::BestPrices } else { BookNeeds::Nothing };
        let needs = model.book_needs().max(rows);
        self.summary.rebuild_for(&self.engine, &self.taxonomy, &self.symbols, needs);
        model.on_time(now_ms, &self.summary);
        for tape in &mut self.state.tapes {
            tape.stale = true;
        }
        self.state.next_book_ms = Some(now_ms.saturating_add(self.options.book_interval_ms));
        if !self.options.record_rows {
            return;
        }
        for (at, tape) in self.state.tapes.iter_mut().enumerate() {
            let class = ClassId(at as u32);
            let book = self.summary.class(class);
            self.state.rows.push(PriceRow {
                ts_ms: now_ms,
                class,
                reference_nano: model.reference_nano(class),
                best_bid_nano: book.and_then(|b| b.best_bid_nano()),
                best_ask_nano: book.and_then(|b| b.best_ask_nano()),
                last_deal_nano: tape.last_deal_nano,
                volume_units: std::mem::take(&mut tape.volume_units),
            });
        }
    }

    /// Sends every class reference that moved to the engine, in class order. Only stale
    /// classes are asked: a command without deals and without a book interval asks none, which
    /// is what keeps pricing cheap per command. A class made stale by the deals of a publication
    /// earlier in class order is looked at on the next command.
    fn publish(&mut self, now_ms: u64) {
        for at in 0..self.state.tapes.len() {
            let tape = &mut self.state.tapes[at];
            if !std::mem::take(&mut tape.stale) {
                continue;
            }
            let class = ClassId(at as u32);
            let model = self.model.as_deref().expect("only a priced step publishes");
            let Some(price_nano) = model.reference_nano(class) else { continue };
            if !moved_enough(tape.published_nano, price_nano, self.options.publish_step_bps) {
                continue;
            }
            tape.published_nano = Some(price_nano);
            let sym = match tape.sym {
                Some(sym) => sym,
                None => {
                    let sym = self.symbols.intern(&self.taxonomy.class(class).name);
                    self.state.tapes[at].sym = Some(sym);
                    sym
                }
            };
            let from = self.events.len();
            let reference = Command::Reference { class: sym, price_nano };
            self.engine.apply_into(&reference, now_ms, &mut self.events);
            self.feed_deals(from);
        }
    }
}

mod snapshot;
#[cfg(test)]
mod tests;
