//! Classes and their reference prices, and the resting orders pegged to each class.
//!
//! A class is an opaque name ([`Sym`]) with, once set, a reference price. Each resting pegged
//! order has one entry here, linked into its class's list in arrival order (orders rest in the
//! command that accepts them, so appending keeps arrival order). Re-pricing a class therefore
//! walks exactly the orders pegged to it, never the book, and an order leaving the book is
//! unlinked in O(1). Fixed-price orders have no entry and pay nothing for pegs.
//!
//! A pegged order is in one of three states, a function of its class's reference (see
//! [`PegState`]). Each class also keeps its orders by the reference values at which their state
//! changes ([`Class::switches`], `switches.rs`), so a move from one reference to another finds
//! exactly the orders that change state, and counts its floating orders, which all change price.
//!
//! Classes are never forgotten; their number is bounded by [`crate::EngineConfig::classes_max`].

use hashbrown::HashMap;

use super::floats::Floats;
use super::index::FloatId;
use super::slab::NIL;
use super::switches::Switches;
use crate::command::Peg;
use crate::event::OrderRef;
use crate::hardware::Sym;
use crate::limits::PRICE_NANO_MAX;

/// Where a pegged order's price comes from now, which decides where it rests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum PegState {
    /// No price (no reference, or a bid's `reference × units + offset ≤ 0`): on no ladder.
    Unpriced,
    /// Its limit binds: it rests in its group's fixed ladder at its limit.
    Clamped,
    /// `reference × units + offset`: it rests on a floating ladder ([`super::floats`]).
    Floating,
}

/// A class: its reference price, if one was set, and the resting orders pegged to it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Class {
    pub(crate) sym: Sym,
    pub(crate) reference_nano: Option<u64>,
    /// First and last pegged order (peg entry index), in arrival order.
    pub(crate) head: u32,
    pub(crate) tail: u32,
    /// Every order's thresholds ([`thresholds`]), so a move finds the orders that change state.
    pub(crate) switches: Switches,
    /// How many of its orders float now.
    pub(crate) floating: usize,
    /// Its floating ladders, in creation order.
    pub(crate) floats: Vec<FloatId>,
}

/// The peg of one resting order.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
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
    /// Where its price comes from now; an unpriced order is on no ladder.
    pub(crate) state: PegState,
    /// Its floating ladder while it floats, else [`FloatId::NIL`].
    pub(crate) float: FloatId,
    pub(crate) is_bid: bool,
    /// The order's arrival number (the key's tie-break in [`Class::switches`]).
    pub(crate) order: OrderRef,
    /// Neighbours in the class's list (earlier, later); the free list uses `next`.
    pub(crate) prev: u32,
    pub(crate) next: u32,
}

/// Every class, and the pegs of the resting pegged orders.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Pegs {
    /// Rebuilt from `classes` on restore (`snapshot.rs`).
    #[serde(skip)]
    index: HashMap<Sym, u32>,
    pub(crate) classes: Vec<Class>,
    entries: Vec<PegEntry>,
    free_head: u32,
    live: usize,
    pub(crate) floats: Floats,
}

