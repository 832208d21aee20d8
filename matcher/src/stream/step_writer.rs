//! [`StepWriter`]: the event side of the codec — numbers and writes the events of one step as
//! JSON lines and keeps the replay's tallies ([`ReplayStats`]).
//!
//! A step is one input line's command with every event it caused: its own events first, then
//! those of any commands a driver generated in the same step (the references a pricing model
//! publishes). Both drivers of the order stream — [`super::Replay`] here and the priced line
//! replay of the pricing crate — write through this one type, so a stream gives the same bytes
//! whichever of them replays it.

use std::collections::BTreeMap;

use super::{EventWriter, RejectContext};
use crate::engine::Engine;
use crate::event::{Event, IdLookup, OrderRef, RejectReason};
use crate::hardware::Sym;
use crate::symbols::Symbols;

/// The engine's ids with the name table, so events can name classes.
struct Names<'a> {
    engine: &'a Engine,
    symbols: &'a Symbols,
}

impl IdLookup for Names<'_> {
    fn order_id(&self, order: OrderRef) -> &str {
        self.engine.order_id(order)
    }

    fn class_name(&self, class: Sym) -> Option<&str> {
        Some(self.symbols.name(class))
    }
}

/// Tallies of a replay so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Lines read.
    pub lines: u64,
    /// Lines that became commands the engine applied.
    pub applied: u64,
    /// Deals made.
    pub deals: u64,
    /// Slots traded.
    pub slots: u64,
    /// Slot-milliseconds traded (Σ qty × duration).
    pub slot_ms: u128,
    /// Value traded, in nano-units × ms / hour units: Σ price × qty × duration_ms. Divide by
    /// 3,600,000 for nano-units ([`ReplayStats::value_nano`]).
    pub value_nano_ms_per_hour: u128,
    /// Rejected lines by reason.
    pub rejected: BTreeMap<RejectReason, u64>,
}

impl ReplayStats {
    /// Total value traded in nano-units (floored once, over the exact sum).
    pub fn value_nano(&self) -> u128 {
        self.value_nano_ms_per_hour / 3_600_000
    }

    /// Number of rejected lines.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// The line a step came from, to name it in a `rejected` event.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepSource<'a> {
    /// The line number (from 1).
    pub line_no: u64,
    /// The command's id, if it has one.
    pub id: Option<&'a str>,
    /// Why the driver refused the command before the engine saw it; `None` when the engine
    /// decided (a capacity rejection then names its configured bound).
    pub detail: Option<&'a str>,
}

/// Numbers and writes events, and keeps the tallies.
#[derive(Debug, Clone, Default)]
pub struct StepWriter {
    writer: EventWriter,
    stats: ReplayStats,
}

impl StepWriter {
    /// A writer whose first event gets `seq` 1, with empty tallies.
    pub fn new() -> StepWriter {
        StepWriter::default()
    }

    /// A writer going on after `written` events (a driver restored from a snapshot), with
    /// empty tallies.
    pub fn resuming_after(written: u64) -> StepWriter {
        StepWriter { writer: EventWriter::resuming_after(written), stats: ReplayStats::default() }
    }

    /// Events written so far.
    pub fn events_written(&self) -> u64 {
        self.writer.written()
    }

    /// Tallies so far.
    pub fn stats(&self) -> &ReplayStats {
        &self.stats
    }

    /// Counts the step of line `source`, whose events are `events`, and appends them to `out`
    /// (unless `out` is `None`: a caller that only wants the tallies; the events are numbered
    /// all the same, so the state a snapshot saves does not depend on whether they were). The command's own
    /// rejection can only be its first event (a rejected command causes nothing else); a
    /// rejection later in the step is a generated command's, which no line holds.
    pub fn step(
        &mut self,
        engine: &Engine,
        symbols: &Symbols,
        source: StepSource<'_>,
        events: &[Event],
        mut out: Option<&mut Vec<u8>>,
    ) {
        self.stats.lines += 1;
        if !matches!(events.first(), Some(Event::Rejected { .. })) {
            self.stats.applied += 1;
        }
        // Every event of a step happens at the engine's time after the command: generated
        // commands are applied at that very time.
        let now_ms = engine.now_ms();
        let names = Names { engine, symbols };
        for (at, event) in events.iter().enumerate() {
            let mut context = RejectContext::default();
            let detail;
            match *event {
                Event::Rejected { reason } => {
                    *self.stats.rejected.entry(reason).or_default() += 1;
                    // The engine names a bound; its value is the configuration's.
                    detail = match reason {
                        RejectReason::Capacity(bound) => {
                            Some(bound.detail(engine.config().bound(bound)))
                        }
                        _ => None,
                    };
                    context = match at {
                        0 => RejectContext {
                            id: source.id,
                            line: Some(source.line_no),
                            detail: source.detail.or(detail.as_deref()),
                        },
                        _ => RejectContext { id: None, line: None, detail: detail.as_deref() },
                    };
                }
                Event::Deal(deal) => self.count_deal(&deal),
                _ => {}
            }
            if let Some(out) = out.as_deref_mut() {
                self.writer.write(out, now_ms, event, &names, context);
            }
        }
        if out.is_none() {
            self.skip(events.len());
        }
    }

    /// Numbers `events` events that are not written.
    fn skip(&mut self, events: usize) {
        self.writer = EventWriter::resuming_after(self.writer.written() + events as u64);
    }

    fn count_deal(&mut self, deal: &crate::event::Deal) {
        self.stats.deals += 1;
        self.stats.slots += deal.qty;
        let duration_ms = u128::from(deal.end_ms - deal.start_ms);
        let slot_ms = u128::from(deal.qty) * duration_ms;
        self.stats.slot_ms += slot_ms;
        self.stats.value_nano_ms_per_hour = self
            .stats
            .value_nano_ms_per_hour
            .saturating_add(slot_ms.saturating_mul(u128::from(deal.price_nano)));
    }

    /// Counts a line that never became a command (unreadable, too long, undecodable) and
    /// appends its `rejected` event to `out`, if given.
    pub fn reject(
        &mut self,
        engine: &Engine,
        reason: RejectReason,
        context: RejectContext<'_>,
        out: Option<&mut Vec<u8>>,
    ) {
        self.stats.lines += 1;
        *self.stats.rejected.entry(reason).or_default() += 1;
        match out {
            Some(out) => self.writer.write(
                out,
                engine.now_ms(),
                &Event::Rejected { reason },
                engine,
                context,
            ),
            None => self.skip(1),
        }
    }
}
