//! [`PricedReplay`]: the matching engine with a pricing model applied inside each engine step.
//!
//! For every line: decode it; refuse `reference` lines (the model owns the references);
//! prepare pegged orders (an ask's peg class must be its own class;
//! a peg's reference is the class's unit reference × the order's units per slot); apply it;
//! feed its deals to the model; give the model the time and, every `book_interval_ms`, a fresh
//! [`BookSummary`]; then publish every class reference that moved to the engine as a
//! `reference` command, in class order, which re-prices that class's pegged orders in the same
//! step. Deals caused by re-pricing reach the model at once, but the references they move are
//! published at the next step, so one step never loops.
//!
//! A rejected command changes nothing, here as in the engine: it does not reach the model,
//! advance its time or publish a reference, and a rejected line's names are forgotten. So the
//! accepted lines of any stream give the events a stream without the rejected lines gives.
//!
//! Deterministic like the engine: no clock, no I/O, no hash-map order in outputs.

use gridbook_matcher::stream::{DecodeError, RejectContext, Replay};
use std::collections::HashMap;

use gridbook_matcher::{Command, EngineConfig, Event, Hardware, Price, RejectReason, Sym};

use crate::book::{bid_units_per_slot, BookNeeds, BookSummary};
use crate::fixed::{div_round, saturate_u64};
use crate::model::PricingModel;
use crate::taxonomy::{ClassId, Taxonomy};

/// Marks an order that is not an ask of a known class.
const NO_CLASS: u32 = u32::MAX;

/// Most machines whose class is cached; the cache is emptied when it is full (it only saves
/// classifying a machine again, so emptying it changes no output).
const HW_CLASS_CACHED_MAX: usize = 4096;

/// One row of the reference price series: a class at the end of a book interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    /// Engine time of the row, ms.
    pub ts_ms: u64,
    /// The class.
    pub class: ClassId,
    /// The model's reference, nano-units per class unit.
    pub reference_nano: Option<u64>,
    /// Best resting bid and ask, per class unit.
    pub best_bid_nano: Option<u64>,
    /// Best resting ask, per class unit.
    pub best_ask_nano: Option<u64>,
    /// Price of the class's last deal so far, per class unit.
    pub last_deal_nano: Option<u64>,
    /// Units traded in the class since the previous row.
    pub volume_units: u64,
}

/// Per-class running figures for the price series.
#[derive(Debug, Clone, Copy, Default)]
struct ClassTape {
    /// The model may have moved this class's reference since `publish` last looked: set by a
    /// deal of the class and by every `on_time`, the only calls that change a reference.
    stale: bool,
    published_nano: Option<u64>,
    last_deal_nano: Option<u64>,
    volume_units: u64,
    sym: Option<Sym>,
}

/// A replay whose references come from a pricing model.
pub struct PricedReplay {
    replay: Replay,
    taxonomy: Taxonomy,
    model: Box<dyn PricingModel>,
    summary: BookSummary,
    book_interval_ms: u64,
    next_book_ms: Option<u64>,
    /// By arrival number: the class of each accepted ask and its units per slot.
    order_class: Vec<(u32, u32)>,
    tapes: Vec<ClassTape>,
    rows: Vec<PriceRow>,
    /// Deals seen, as (class, unit price, units), for callers measuring models.
    deals: Vec<(ClassId, u64, u64, u64)>,
    /// Whether rows and deals are kept for the caller.
    record_rows: bool,
    record_deals: bool,
    /// Slots of every accepted bid, for fill rates.
    bid_slots_accepted: u64,
    /// Smallest move, in basis points of the last published value, that is published.
    publish_step_bps: u64,
    /// Class and units per slot of machines of accepted asks (looked up, never iterated; at
    /// most [`HW_CLASS_CACHED_MAX`]).
    hw_class: HashMap<Hardware, Option<(ClassId, u32)>>,
    /// With `record_step_events`: every event of the last `apply_command`, re-pricing included.
    step_events: Vec<Event>,
    record_step_events: bool,
}

/// Default publication step: a reference reaches the engine (and re-prices its pegged orders)
/// once it has moved by 0.1 % since it was last published. Models such as vwap move their
/// reference a little with every deal; re-pricing every pegged order of a class after every
/// deal would cost more than the matching itself, for moves far smaller than any price a
/// person would act on.
pub const PUBLISH_STEP_BPS_DEFAULT: u64 = 10;

