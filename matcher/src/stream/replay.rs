//! [`Replay`]: decode a line, apply it to the engine, write its events, keep the tallies.
//!
//! The command-line replay, the tests and the simulator all use this one driver, so a stream
//! gives the same bytes wherever it is replayed.

use std::collections::BTreeMap;

use super::{DecodeError, Decoder, EventWriter, RejectContext};
use crate::command::Command;
use crate::engine::{Engine, EngineConfig, SnapshotError};
use crate::event::{Event, IdLookup, OrderRef, RejectReason};
use crate::hardware::Sym;
use crate::symbols::{Symbols, SymbolsMark};

/// The engine's ids with the decoder's names, so events can name classes.
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

/// Drives an engine from lines of the order stream.
#[derive(Debug, Clone)]
pub struct Replay {
    decoder: Decoder,
    engine: Engine,
    writer: EventWriter,
    events: Vec<Event>,
    stats: ReplayStats,
    /// Whether events are rendered as JSON into `out`; off only to measure what the engine and
    /// its drivers cost without the rendering (benchmarks).
    write_events: bool,
}

impl Default for Replay {
    fn default() -> Replay {
        Replay::new(EngineConfig::default())
    }
}

impl Replay {
    /// A replay into an empty engine with `config`.
    pub fn new(config: EngineConfig) -> Replay {
        Replay {
            decoder: Decoder::with_names_max(config.names_max),
            engine: Engine::new(config),
            writer: EventWriter::new(),
            events: Vec::with_capacity(64),
            stats: ReplayStats::default(),
            write_events: true,
        }
    }

    /// A replay that goes on from a snapshot ([`Engine::restore_snapshot`], with `config`'s
    /// capacities); its tallies start at zero.
    pub fn restore_snapshot(bytes: &[u8], config: EngineConfig) -> Result<Replay, SnapshotError> {
        let (engine, symbols) = Engine::restore_snapshot(bytes, config)?;
        Ok(Replay { decoder: Decoder::with_symbols(symbols), engine, ..Replay::default() })
    }

    /// Appends the snapshot of this replay's engine and name table to `out`
    /// ([`Engine::write_snapshot`]).
    pub fn write_snapshot(&self, out: &mut Vec<u8>) {
        self.engine.write_snapshot(self.decoder.symbols(), out);
    }

    /// The engine, for questions about the book.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The decoder, for its name table.
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The events of the last command applied (to follow deals without parsing event lines).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The symbol of `name` in this replay's name table, interned if new (for commands built in
    /// code, such as the references a pricing model publishes).
    pub fn intern(&mut self, name: &str) -> Sym {
        self.decoder.intern(name)
    }

    /// Turns rendering events into `out` off (or back on). Everything else — tallies,
    /// [`Replay::events`] — is unchanged; benchmarks use it to time the engine and its drivers
    /// without the JSON writer.
    pub fn set_write_events(&mut self, write_events: bool) {
        self.write_events = write_events;
    }

    /// Tallies so far.
    pub fn stats(&self) -> &ReplayStats {
        &self.stats
    }

    /// Applies line number `line_no` (from 1, without its newline) and appends its events to
    /// `out`. A rejected line leaves nothing behind, not even the names it brought.
    pub fn line(&mut self, line_no: u64, line: &[u8], out: &mut Vec<u8>) {
        let mark = self.names_mark();
        match self.decode(line) {
            Ok((ts_ms, command)) => {
                self.apply(line_no, ts_ms, &command, out);
                if self.last_rejected() {
                    self.rollback_names(mark);
                }
            }
            Err(error) => {
                self.rollback_names(mark);
                self.reject_undecodable(line_no, &error, out);
            }
        }
    }

    /// The name table as it is now, for a driver that decodes a line and may reject it.
    pub fn names_mark(&self) -> SymbolsMark {
        self.decoder.symbols().mark()
    }

    /// Forgets the names interned since `mark`: the line decoded after it was rejected, so
    /// nothing refers to them (a rejected command changes nothing).
    pub fn rollback_names(&mut self, mark: SymbolsMark) {
        self.decoder.rollback(mark);
    }

    /// Whether the engine rejected the last command applied.
    pub fn last_rejected(&self) -> bool {
        matches!(self.events.first(), Some(Event::Rejected { .. }))
    }

    /// Reports line `line_no`, which [`Replay::decode`] refused with `error`.
    pub fn reject_undecodable(&mut self, line_no: u64, error: &DecodeError, out: &mut Vec<u8>) {
        let context = RejectContext {
            id: error.id.as_deref(),
            line: Some(line_no),
            detail: Some(&error.detail),
        };
        self.reject(error.reason, context, out);
    }

    /// Decodes a line with this replay's name table, without applying it (to look at a command
    /// before it happens, as `gridbook explain` does).
    pub fn decode(&mut self, line: &[u8]) -> Result<(u64, Command), DecodeError> {
        self.decoder.decode(line)
    }

    /// Applies a command decoded by [`Replay::decode`] from line `line_no`, at `ts_ms`, and
    /// appends its events to `out`.
    pub fn apply(&mut self, line_no: u64, ts_ms: u64, command: &Command, out: &mut Vec<u8>) {
        self.stats.lines += 1;
        self.apply_command(Some(line_no), ts_ms, command, out);
        if !self.last_rejected() {
            self.stats.applied += 1;
        }
    }

    /// Applies a command that no input line holds — such as a reference a pricing model
    /// publishes — and appends its events to `out`. It counts as neither a line nor an applied
    /// command; its deals count.
    pub fn apply_generated(&mut self, ts_ms: u64, command: &Command, out: &mut Vec<u8>) {
        self.apply_command(None, ts_ms, command, out);
    }

    fn apply_command(
        &mut self,
        line_no: Option<u64>,
        ts_ms: u64,
        command: &Command,
        out: &mut Vec<u8>,
    ) {
        self.events.clear();
        self.engine.apply_into(command, ts_ms, &mut self.events);
        let now_ms = self.engine.now_ms();
        for event in &self.events {
            let mut context = RejectContext::default();
            let detail;
            match *event {
                Event::Rejected { reason } => {
                    *self.stats.rejected.entry(reason).or_default() += 1;
                    // The engine names a bound; its value is the configuration's.
                    detail = match reason {
                        RejectReason::Capacity(bound) => {
                            Some(bound.detail(self.engine.config().bound(bound)))
                        }
                        _ => None,
                    };
                    let detail = detail.as_deref();
                    context = RejectContext { id: command.id(), line: line_no, detail };
                }
                Event::Deal(deal) => {
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
                _ => {}
            }
            if self.write_events {
                let names = Names { engine: &self.engine, symbols: self.decoder.symbols() };
                self.writer.write(out, now_ms, event, &names, context);
            }
        }
    }

    /// Reports a line that could not be read at all (for example, longer than the reader takes).
    pub fn reject(&mut self, reason: RejectReason, context: RejectContext<'_>, out: &mut Vec<u8>) {
        self.stats.lines += 1;
        *self.stats.rejected.entry(reason).or_default() += 1;
        let now_ms = self.engine.now_ms();
        self.writer.write(out, now_ms, &Event::Rejected { reason }, &self.engine, context);
    }
}
