//! [`Replay`]: the unpriced line driver — decode a line, apply it to the engine, write its
//! events, keep the tallies.
//!
//! The matcher's own tests drive an engine without a pricing model through
//! it (`gridbook explain` goes through the pricing crate's `LineReplay`, to start from a
//! snapshot). It is built from the same two halves as the priced line replay of the pricing
//! crate ([`super::decode_line`] and [`super::StepWriter`]), so a stream gives the same bytes
//! through either.

use super::{decode_line, DecodeError, RejectContext, ReplayStats, StepSource, StepWriter};
use crate::command::Command;
use crate::engine::{Engine, EngineConfig};
use crate::event::{Event, RejectReason};
use crate::hardware::Sym;
use crate::symbols::Symbols;

/// Drives an engine from lines of the order stream.
#[derive(Debug, Clone)]
pub struct Replay {
    symbols: Symbols,
    engine: Engine,
    writer: StepWriter,
    events: Vec<Event>,
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
            symbols: Symbols::with_names_max(config.names_max),
            engine: Engine::new(config),
            writer: StepWriter::new(),
            events: Vec::with_capacity(64),
        }
    }

    /// The engine, for questions about the book.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The name table the lines' names were interned into.
    pub fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// The events of the last command applied (to follow deals without parsing event lines).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The symbol of `name` in this replay's name table, interned if new (for commands built in
    /// code).
    pub fn intern(&mut self, name: &str) -> Sym {
        self.symbols.intern(name)
    }

    /// Tallies so far.
    pub fn stats(&self) -> &ReplayStats {
        self.writer.stats()
    }

    /// Applies line number `line_no` (from 1, without its newline) and appends its events to
    /// `out`. A rejected line leaves nothing behind, not even the names it brought.
    pub fn line(&mut self, line_no: u64, line: &[u8], out: &mut Vec<u8>) {
        let mark = self.symbols.mark();
        match self.decode(line) {
            Ok((ts_ms, command)) => {
                self.apply(line_no, ts_ms, &command, out);
                if matches!(self.events.first(), Some(Event::Rejected { .. })) {
                    self.symbols.rollback(mark);
                }
            }
            Err(error) => {
                self.symbols.rollback(mark);
                self.reject_undecodable(line_no, &error, out);
            }
        }
    }

    /// The name table's mark, for a caller that decodes and applies in two steps, to forget a
    /// rejected line's names as [`Replay::line`] does.
    pub fn names_mark(&self) -> crate::SymbolsMark {
        self.symbols.mark()
    }

    /// Forgets the names interned since `mark`.
    pub fn rollback_names(&mut self, mark: crate::SymbolsMark) {
        self.symbols.rollback(mark);
    }

    /// Whether the last command applied was rejected.
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
    /// before it happens).
    pub fn decode(&mut self, line: &[u8]) -> Result<(u64, Command), DecodeError> {
        decode_line(&mut self.symbols, line)
    }

    /// Applies a command decoded by [`Replay::decode`] from line `line_no`, at `ts_ms`, and
    /// appends its events to `out`.
    pub fn apply(&mut self, line_no: u64, ts_ms: u64, command: &Command, out: &mut Vec<u8>) {
        self.events.clear();
        self.engine.apply_into(command, ts_ms, &mut self.events);
        let source = StepSource { line_no, id: command.id(), detail: None };
        self.writer.step(&self.engine, &self.symbols, source, &self.events, Some(out));
    }

    /// Reports a line that could not be read at all (for example, longer than the reader takes).
    pub fn reject(&mut self, reason: RejectReason, context: RejectContext<'_>, out: &mut Vec<u8>) {
        self.writer.reject(&self.engine, reason, context, Some(out));
    }
}