impl PricedReplay {
    /// A replay into an empty engine, priced by `model` under `taxonomy`, with a book summary
    /// every `book_interval_ms` of engine time.
    pub fn new(
        config: EngineConfig,
        taxonomy: Taxonomy,
        model: Box<dyn PricingModel>,
        book_interval_ms: u64,
    ) -> PricedReplay {
        // Stale from the start, so the first step asks every class (none has a reference yet).
        let tapes = vec![ClassTape { stale: true, ..ClassTape::default() }; taxonomy.len()];
        PricedReplay {
            replay: Replay::new(config),
            taxonomy,
            model,
            summary: BookSummary::default(),
            book_interval_ms: book_interval_ms.max(1),
            next_book_ms: None,
            order_class: Vec::new(),
            tapes,
            rows: Vec::new(),
            deals: Vec::new(),
            record_rows: false,
            record_deals: false,
            bid_slots_accepted: 0,
            publish_step_bps: PUBLISH_STEP_BPS_DEFAULT,
            hw_class: HashMap::new(),
            step_events: Vec::new(),
            record_step_events: false,
        }
    }

    /// Keep every event of each [`PricedReplay::apply_command`] — the command's own, then those
    /// of each reference it published — for [`PricedReplay::step_events`] (off by default).
    /// Callers that act on events without rendering them (the simulator) need the deals caused
    /// by re-pricing too, which [`Replay::events`] alone loses to the next publication.
    pub fn record_step_events(&mut self, record: bool) {
        self.record_step_events = record;
    }

    /// The events of the last [`PricedReplay::apply_command`] (with
    /// [`PricedReplay::record_step_events`]), in the order the engine emitted them.
    pub fn step_events(&self) -> &[Event] {
        &self.step_events
    }

    /// The symbol of `name` in this replay's name table (GPU models, TEE kinds, regions,
    /// classes), for callers that build commands directly instead of decoding lines.
    pub fn intern(&mut self, name: &str) -> Sym {
        self.replay.intern(name)
    }

    /// Publishes a class reference to the engine only once it has moved by at least `bps`
    /// basis points since it was last published (0: on every change). See
    /// [`PUBLISH_STEP_BPS_DEFAULT`].
    pub fn set_publish_step_bps(&mut self, bps: u64) {
        self.publish_step_bps = bps;
    }

    /// The class of `hw` and its units per slot, without remembering it: the command may yet
    /// be rejected, and a rejected command leaves nothing behind.
    fn classify(&self, hw: &Hardware) -> Option<(ClassId, u32)> {
        if let Some(known) = self.hw_class.get(hw) {
            return *known;
        }
        let symbols = self.replay.decoder().symbols();
        self.taxonomy
            .classify(hw, symbols)
            .map(|class| (class, self.taxonomy.class(class).unit.units_per_slot(hw) as u32))
    }

    /// The class of the machine of an accepted ask, classified once per distinct machine.
    fn class_of(&mut self, hw: &Hardware) -> Option<(ClassId, u32)> {
        let found = self.classify(hw);
        if !self.hw_class.contains_key(hw) {
            if self.hw_class.len() >= HW_CLASS_CACHED_MAX {
                self.hw_class.clear();
            }
            self.hw_class.insert(*hw, found);
        }
        found
    }

    /// The underlying replay (engine, decoder, tallies).
    pub fn replay(&self) -> &Replay {
        &self.replay
    }

    /// The taxonomy.
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The model.
    pub fn model(&self) -> &dyn PricingModel {
        self.model.as_ref()
    }

    /// Keep price rows for [`PricedReplay::take_rows`] (off by default: unread, they would
    /// grow with the stream).
    pub fn record_rows(&mut self, record: bool) {
        self.record_rows = record;
    }

    /// Keep deals for [`PricedReplay::take_deals`] (off by default, for the same reason).
    pub fn record_deals(&mut self, record: bool) {
        self.record_deals = record;
    }

    /// Price rows produced since the last call (with [`PricedReplay::record_rows`]).
    pub fn take_rows(&mut self) -> Vec<PriceRow> {
        std::mem::take(&mut self.rows)
    }

