//! Resting orders in one preallocated vector, addressed by slot; freed slots are reused.

use super::index::GroupId;
use crate::event::OrderRef;
use crate::owner::Owner;

/// No slot / end of a list.
pub(crate) const NIL: u32 = u32::MAX;

/// `prev` of a freed slot (no live order's neighbour is ever this), so that freeing a slot
/// twice is caught in debug builds.
const FREED: u32 = u32::MAX - 1;

/// The terms that decide whether a pair can run in time (matching rule 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Terms {
    Ask { from_ms: u64, until_ms: u64 },
    Bid { not_before_ms: u64, deadline_ms: u64, duration_ms: u64 },
}

/// A resting order.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) struct Resting {
    /// Ask price or bid limit, nano-units per slot-hour; 0 for a pegged order, whose price
    /// follows its class's reference and is read through `Engine::price_of`.
    pub(crate) price_nano: u64,
    pub(crate) order: OrderRef,
    pub(crate) remaining: u32,
    /// Configuration (asks) or requirement signature (bids) the order rests under.
    pub(crate) group: GroupId,
    pub(crate) owner: Owner,
    pub(crate) terms: Terms,
    /// The first time at which rule 6 removes the order.
    pub(crate) expiry_ms: u64,
    /// Neighbours in the order's price level (earlier, later); the free list uses `next`.
    pub(crate) prev: u32,
    pub(crate) next: u32,
    /// The order's entry in [`super::pegs::Pegs`], or [`NIL`] for a fixed-price order.
    pub(crate) peg: u32,
}

impl Resting {
    /// Whether the order is a bid (its group is a requirement signature).
    pub(crate) fn is_bid(&self) -> bool {
        matches!(self.terms, Terms::Bid { .. })
    }
}

/// Slot storage for resting orders.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Slab {
    entries: Vec<Resting>,
    free_head: u32,
    live: usize,
}

impl Default for Slab {
    fn default() -> Slab {
        Slab::with_capacity(0)
    }
}

impl Slab {
    pub(crate) fn with_capacity(capacity: usize) -> Slab {
        Slab { entries: Vec::with_capacity(capacity), free_head: NIL, live: 0 }
    }

    pub(crate) fn live(&self) -> usize {
        self.live
    }

    pub(crate) fn insert(&mut self, resting: Resting) -> u32 {
        debug_assert!(resting.remaining > 0, "only an order with quantity left rests");
        self.live += 1;
        if self.free_head != NIL {
            let slot = self.free_head;
            self.free_head = self.entries[slot as usize].next;
            self.entries[slot as usize] = resting;
            slot
        } else {
            self.entries.push(resting);
            (self.entries.len() - 1) as u32
        }
    }

    pub(crate) fn remove(&mut self, slot: u32) {
        debug_assert!(self.live > 0, "a slot is freed once");
        self.live -= 1;
        let entry = &mut self.entries[slot as usize];
        debug_assert!(entry.prev != FREED, "slot {slot} freed twice");
        entry.prev = FREED;
        entry.remaining = 0;
        entry.next = self.free_head;
        self.free_head = slot;
    }

    /// Whether `slot` still holds `order`: freed slots have no remaining quantity, and a reused
    /// slot holds a later order. This is what lets removal leave the id registry untouched.
    pub(crate) fn holds(&self, slot: u32, order: OrderRef) -> bool {
        self.entries
            .get(slot as usize)
            .is_some_and(|entry| entry.order == order && entry.remaining > 0)
    }

    pub(crate) fn get(&self, slot: u32) -> &Resting {
        &self.entries[slot as usize]
    }

    pub(crate) fn get_mut(&mut self, slot: u32) -> &mut Resting {
        &mut self.entries[slot as usize]
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Resting>()
    }

    /// Makes this slab a copy of `source`, reusing its allocation (a snapshot's copy: the
    /// matching thread's pause is then a memory copy, without fresh pages to fault in).
    pub(crate) fn copy_from(&mut self, source: &Slab) {
        self.entries.clone_from(&source.entries);
        (self.free_head, self.live) = (source.free_head, source.live);
    }

    /// Slots in use or free (the bound on every slot number).
    pub(crate) fn slots(&self) -> usize {
        self.entries.len()
    }

    /// For a slab read from a snapshot: every link, group (`groups`: configurations,
    /// signatures), peg and order number is in range, a slot is freed exactly when it has no
    /// quantity, and the free list holds exactly the freed slots, once each.
    pub(crate) fn check_restored(
        &self,
        groups: [usize; 2],
        pegs: usize,
        orders: usize,
    ) -> Result<(), String> {
        let len = self.entries.len();
        let link = |slot: u32| slot == NIL || (slot as usize) < len;
        let mut freed = 0usize;
        for (slot, entry) in self.entries.iter().enumerate() {
            let is_freed = entry.prev == FREED;
            freed += usize::from(is_freed);
            if !(is_freed || link(entry.prev))
                || !link(entry.next)
                || is_freed != (entry.remaining == 0)
            {
                return Err(format!("slot {slot}: broken links or quantity"));
            }
            let group_ok = (entry.group.0 as usize) < groups[usize::from(entry.is_bid())];
            let peg_ok = entry.peg == NIL || (entry.peg as usize) < pegs;
            if !group_ok || !peg_ok || entry.order.0 as usize >= orders {
                return Err(format!("slot {slot}: group, peg or order out of range"));
            }
        }
        let (mut at, mut listed) = (self.free_head, 0usize);
        while at != NIL {
            if listed >= len || !link(at) || self.entries[at as usize].prev != FREED {
                return Err("the slab's free list is broken".into());
            }
            listed += 1;
            at = self.entries[at as usize].next;
        }
        if listed != freed || len - freed != self.live {
            return Err(format!(
                "{freed} slots freed, {listed} on the free list, {} live",
                self.live
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
impl Resting {
    /// A one-slot ask with arrival number `order`, for unit tests of the book's structures.
    pub(crate) fn for_test(order: u32) -> Resting {
        Resting {
            price_nano: 1,
            order: OrderRef(order),
            remaining: 1,
            group: GroupId(0),
            owner: Owner([0; 20]),
            terms: Terms::Ask { from_ms: 0, until_ms: 10 },
            expiry_ms: 10,
            prev: NIL,
            next: NIL,
            peg: NIL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In debug builds, freeing a slot twice (which would put it on the free list twice, and
    /// give two orders one slot) is caught at once.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "freed twice")]
    fn freeing_a_slot_twice_is_caught() {
        let mut slab = Slab::with_capacity(2);
        let first = slab.insert(Resting::for_test(0));
        slab.insert(Resting::for_test(1));
        slab.remove(first);
        slab.remove(first);
    }
}