impl Default for Pegs {
    fn default() -> Pegs {
        Pegs {
            index: HashMap::new(),
            classes: Vec::new(),
            entries: Vec::new(),
            free_head: NIL,
            live: 0,
            floats: Floats::default(),
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
        self.classes.push(Class {
            sym,
            reference_nano: None,
            head: NIL,
            tail: NIL,
            switches: Switches::default(),
            floating: 0,
            floats: Vec::new(),
        });
        self.index.insert(sym, class);
        class
    }

    /// Releases floating ladder `at`, empty, with its group, and unfiles it from its class.
    pub(crate) fn release_float(&mut self, at: FloatId) {
        let class = self.floats.release(at).class;
        let floats = &mut self.classes[class as usize].floats;
        let filed = floats.iter().position(|&f| f == at);
        floats.remove(filed.expect("a floating ladder is filed under its class"));
    }

    /// The reference price of the class of `sym`, if it exists and has one.
    pub(crate) fn reference_of(&self, sym: Sym) -> Option<u64> {
        self.find(sym).and_then(|class| self.classes[class as usize].reference_nano)
    }

    /// Peg entries in use or free (the bound on every entry number).
    pub(crate) fn entries_len(&self) -> usize {
        self.entries.len()
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
        class.floating += usize::from(entry.state == PegState::Floating);
        for threshold in thresholds(&entry).into_iter().flatten() {
            class.switches.insert((threshold, entry.order.0, at), class.reference_nano);
        }
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
        class.floating -= usize::from(entry.state == PegState::Floating);
        self.entries[at as usize].next = self.free_head;
        self.entries[at as usize].slot = NIL;
        self.free_head = at;
        let entries = &self.entries;
        for _ in thresholds(&entry).into_iter().flatten() {
            class.switches.remove(|order, peg| is_live(entries, order, peg));
        }
        self.live -= 1;
        entry
    }

    pub(crate) fn get(&self, at: u32) -> &PegEntry {
        &self.entries[at as usize]
    }

    pub(crate) fn get_mut(&mut self, at: u32) -> &mut PegEntry {
        &mut self.entries[at as usize]
    }

    /// Moves class `class`'s thresholds from reference `from` to `to`, appending to `crossed`
    /// the `(order, peg entry)` of every order with a threshold crossed (some twice).
    pub(crate) fn cross(
        &mut self,
        class: u32,
        from: Option<u64>,
        to: u64,
        crossed: &mut Vec<(OrderRef, u32)>,
    ) {
        let entries = &self.entries;
        let switches = &mut self.classes[class as usize].switches;
        switches.cross(from, to, |order, peg| is_live(entries, order, peg), crossed);
    }

    /// Whether a threshold of `(order, peg entry)` belongs to an order still resting.
    pub(crate) fn is_live(&self, order: u32, peg: u32) -> bool {
        is_live(&self.entries, order, peg)
    }

    /// The peg of entry `at`, as the order carried it.
    pub(crate) fn peg(&self, at: u32) -> Peg {
        let entry = &self.entries[at as usize];
        Peg {
            class: self.classes[entry.class as usize].sym,
            offset_nano: entry.offset_nano,
            limit_nano: entry.limit_nano,
            units: entry.units,
        }
    }

    /// The effective price of entry `at` under its class's reference now (`None`: unpriced).
    pub(crate) fn price(&self, at: u32) -> Option<u64> {
        let entry = &self.entries[at as usize];
        let reference_nano = self.classes[entry.class as usize].reference_nano?;
        self.peg(at).effective_nano(reference_nano, entry.is_bid)
    }

    /// The state entry `at` would be in under `reference_nano`.
    pub(crate) fn state_at(&self, at: u32, reference_nano: Option<u64>) -> PegState {
        let entry = &self.entries[at as usize];
        let price_nano = reference_nano.and_then(|r| self.peg(at).effective_nano(r, entry.is_bid));
        state_of(price_nano, entry.limit_nano)
    }

    /// For pegs read from a snapshot: every link, class, slot (`slots`) and floating ladder in
    /// range, the free list exactly the freed entries, once each, and every floating ladder
    /// shifted as its class's reference says; then the indexes are rebuilt (`groups`:
    /// configurations, signatures). A class there twice is refused.
    pub(crate) fn restore_index(&mut self, slots: usize, groups: [usize; 2]) -> Result<(), String> {
        let (len, floats) = (self.entries.len(), self.floats.list.len());
        let link = |at: u32| at == NIL || (at as usize) < len;
        for (at, class) in self.classes.iter().enumerate() {
            let floats_ok = class.floats.iter().all(|f| (f.0 as usize) < floats);
            if !link(class.head) || !link(class.tail) || !floats_ok {
                return Err(format!("class {at}: a link is out of range"));
            }
            class.switches.check_restored(len)?;
        }
        let mut freed = 0usize;
        for (at, entry) in self.entries.iter().enumerate() {
            freed += usize::from(entry.slot == NIL);
            let slot_ok = entry.slot == NIL || (entry.slot as usize) < slots;
            let float_ok = entry.float == FloatId::NIL || (entry.float.0 as usize) < floats;
            let class_ok = (entry.class as usize) < self.classes.len();
            if !slot_ok || !float_ok || !class_ok || !link(entry.prev) || !link(entry.next) {
                return Err(format!("peg entry {at}: a link is out of range"));
            }
        }
        let (mut at, mut listed) = (self.free_head, 0usize);
        while at != NIL {
            if listed >= len || !link(at) || self.entries[at as usize].slot != NIL {
                return Err("the pegs' free list is broken".into());
            }
            listed += 1;
            at = self.entries[at as usize].next;
        }
        if listed != freed || len - freed != self.live {
            return Err(format!("{freed} peg entries freed, {listed} listed, {} live", self.live));
        }
        self.floats.restore_index(groups, self.classes.len(), slots)?;
        for (at, float) in self.floats.list.iter().enumerate().filter(|(_, f)| f.in_use) {
            let reference_nano = self.classes[float.class as usize].reference_nano;
            let shift =
                reference_nano.map(|r| super::floats::float_shift(r, float.units, float.is_bid));
            if shift != Some(float.shift) {
                return Err(format!("floating ladder {at}: shifted off its class's reference"));
            }
        }
        self.index = HashMap::with_capacity(self.classes.len());
        for (at, class) in self.classes.iter().enumerate() {
            if self.index.insert(class.sym, at as u32).is_some() {
                return Err(format!("class {at}: its name is another class's"));
            }
        }
        Ok(())
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        let switches: usize = self.classes.iter().map(|c| c.switches.heap_bytes()).sum();
        switches
            + self.floats.heap_bytes()
            + self.entries.capacity() * std::mem::size_of::<PegEntry>()
            + self.classes.capacity() * std::mem::size_of::<Class>()
            + self.index.capacity() * (std::mem::size_of::<(Sym, u32)>() + 1)
    }
}

/// The state of a pegged order whose effective price is `price_nano` (`None`: unpriced). A
/// price equal to the limit is clamped: `reference × units + offset` is then the limit or
/// beyond it.
pub(crate) fn state_of(price_nano: Option<u64>, limit_nano: u64) -> PegState {
    match price_nano {
        None => PegState::Unpriced,
        Some(price_nano) if price_nano == limit_nano => PegState::Clamped,
        Some(_) => PegState::Floating,
    }
}

/// Whether entry `peg` still holds the resting order with arrival number `order` (a freed
/// entry has no slot; a reused one holds a later order).
fn is_live(entries: &[PegEntry], order: u32, peg: u32) -> bool {
    let entry = &entries[peg as usize];
    entry.slot != NIL && entry.order.0 == order
}

/// The references at which an order's state changes: each is the least reference `r` at which
/// `r × units + offset` exceeds a bound — for a bid 0 (it gets a price) and `limit − 1` (its
/// limit binds), for an ask `limit` (it floats above its floor) and `u64::MAX` (its price no
/// longer fits). A move from `r0` to `r1` changes the state of exactly the orders with a
/// threshold in `(min, max]`. Only thresholds that a move between two valid references
/// (`1..=PRICE_NANO_MAX`) can cross are given, so they fit a `u64`.
pub(crate) fn thresholds(entry: &PegEntry) -> [Option<u64>; 2] {
    let units = i128::from(entry.units.max(1));
    let offset = i128::from(entry.offset_nano);
    let least_above = |bound: i128| {
        let threshold = (bound - offset).div_euclid(units) + 1;
        (2..=i128::from(PRICE_NANO_MAX)).contains(&threshold).then_some(threshold as u64)
    };
    let limit = i128::from(entry.limit_nano);
    if entry.is_bid {
        [least_above(0), least_above(limit - 1)]
    } else {
        [least_above(limit), least_above(i128::from(u64::MAX))]
    }
}