    /// Deals seen since the last call: (class, unit price, units, ts_ms).
    pub fn take_deals(&mut self) -> Vec<(ClassId, u64, u64, u64)> {
        std::mem::take(&mut self.deals)
    }

    /// Slots of every bid accepted so far.
    pub fn bid_slots_accepted(&self) -> u64 {
        self.bid_slots_accepted
    }

    /// The class of the ask accepted as `order` (arrival number), if it has one.
    pub fn ask_class(&self, order: u32) -> Option<ClassId> {
        self.order_class
            .get(order as usize)
            .filter(|(c, _)| *c != NO_CLASS)
            .map(|(c, _)| ClassId(*c))
    }

    /// Decodes a line with this replay's name table, without applying it.
    pub fn decode(&mut self, line: &[u8]) -> Result<(u64, Command), DecodeError> {
        self.replay.decode(line)
    }

    /// Decodes `line` as a question — an order that is not applied (a price probe, a bid to
    /// quote) — and answers it with `answer`, then forgets every name the line brought: a name
    /// the market has never seen matches nothing, and asking leaves the name table as it was.
    pub fn probe<T>(
        &mut self,
        line: &[u8],
        answer: impl FnOnce(&PricedReplay, Command) -> T,
    ) -> Result<T, DecodeError> {
        let mark = self.replay.names_mark();
        let answered = self.replay.decode(line).map(|(_, command)| answer(self, command));
        self.replay.rollback_names(mark);
        answered
    }

    /// Reports a line that could not be read at all (for example, too long).
    pub fn reject(&mut self, reason: RejectReason, context: RejectContext<'_>, out: &mut Vec<u8>) {
        self.replay.reject(reason, context, out);
    }

    /// Applies line `line_no` and appends its events (and those of any re-pricing) to `out`.
    /// A rejected line leaves nothing behind, not even the names it brought.
    pub fn line(&mut self, line_no: u64, line: &[u8], out: &mut Vec<u8>) {
        self.accept_line(line_no, line, out);
    }

    /// [`PricedReplay::line`], saying whether the line was accepted.
    pub fn accept_line(&mut self, line_no: u64, line: &[u8], out: &mut Vec<u8>) -> bool {
        let mark = self.replay.names_mark();
        let accepted = match self.replay.decode(line) {
            Ok((ts_ms, command)) => self.step(line_no, ts_ms, command, out),
            // Reported exactly as an unpriced replay reports it, without decoding again.
            Err(error) => {
                self.replay.reject_undecodable(line_no, &error, out);
                false
            }
        };
        if !accepted {
            self.replay.rollback_names(mark);
        }
        accepted
    }

    /// Turns rendering events as JSON into `out` off (or back on); see
    /// [`Replay::set_write_events`]. Pricing, tallies and price rows are unchanged.
    pub fn set_write_events(&mut self, write_events: bool) {
        self.replay.set_write_events(write_events);
    }

    /// Applies a command already decoded (with this replay's symbols, see
    /// [`PricedReplay::decode`]) from line `line_no` at `ts_ms`, as [`PricedReplay::line`]
    /// does after decoding: prepare its peg, apply it, feed its deals to the model, advance the
    /// model's time, publish moved references. Its events and those of any re-pricing are
    /// appended to `out`.
    pub fn apply_command(&mut self, line_no: u64, ts_ms: u64, command: Command, out: &mut Vec<u8>) {
        self.step(line_no, ts_ms, command, out);
    }

    /// [`PricedReplay::apply_command`]; whether the command was accepted. A rejected one stops
    /// at its rejection: the model sees no time pass and nothing is published.
    fn step(&mut self, line_no: u64, ts_ms: u64, mut command: Command, out: &mut Vec<u8>) -> bool {
        self.step_events.clear();
        if let Err(detail) = self.prepare(&mut command) {
            let id = command.id();
            let context = RejectContext { id, line: Some(line_no), detail: Some(&detail) };
            if self.record_step_events {
                self.step_events.push(Event::Rejected { reason: RejectReason::BadField });
            }
            self.replay.reject(RejectReason::BadField, context, out);
            return false;
        }
        self.replay.apply(line_no, ts_ms, &command, out);
        self.keep_step_events();
        if self.replay.last_rejected() {
            return false;
        }
        self.record_accepted(&command);
        self.feed_deals();
        let now_ms = self.replay.engine().now_ms();
        self.advance_time(now_ms);
        self.publish(now_ms, out);
        true
    }

