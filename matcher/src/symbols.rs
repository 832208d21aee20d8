//! The name table: interns GPU models, TEE kinds and regions to [`Sym`]s.
//!
//! Symbols are numbered in first-seen order, so the same stream always yields the same numbers.

use hashbrown::HashMap;

use crate::hardware::Sym;

/// Interned names, numbered in first-seen order.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, Sym>,
}

impl Symbols {
    /// An empty table.
    pub fn new() -> Symbols {
        Symbols::default()
    }

    /// The symbol of `name`, interning it if new.
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
}
