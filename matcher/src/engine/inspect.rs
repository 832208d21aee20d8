//! Looking into the book without changing it: snapshots for tests and tools, memory accounting,
//! and the invariant checker the property tests run after every command.

use super::slab::{Terms, NIL};
use super::{ask_rank, Engine};
use crate::event::OrderRef;

/// Which side of the book an order is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// A provider's offer.
    Ask,
    /// A requester's order.
    Bid,
}

/// A resting order as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RestingView {
    /// The order.
    pub order: OrderRef,
    /// Its side.
    pub side: Side,
    /// Ask price or bid limit, nano-units per slot-hour (for a pegged order, its effective
    /// price now); 0 when `priced` is false.
    pub price_nano: u64,
    /// False for a pegged order that cannot trade yet (its class has no reference, or a bid's
    /// `reference + offset ≤ 0`).
    pub priced: bool,
    /// Quantity still resting.
    pub remaining: u64,
}

impl Engine {
    /// Every resting order, in arrival order.
    pub fn snapshot(&self) -> Vec<RestingView> {
        let mut views = Vec::with_capacity(self.slab.live());
        for number in 0..self.ids.len() as u32 {
            let order = OrderRef(number);
            let Some(slot) = self.resting_slot(order) else { continue };
            let resting = self.slab.get(slot);
            let side = match resting.terms {
                Terms::Ask { .. } => Side::Ask,
                Terms::Bid { .. } => Side::Bid,
            };
            let priced = resting.peg == NIL || self.pegs.get(resting.peg).priced;
            views.push(RestingView {
                order,
                side,
                price_nano: if priced { resting.price_nano } else { 0 },
                priced,
                remaining: u64::from(resting.remaining),
            });
        }
        views
    }

    /// Bytes of heap the engine holds (capacity, not use), for the memory-per-order figure.
    pub fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes()
            + self.slab.heap_bytes()
            + self.groups.heap_bytes()
            + self.expiry.heap_bytes()
            + self.pegs.heap_bytes()
            + self.repriced.capacity() * std::mem::size_of::<(OrderRef, u32)>()
    }

    /// Checks every structural invariant of the book; the first broken one is described.
    ///
    /// - every level is non-empty, levels are strictly ordered worst to best, and each level's
    ///   list is linked both ways in strictly increasing arrival order;
    /// - every listed order rests on its own group's ladder at its own rank, with a positive
    ///   remaining quantity, and the id registry points at its slot;
    /// - every class's list of pegged orders is linked both ways in strictly increasing arrival
    ///   order, each entry's order rests and points back at it, and its price is what its peg
    ///   and the class's reference say (an unpriced one is on no ladder);
    /// - the number of listed orders (on ladders, or unpriced) equals the number of live slots.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut listed = 0usize;
        let ladders =
            self.groups.configs.iter().enumerate().map(|(g, c)| (Side::Ask, g, &c.ladder)).chain(
                self.groups.signatures.iter().enumerate().map(|(g, s)| (Side::Bid, g, &s.ladder)),
            );
        for (side, group, ladder) in ladders {
            for pair in ladder.levels.windows(2) {
                if pair[0].rank >= pair[1].rank {
                    return Err(format!("{side:?} group {group}: levels out of order"));
                }
            }
            for level in &ladder.levels {
                if level.head == NIL {
                    return Err(format!("{side:?} group {group}: empty level"));
                }
                let (mut slot, mut prev, mut last_arrival) = (level.head, NIL, None);
                while slot != NIL {
                    let resting = self.slab.get(slot);
                    let rank = match (side, resting.terms) {
                        (Side::Ask, Terms::Ask { .. }) => ask_rank(resting.price_nano),
                        (Side::Bid, Terms::Bid { .. }) => resting.price_nano,
                        _ => return Err(format!("slot {slot} on the wrong side")),
                    };
                    if rank != level.rank || resting.group as usize != group {
                        return Err(format!("slot {slot} on the wrong level or group"));
                    }
                    if resting.peg != NIL && !self.pegs.get(resting.peg).priced {
                        return Err(format!("slot {slot}: unpriced order on a ladder"));
                    }
                    if resting.prev != prev || resting.remaining == 0 {
                        return Err(format!("slot {slot}: broken link or empty order"));
                    }
                    if last_arrival.is_some_and(|a| a >= resting.order) {
                        return Err(format!("slot {slot}: level not in arrival order"));
                    }
                    if self.ids.slot(resting.order) != slot {
                        return Err(format!("slot {slot}: id registry disagrees"));
                    }
                    last_arrival = Some(resting.order);
                    listed += 1;
                    (prev, slot) = (slot, resting.next);
                }
                if prev != level.tail {
                    return Err(format!("{side:?} group {group}: tail is not the last order"));
                }
            }
        }
        listed += self.check_pegs()?;
        if listed != self.slab.live() {
            return Err(format!("{listed} orders listed but {} slots live", self.slab.live()));
        }
        Ok(())
    }
}

impl Engine {
    /// The class lists' part of [`Engine::check_invariants`]; the number of unpriced orders
    /// (which are on no ladder).
    fn check_pegs(&self) -> Result<usize, String> {
        let (mut unpriced, mut pegged) = (0usize, 0usize);
        for (at, class) in self.pegs.classes.iter().enumerate() {
            let (mut peg_at, mut prev, mut last_arrival) = (class.head, NIL, None);
            while peg_at != NIL {
                let entry = self.pegs.get(peg_at);
                if entry.prev != prev || entry.class as usize != at {
                    return Err(format!("class {at}: broken peg list at {peg_at}"));
                }
                let resting = self.slab.get(entry.slot);
                if !self.slab.holds(entry.slot, resting.order) || resting.peg != peg_at {
                    return Err(format!("class {at}: peg {peg_at} names no resting order"));
                }
                if last_arrival.is_some_and(|a| a >= resting.order) {
                    return Err(format!("class {at}: pegs not in arrival order"));
                }
                let peg = crate::command::Peg {
                    class: class.sym,
                    offset_nano: entry.offset_nano,
                    limit_nano: entry.limit_nano,
                    units: entry.units,
                };
                let is_bid = matches!(resting.terms, Terms::Bid { .. });
                let want = class.reference_nano.and_then(|r| peg.effective_nano(r, is_bid));
                if want != entry.priced.then_some(resting.price_nano) {
                    return Err(format!("class {at}: order {:?} mispriced", resting.order));
                }
                unpriced += usize::from(!entry.priced);
                pegged += 1;
                last_arrival = Some(resting.order);
                (prev, peg_at) = (peg_at, entry.next);
            }
            if prev != class.tail {
                return Err(format!("class {at}: tail is not the last peg"));
            }
        }
        if pegged != self.pegs.live() {
            return Err(format!("{pegged} pegs listed but {} live", self.pegs.live()));
        }
        Ok(unpriced)
    }
}
