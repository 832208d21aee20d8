//! Decoding on one thread, applying on another: [`BatchNames::decode`] decodes a line with a
//! batch's own name table, recording the order in which the line's names were interned;
//! [`BatchNames::remap`] later, on the thread that owns the engine's name table, interns those
//! names there in that very order and rewrites the command's symbols.
//!
//! The result is the command that [`super::decode_line`] would have given on the engine's
//! table, with the same names interned in the same order — including the `capacity` refusal
//! of a new name beyond `names_max` — so a pipelined replay writes the same bytes as a
//! sequential one. A line the local decode refuses is not remapped: the applying thread
//! decodes it again itself, so every refusal is the sequential path's own.

use super::decode::{decode_line_traced, DecodeError};
use crate::command::{Command, Price};
use crate::event::{Bound, RejectReason};
use crate::hardware::{Requirements, Sym};
use crate::symbols::{Symbols, SymbolsMark};

/// A batch's own name table, and what its symbols are in the engine's table.
#[derive(Debug, Clone)]
pub struct BatchNames {
    local: Symbols,
    /// The empty table, to start each batch from.
    empty: SymbolsMark,
    /// By local symbol: the engine table's symbol, once interned there.
    to_engine: Vec<Option<Sym>>,
}

impl Default for BatchNames {
    fn default() -> BatchNames {
        BatchNames::new()
    }
}

impl BatchNames {
    /// An empty batch table. Its bound is the default `names_max`: a batch with more names
    /// than that has its extra lines refused locally, and the applying thread decodes those
    /// itself (as it does every locally refused line), so the bound never changes an answer.
    pub fn new() -> BatchNames {
        let local = Symbols::new();
        BatchNames { empty: local.mark(), local, to_engine: Vec::new() }
    }

    /// Starts a new batch: no names, nothing interned in the engine's table yet.
    pub fn clear(&mut self) {
        self.local.rollback(self.empty);
        self.to_engine.clear();
    }

    /// Decodes `line` into `(ts, command)` against this batch's table, appending to `trace`
    /// every symbol the decode interned, in order. The command's symbols are the batch's.
    pub fn decode(
        &mut self,
        line: &[u8],
        trace: &mut Vec<Sym>,
    ) -> Result<(u64, Command), DecodeError> {
        decode_line_traced(&mut self.local, line, trace)
    }

    /// Interns the names `trace` lists (a line's, from [`BatchNames::decode`]) into `engine` in
    /// order, then rewrites `command`'s symbols to `engine`'s. A new name beyond `engine`'s
    /// `names_max` is refused as the sequential decode refuses it.
    pub fn remap(
        &mut self,
        trace: &[Sym],
        engine: &mut Symbols,
        command: &mut Command,
    ) -> Result<(), DecodeError> {
        let local = &self.local;
        if self.to_engine.len() < local.len() {
            self.to_engine.resize(local.len(), None);
        }
        for &sym in trace {
            let slot = &mut self.to_engine[sym.0 as usize];
            if slot.is_none() {
                let interned = engine.intern_bounded(local.name(sym)).ok_or_else(|| {
                    let bound = Bound::NamesMax;
                    DecodeError {
                        reason: RejectReason::Capacity(bound),
                        detail: bound.detail(engine.names_max()),
                        id: command.id().map(str::to_owned),
                    }
                })?;
                *slot = Some(interned);
            }
        }
        self.rewrite(command);
        Ok(())
    }

    /// After `engine` was rolled back (its line was refused), forgets the symbols that no
    /// longer exist there, so that a later use interns the name again.
    pub fn forget_rolled_back(&mut self, engine: &Symbols) {
        let kept = engine.len();
        for slot in &mut self.to_engine {
            if slot.is_some_and(|sym| sym.0 as usize >= kept) {
                *slot = None;
            }
        }
    }

    fn map(&self, sym: Sym) -> Sym {
        self.to_engine[sym.0 as usize].expect("every symbol of a command is in its line's trace")
    }

    fn rewrite(&self, command: &mut Command) {
        match command {
            Command::Ask(ask) => {
                self.rewrite_price(&mut ask.price);
                let hw = &mut ask.hw;
                hw.gpu = hw.gpu.map(|sym| self.map(sym));
                hw.tee = hw.tee.map(|sym| self.map(sym));
                hw.region = self.map(hw.region);
            }
            Command::Bid(bid) => {
                self.rewrite_price(&mut bid.limit);
                let req = &bid.req;
                // Lists are sorted by symbol: rebuild them in the engine table's order.
                bid.req = Requirements::new(
                    req.cpu,
                    req.mem_gib,
                    req.gpu.iter().map(|&sym| self.map(sym)).collect(),
                    req.gpus,
                    req.gpu_mem_gib,
                    req.tee.map(|sym| self.map(sym)),
                    req.regions.iter().map(|&sym| self.map(sym)).collect(),
                );
            }
            Command::Reference { class, .. } => *class = self.map(*class),
            Command::Cancel(_) | Command::Tick => {}
        }
    }

    fn rewrite_price(&self, price: &mut Price) {
        if let Price::Pegged(peg) = price {
            peg.class = self.map(peg.class);
        }
    }
}
