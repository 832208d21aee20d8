//! Before the engine sees an order, under a pricing model: the class of its machine (cached per
//! distinct machine) and its peg completed — an ask pegs only to its own class, and a peg's
//! reference is the class's unit reference × the order's units per slot.

use std::collections::HashMap;

use gridbook_matcher::{Command, Hardware, Price, Symbols};

use crate::book::bid_units_per_slot;
use crate::taxonomy::{ClassId, Taxonomy};

/// Most machines whose class is cached; the cache is emptied when it is full (it only saves
/// classifying a machine again, so emptying it changes no output).
const HW_CLASS_CACHED_MAX: usize = 4096;

/// Class and units per slot of machines of accepted asks: a cache, looked up and never
/// iterated (so its order reaches no output), and no part of the priced engine's state — a
/// snapshot may leave it out.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClassCache {
    hw_class: HashMap<Hardware, Option<(ClassId, u32)>>,
}

impl ClassCache {
    /// The class of `hw` and its units per slot, without remembering it: the command may yet
    /// be rejected, and a rejected command leaves nothing behind.
    pub(crate) fn classify(
        &self,
        taxonomy: &Taxonomy,
        symbols: &Symbols,
        hw: &Hardware,
    ) -> Option<(ClassId, u32)> {
        if let Some(known) = self.hw_class.get(hw) {
            return *known;
        }
        taxonomy
            .classify(hw, symbols)
            .map(|class| (class, taxonomy.class(class).unit.units_per_slot(hw) as u32))
    }

    /// The class of the machine of an accepted ask, classified once per distinct machine.
    pub(crate) fn class_of(
        &mut self,
        taxonomy: &Taxonomy,
        symbols: &Symbols,
        hw: &Hardware,
    ) -> Option<(ClassId, u32)> {
        let found = self.classify(taxonomy, symbols, hw);
        if !self.hw_class.contains_key(hw) {
            if self.hw_class.len() >= HW_CLASS_CACHED_MAX {
                self.hw_class.clear();
            }
            self.hw_class.insert(*hw, found);
        }
        found
    }
}

/// [`prepare`] without a cache, for a reader of a priced engine's stream that must see each
/// order as the engine saw it (the feeds follow pegged orders at the units the engine used):
/// `Ok(None)` when the command needs no change, `Ok(Some(copy))` for a pegged order with its
/// units per slot filled in, `Err(detail)` for a command the model's rules refuse.
pub fn prepare_command(
    taxonomy: &Taxonomy,
    symbols: &Symbols,
    command: &Command,
) -> Result<Option<Command>, String> {
    prepare(&ClassCache::default(), taxonomy, symbols, command)
}

/// `command` as the engine must see it under a model: `Ok(None)` when it needs no change,
/// `Ok(Some(copy))` for a pegged order with its units per slot filled in, `Err(detail)` for a
/// command the model's rules refuse (a peg to another class, a stream's own reference).
pub(crate) fn prepare(
    cache: &ClassCache,
    taxonomy: &Taxonomy,
    symbols: &Symbols,
    command: &Command,
) -> Result<Option<Command>, String> {
    match command {
        Command::Ask(ask) => {
            let Price::Pegged(peg) = ask.price else { return Ok(None) };
            let own = cache.classify(taxonomy, symbols, &ask.hw);
            let named = taxonomy.find(symbols.name(peg.class));
            match own {
                Some((class, units)) if Some(class) == named => {
                    let mut prepared = ask.clone();
                    prepared.price = Price::Pegged(gridbook_matcher::Peg { units, ..peg });
                    Ok(Some(Command::Ask(prepared)))
                }
                Some((class, _)) => Err(format!(
                    "peg.class: an ask pegs to its own class, {}, not {}",
                    taxonomy.class(class).name,
                    symbols.name(peg.class)
                )),
                None => Err("peg.class: the ask's hardware belongs to no class".into()),
            }
        }
        Command::Bid(bid) => {
            let Price::Pegged(peg) = bid.limit else { return Ok(None) };
            let Some(class) = taxonomy.find(symbols.name(peg.class)) else {
                return Err(format!("peg.class: no class named {}", symbols.name(peg.class)));
            };
            let units = bid_units_per_slot(taxonomy.class(class).unit, &bid.req) as u32;
            let mut prepared = bid.clone();
            prepared.limit = Price::Pegged(gridbook_matcher::Peg { units, ..peg });
            Ok(Some(Command::Bid(prepared)))
        }
        Command::Reference { .. } => {
            Err("reference: with a pricing model the model sets the references; a stream's own \
             reference lines are refused rather than mixed with it"
                .into())
        }
        _ => Ok(None),
    }
}