    /// Checks and completes a pegged order: an ask may only peg to its own class; a peg's
    /// reference is scaled to the order's units per slot.
    fn prepare(&mut self, command: &mut Command) -> Result<(), String> {
        match command {
            Command::Ask(ask) => {
                let Price::Pegged(peg) = &mut ask.price else { return Ok(()) };
                let (hw, peg_class) = (ask.hw, peg.class);
                let own = self.classify(&hw);
                let symbols = self.replay.decoder().symbols();
                let named = self.taxonomy.find(symbols.name(peg_class));
                match own {
                    Some((class, units)) if Some(class) == named => {
                        peg.units = units;
                        Ok(())
                    }
                    Some((class, _)) => Err(format!(
                        "peg.class: an ask pegs to its own class, {}, not {}",
                        self.taxonomy.class(class).name,
                        symbols.name(peg_class)
                    )),
                    None => Err("peg.class: the ask's hardware belongs to no class".into()),
                }
            }
            Command::Bid(bid) => {
                let Price::Pegged(peg) = &mut bid.limit else { return Ok(()) };
                let symbols = self.replay.decoder().symbols();
                let Some(class) = self.taxonomy.find(symbols.name(peg.class)) else {
                    return Err(format!("peg.class: no class named {}", symbols.name(peg.class)));
                };
                let unit = self.taxonomy.class(class).unit;
                peg.units = bid_units_per_slot(unit, &bid.req) as u32;
                Ok(())
            }
            Command::Reference { .. } => Err(
                "reference: with a pricing model the model sets the references; a stream's own \
                 reference lines are refused rather than mixed with it"
                    .into(),
            ),
            _ => Ok(()),
        }
    }

    fn record_accepted(&mut self, command: &Command) {
        let accepted = self.replay.events().iter().find_map(|event| match event {
            Event::Accepted { order } => Some(*order),
            _ => None,
        });
        let Some(order) = accepted else { return };
        if let Command::Bid(bid) = command {
            self.bid_slots_accepted += bid.qty;
        }
        let Command::Ask(ask) = command else { return };
        let entry = match self.class_of(&ask.hw) {
            Some((class, units)) => (class.0, units),
            None => (NO_CLASS, 1),
        };
        let at = order.0 as usize;
        if self.order_class.len() <= at {
            self.order_class.resize(at + 1, (NO_CLASS, 1));
        }
        self.order_class[at] = entry;
    }

    fn keep_step_events(&mut self) {
        if self.record_step_events {
            self.step_events.extend_from_slice(self.replay.events());
        }
    }

    /// Gives the model every deal of the last applied command.
    fn feed_deals(&mut self) {
        let now_ms = self.replay.engine().now_ms();
        for event in self.replay.events() {
            let Event::Deal(deal) = event else { continue };
            // Every accepted ask was recorded, with its class or NO_CLASS.
            let (class, units_per_slot) = *self
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
            self.model.on_deal(ClassId(class), unit_price_nano, units, now_ms);
            let tape = &mut self.tapes[class as usize];
            tape.stale = true;
            tape.last_deal_nano = Some(unit_price_nano);
            tape.volume_units = tape.volume_units.saturating_add(units);
            if self.record_deals {
                self.deals.push((ClassId(class), unit_price_nano, units, now_ms));
            }
        }
    }

