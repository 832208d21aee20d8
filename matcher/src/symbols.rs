//! The name table: interns GPU models, TEE kinds and regions to [`Sym`]s.
//!
//! Symbols are numbered in first-seen order, so the same stream always yields the same numbers.
//! A driver that decodes a line takes a [`SymbolsMark`] first and rolls back to it when the
//! line is rejected, so a rejected line leaves no name behind (and later names get the numbers
//! they would get without it). Names from input are bounded ([`Symbols::intern_bounded`]).

use hashbrown::HashMap;

use crate::hardware::Sym;

/// Interned names, numbered in first-seen order.
#[derive(Debug, Clone)]
pub struct Symbols {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, Sym>,
    /// Most names [`Symbols::intern_bounded`] lets the table hold.
    names_max: usize,
}

/// A point in a table's history to roll back to: the names interned after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolsMark(usize);

impl Default for Symbols {
    fn default() -> Symbols {
        Symbols::with_names_max(crate::EngineConfig::default().names_max)
    }
}

impl Symbols {
    /// An empty table, bounded as [`crate::EngineConfig`]'s default `names_max`.
    pub fn new() -> Symbols {
        Symbols::default()
    }

    /// An empty table in which input names ([`Symbols::intern_bounded`]) stop at `names_max`.
    pub fn with_names_max(names_max: usize) -> Symbols {
        Symbols { names: Vec::new(), index: HashMap::new(), names_max }
    }

    /// The symbol of a name from input, interned if new and the table holds fewer than its
    /// `names_max` names; `None` when it is new and the table is full.
    pub fn intern_bounded(&mut self, name: &str) -> Option<Sym> {
        if self.names.len() >= self.names_max && self.get(name).is_none() {
            return None;
        }
        Some(self.intern(name))
    }

    /// The bound on input names.
    pub fn names_max(&self) -> usize {
        self.names_max
    }

    /// The table as it is now, to [`Symbols::rollback`] to.
    pub fn mark(&self) -> SymbolsMark {
        SymbolsMark(self.names.len())
    }

    /// Forgets every name interned since `mark`, which must be a mark of this table taken
    /// since the last rollback past it (a driver: before decoding the line it now rejects).
    pub fn rollback(&mut self, mark: SymbolsMark) {
        debug_assert!(mark.0 <= self.names.len(), "a mark from this table's past");
        for name in self.names.drain(mark.0.min(self.names.len())..) {
            self.index.remove(&name);
        }
    }

    /// The symbol of `name`, interning it if new: for names a program makes itself (classes of
    /// a taxonomy, a scenario's hardware), which are not bounded by `names_max`.
    pub fn intern(&mut self, name: &str) -> Sym {
        if let Some(sym) = self.index.get(name) {
            return *sym;
        }
        // More than u32::MAX names cannot be reached: names come from lines that the decoder
        // bounds in length, and a process would run out of memory long before.
        let sym = Sym(self.names.len() as u32);
        self.names.push(name.into());
        self.index.insert(name.into(), sym);
        sym
    }

    /// The symbol of `name` if it was interned.
    pub fn get(&self, name: &str) -> Option<Sym> {
        self.index.get(name).copied()
    }

    /// The name of `sym`; `"?"` for a symbol this table never issued.
    pub fn name(&self, sym: Sym) -> &str {
        self.names.get(sym.0 as usize).map_or("?", |name| name)
    }

    /// Bytes of heap the table holds (capacity, not use).
    pub fn heap_bytes(&self) -> usize {
        let names: usize = self.names.iter().map(|name| name.len()).sum();
        2 * names
            + self.names.capacity() * std::mem::size_of::<Box<str>>()
            + self.index.capacity() * (std::mem::size_of::<(Box<str>, Sym)>() + 1)
    }

    /// Every name, by symbol (for a snapshot).
    pub(crate) fn names(&self) -> &[Box<str>] {
        &self.names
    }

    /// The table holding `names` in that order (from a snapshot); `None` if a name is there
    /// twice, which no table ever holds.
    pub(crate) fn from_names(names: Vec<Box<str>>, names_max: usize) -> Option<Symbols> {
        let mut index = HashMap::with_capacity(names.len());
        for (at, name) in names.iter().enumerate() {
            if index.insert(name.clone(), Sym(u32::try_from(at).ok()?)).is_some() {
                return None;
            }
        }
        Some(Symbols { names, index, names_max })
    }

    /// How many names are interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no name is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_numbered_in_first_seen_order() {
        let mut symbols = Symbols::new();
        assert_eq!(symbols.intern("A100-80GB"), Sym(0));
        assert_eq!(symbols.intern("eu-west"), Sym(1));
        assert_eq!(symbols.intern("A100-80GB"), Sym(0));
        assert_eq!(symbols.name(Sym(1)), "eu-west");
        assert_eq!(symbols.name(Sym(9)), "?");
        assert_eq!(symbols.get("nope"), None);
    }

    /// A rolled-back name is gone, and the next name gets the number it would have got.
    #[test]
    fn a_rollback_forgets_the_names_since_its_mark() {
        let mut symbols = Symbols::new();
        symbols.intern("A100-80GB");
        let mark = symbols.mark();
        symbols.intern("junk-1");
        symbols.intern("A100-80GB");
        symbols.intern("junk-2");
        symbols.rollback(mark);
        assert_eq!((symbols.len(), symbols.get("junk-1"), symbols.get("junk-2")), (1, None, None));
        assert_eq!(symbols.intern("eu-west"), Sym(1));
    }

    #[test]
    fn input_names_stop_at_names_max_and_known_ones_still_resolve() {
        let mut symbols = Symbols::with_names_max(2);
        assert_eq!(symbols.intern_bounded("a"), Some(Sym(0)));
        assert_eq!(symbols.intern_bounded("b"), Some(Sym(1)));
        assert_eq!(symbols.intern_bounded("c"), None);
        assert_eq!(symbols.intern_bounded("a"), Some(Sym(0)));
        assert_eq!(symbols.len(), 2);
    }
}
