//! Classes and their reference prices, and the resting orders pegged to each class.
//!
//! A class is an opaque name ([`Sym`]) with, once set, a reference price. Each resting pegged
//! order has one entry here, linked into its class's list in arrival order (orders rest in the
//! command that accepts them, so appending keeps arrival order). Re-pricing a class therefore
//! walks exactly the orders pegged to it, never the book, and an order leaving the book is
//! unlinked in O(1). Fixed-price orders have no entry and pay nothing for pegs.
//!
//! Classes are never forgotten; their number is bounded by [`crate::EngineConfig::classes_max`].

use hashbrown::HashMap;

use super::slab::NIL;
use crate::hardware::Sym;

/// A class: its reference price, if one was set, and the resting orders pegged to it.
#[derive(Debug, Clone)]
pub(crate) struct Class {
    pub(crate) sym: Sym,
    pub(crate) reference_nano: Option<u64>,
    /// First and last pegged order (peg entry index), in arrival order.
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

/// The peg of one resting order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PegEntry {
    /// Class index (into [`Pegs::classes`]).
    pub(crate) class: u32,
    pub(crate) offset_nano: i64,
    /// A bid's ceiling or an ask's floor.
    pub(crate) limit_nano: u64,
    /// Units per slot: the multiplier of the class's reference (see `Peg::units`).
    pub(crate) units: u32,
    /// The order's slot in the slab.
    pub(crate) slot: u32,
    /// Whether the order has an effective price now; an unpriced order is on no ladder.
    pub(crate) priced: bool,
    /// Neighbours in the class's list (earlier, later); the free list uses `next`.
    pub(crate) prev: u32,
    pub(crate) next: u32,
}

/// Every class, and the pegs of the resting pegged orders.
#[derive(Debug, Clone)]
pub(crate) struct Pegs {
    index: HashMap<Sym, u32>,
    pub(crate) classes: Vec<Class>,
    entries: Vec<PegEntry>,
    free_head: u32,
    live: usize,
}

impl Default for Pegs {
    fn default() -> Pegs {
        Pegs {
            index: HashMap::new(),
            classes: Vec::new(),
            entries: Vec::new(),
            free_head: NIL,
            live: 0,
        }
    }
}

impl Pegs {
    pub(crate) fn find(&self, sym: Sym) -> Option<u32> {
        self.index.get(&sym).copied()
    }

    /// The class of `sym`, created (without a reference) if new.
    pub(crate) fn class(&mut self, sym: Sym) -> u32 {
        if let Some(class) = self.find(sym) {
            return class;
        }
        let class = self.classes.len() as u32;
        self.classes.push(Class { sym, reference_nano: None, head: NIL, tail: NIL });
        self.index.insert(sym, class);
        class
    }

    /// The reference price of the class of `sym`, if it exists and has one.
    pub(crate) fn reference_of(&self, sym: Sym) -> Option<u64> {
        self.find(sym).and_then(|class| self.classes[class as usize].reference_nano)
    }

    /// Number of resting pegged orders.
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Adds the peg of the order in `slot` at the end of its class's list; its entry index.
    pub(crate) fn insert(&mut self, mut entry: PegEntry) -> u32 {
        let class = &mut self.classes[entry.class as usize];
        entry.prev = class.tail;
        entry.next = NIL;
        let at = if self.free_head != NIL {
            let at = self.free_head;
            self.free_head = self.entries[at as usize].next;
            self.entries[at as usize] = entry;
            at
        } else {
            self.entries.push(entry);
            (self.entries.len() - 1) as u32
        };
        if class.tail == NIL {
            class.head = at;
        } else {
            self.entries[class.tail as usize].next = at;
        }
        class.tail = at;
        self.live += 1;
        at
    }

    /// Unlinks entry `at` from its class's list and frees it; the entry as it was.
    pub(crate) fn remove(&mut self, at: u32) -> PegEntry {
        let entry = self.entries[at as usize];
        let class = &mut self.classes[entry.class as usize];
        if entry.prev == NIL {
            class.head = entry.next;
        } else {
            self.entries[entry.prev as usize].next = entry.next;
        }
        if entry.next == NIL {
            class.tail = entry.prev;
        } else {
            self.entries[entry.next as usize].prev = entry.prev;
        }
        self.entries[at as usize].next = self.free_head;
        self.entries[at as usize].slot = NIL;
        self.free_head = at;
        self.live -= 1;
        entry
    }

    pub(crate) fn get(&self, at: u32) -> &PegEntry {
        &self.entries[at as usize]
    }

    pub(crate) fn get_mut(&mut self, at: u32) -> &mut PegEntry {
        &mut self.entries[at as usize]
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<PegEntry>()
            + self.classes.capacity() * std::mem::size_of::<Class>()
            + self.index.capacity() * (std::mem::size_of::<(Sym, u32)>() + 1)
    }
}