    /// Every `book_interval_ms`, a new book summary for the model, and a row per class.
    fn advance_time(&mut self, now_ms: u64) {
        let due = self.next_book_ms.is_none_or(|next| now_ms >= next);
        if !due {
            return;
        }
        let symbols = self.replay.decoder().symbols();
        // The price rows print best bid and ask; otherwise the model decides.
        let rows = if self.record_rows { BookNeeds::BestPrices } else { BookNeeds::Nothing };
        let needs = self.model.book_needs().max(rows);
        self.summary.rebuild_for(self.replay.engine(), &self.taxonomy, symbols, needs);
        self.model.on_time(now_ms, &self.summary);
        for tape in &mut self.tapes {
            tape.stale = true;
        }
        self.next_book_ms = Some(now_ms.saturating_add(self.book_interval_ms));
        if !self.record_rows {
            return;
        }
        for (at, tape) in self.tapes.iter_mut().enumerate() {
            let class = ClassId(at as u32);
            let book = self.summary.class(class);
            self.rows.push(PriceRow {
                ts_ms: now_ms,
                class,
                reference_nano: self.model.reference_nano(class),
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
    /// earlier in class order is looked at on the next command, as before this shortcut.
    fn publish(&mut self, now_ms: u64, out: &mut Vec<u8>) {
        for at in 0..self.tapes.len() {
            if !std::mem::take(&mut self.tapes[at].stale) {
                continue;
            }
            let class = ClassId(at as u32);
            let Some(price_nano) = self.model.reference_nano(class) else { continue };
            if !moved_enough(self.tapes[at].published_nano, price_nano, self.publish_step_bps) {
                continue;
            }
            let reference = Some(price_nano);
            self.tapes[at].published_nano = reference;
            let sym = match self.tapes[at].sym {
                Some(sym) => sym,
                None => {
                    let sym = self.replay.intern(&self.taxonomy.class(class).name);
                    self.tapes[at].sym = Some(sym);
                    sym
                }
            };
            self.replay.apply_generated(
                now_ms,
                &Command::Reference { class: sym, price_nano },
                out,
            );
            self.keep_step_events();
            self.feed_deals();
        }
    }
}

/// Whether `now_nano` differs from the `published` reference by at least `step_bps` basis
/// points of it (any change when `step_bps` is 0; always when nothing was published).
fn moved_enough(published: Option<u64>, now_nano: u64, step_bps: u64) -> bool {
    match published {
        None => true,
        Some(published) if published == now_nano => false,
        Some(published) => {
            let moved = u128::from(published.abs_diff(now_nano)) * 10_000;
            moved >= u128::from(step_bps) * u128::from(published)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::moved_enough;
    use super::*;
    use crate::config::PricingConfig;
    use crate::model::model_by_name;
    use gridbook_matcher::stream::encode_command;
    use gridbook_matcher::workload::{Workload, WorkloadConfig};
    use gridbook_matcher::EngineConfig;

    /// The rule `publish` relies on to skip classes: after every command, a class it did not
    /// look at has no unpublished move — whatever the model, on a pegged market, publishing
    /// every change.
    #[test]
    fn a_class_publish_skips_never_holds_an_unpublished_move() {
        for name in crate::model::MODEL_NAMES {
            let taxonomy = Taxonomy::default_taxonomy();
            let model = model_by_name(name, &PricingConfig::default()).expect("known model");
            let mut priced =
                PricedReplay::new(EngineConfig::default(), taxonomy.clone(), model, 50);
            priced.set_publish_step_bps(0);
            let config = WorkloadConfig {
                seed: 5,
                resting: 400,
                orders: 4000,
                pegged_percent: 30,
                ..Default::default()
            };
            let mut workload = Workload::with_classes(config, &taxonomy);
            let (mut out, mut line_no) = (Vec::new(), 0);
            while let Some((ts_ms, command)) = workload.next() {
                line_no += 1;
                let line = encode_command(workload.symbols(), ts_ms, &command);
                out.clear();
                priced.line(line_no, line.as_bytes(), &mut out);
                for (at, tape) in priced.tapes.iter().enumerate() {
                    let reference = priced.model.reference_nano(ClassId(at as u32));
                    if let (false, Some(reference)) = (tape.stale, reference) {
                        assert!(
                            !moved_enough(tape.published_nano, reference, 0),
                            "{name}, line {line_no}, class {at}: moved but not stale"
                        );
                    }
                }
            }
            assert!(priced.replay().stats().deals > 100, "{name}: the market trades");
        }
    }

    #[test]
    fn a_reference_is_published_once_it_moves_by_the_step() {
        assert!(moved_enough(None, 5, 10));
        assert!(!moved_enough(Some(1_000_000), 1_000_000, 0));
        assert!(moved_enough(Some(1_000_000), 1_000_001, 0));
        assert!(!moved_enough(Some(1_000_000), 1_000_999, 10));
        assert!(moved_enough(Some(1_000_000), 1_001_000, 10));
        assert!(moved_enough(Some(1_000_000), 999_000, 10));
        assert!(!moved_enough(Some(1_000_000), 999_001, 10));
    }
}
