//! Looking into the book without changing it: snapshots for tests and tools, memory accounting,
//! and the invariant checker the property tests run after every command.

use super::floats::float_rank;
use super::index::{FloatId, GroupId};
use super::ladder::Ladder;
use super::pegs::PegState;
use super::slab::{Terms, NIL};
use super::{rank_of, Engine};
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
            let price_nano = self.price_of(resting);
            views.push(RestingView {
                order,
                side,
                price_nano: price_nano.unwrap_or(0),
                priced: price_nano.is_some(),
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
            + (self.repriced.capacity() + self.switching.capacity())
                * std::mem::size_of::<(OrderRef, u32)>()
    }

    /// Checks every structural invariant of the book; the first broken one is described.
    ///
    /// - every level is non-empty, levels are strictly ordered worst to best, and each level's
    ///   list is linked both ways in strictly increasing arrival order;
    /// - every listed order rests on its own group's ladder at its own rank, with a positive
    ///   remaining quantity, and the id registry points at its slot;
    /// - fixed-price and clamped pegged orders rest on their group's fixed ladder (at their
    ///   price or limit), floating ones on their floating ladder at the rank of their offset;
    /// - every class's list of pegged orders is linked both ways in strictly increasing arrival
    ///   order, each entry's order rests and points back at it, its state is what its peg and
    ///   the class's reference say (an unpriced one is on no ladder), the class's floating
    ///   count is right and its thresholds index exactly its orders;
    /// - the number of listed orders (on ladders, or unpriced) equals the number of live slots;
    /// - the groups hold as `check_groups.rs` states (counts, idle lists, compatibility entries
    ///   on both sides, floating ladders filed under their group and class).
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut listed = 0usize;
        let configs = self.groups.configs.list.iter().map(|c| (Side::Ask, &c.ladder));
        let signatures = self.groups.signatures.list.iter().map(|s| (Side::Bid, &s.ladder));
        for (at, (side, ladder)) in configs.enumerate().chain(signatures.enumerate()) {
            listed += self.check_ladder(side, GroupId::of(at), ladder, FloatId::NIL)?;
        }
        for (at, float) in self.pegs.floats.list.iter().enumerate() {
            let side = if float.is_bid { Side::Bid } else { Side::Ask };
            listed += self.check_ladder(side, float.group, &float.ladder, FloatId::of(at))?;
        }
        listed += self.check_pegs()?;
        self.check_groups()?;
        if listed != self.slab.live() {
            return Err(format!("{listed} orders listed but {} slots live", self.slab.live()));
        }
        Ok(())
    }

    /// One ladder's part of [`Engine::check_invariants`]: `float` is the floating ladder, or
    /// [`FloatId::NIL`] for `group`'s fixed ladder. The number of orders on it.
    fn check_ladder(
        &self,
        side: Side,
        group: GroupId,
        ladder: &Ladder,
        float: FloatId,
    ) -> Result<usize, String> {
        let mut listed = 0usize;
        for pair in ladder.levels.windows(2) {
            if pair[0].rank >= pair[1].rank {
                return Err(format!("{side:?} {group:?}: levels out of order"));
            }
        }
        for level in &ladder.levels {
            if level.head == NIL {
                return Err(format!("{side:?} {group:?}: empty level"));
            }
            let (mut slot, mut prev, mut last_arrival) = (level.head, NIL, None);
            while slot != NIL {
                let resting = self.slab.get(slot);
                let is_bid = match (side, resting.terms) {
                    (Side::Ask, Terms::Ask { .. }) => false,
                    (Side::Bid, Terms::Bid { .. }) => true,
                    _ => return Err(format!("slot {slot} on the wrong side")),
                };
                // Where the order should rest: its state decides the ladder and the rank.
                let (want_float, rank) = if resting.peg == NIL {
                    (FloatId::NIL, rank_of(resting.price_nano, is_bid))
                } else {
                    let entry = self.pegs.get(resting.peg);
                    match entry.state {
                        PegState::Unpriced => {
                            return Err(format!("slot {slot}: unpriced order on a ladder"))
                        }
                        PegState::Clamped => (FloatId::NIL, rank_of(entry.limit_nano, is_bid)),
                        PegState::Floating => (entry.float, float_rank(entry.offset_nano, is_bid)),
                    }
                };
                if want_float != float || rank != level.rank || resting.group != group {
                    return Err(format!("slot {slot} on the wrong ladder, level or group"));
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
                return Err(format!("{side:?} {group:?}: tail is not the last order"));
            }
        }
        Ok(listed)
    }
}

impl Engine {
    /// The class lists' part of [`Engine::check_invariants`]; the number of unpriced orders
    /// (which are on no ladder).
    fn check_pegs(&self) -> Result<usize, String> {
        let (mut unpriced, mut pegged) = (0usize, 0usize);
        for (at, class) in self.pegs.classes.iter().enumerate() {
            let (mut peg_at, mut prev, mut last_arrival) = (class.head, NIL, None);
            let (mut floating, mut switches) = (0usize, 0usize);
            while peg_at != NIL {
                let entry = self.pegs.get(peg_at);
                if entry.prev != prev || entry.class as usize != at || entry.slot == NIL {
                    return Err(format!("class {at}: broken peg list at {peg_at}"));
                }
                let resting = self.slab.get(entry.slot);
                if !self.slab.holds(entry.slot, resting.order) || resting.peg != peg_at {
                    return Err(format!("class {at}: peg {peg_at} names no resting order"));
                }
                if last_arrival.is_some_and(|a| a >= resting.order) {
                    return Err(format!("class {at}: pegs not in arrival order"));
                }
                let is_bid = matches!(resting.terms, Terms::Bid { .. });
                if entry.state != self.pegs.state_at(peg_at, class.reference_nano)
                    || entry.is_bid != is_bid
                    || entry.order != resting.order
                {
                    return Err(format!("class {at}: order {:?} mispriced", resting.order));
                }
                switches += super::pegs::thresholds(entry).into_iter().flatten().count();
                unpriced += usize::from(entry.state == PegState::Unpriced);
                floating += usize::from(entry.state == PegState::Floating);
                pegged += 1;
                last_arrival = Some(resting.order);
                (prev, peg_at) = (peg_at, entry.next);
            }
            if prev != class.tail {
                return Err(format!("class {at}: tail is not the last peg"));
            }
            if floating != class.floating || switches != class.switches.live() {
                return Err(format!("class {at}: floating count or thresholds out of date"));
            }
            // Each live threshold is one of its order's, filed on its side of the reference;
            // with the count above, no order's threshold is missing or twice there.
            let mut filed = 0usize;
            for ((threshold, _, peg_at), below) in
                class.switches.entries(|order, peg| self.pegs.is_live(order, peg))
            {
                let own = super::pegs::thresholds(self.pegs.get(peg_at));
                let side = class.reference_nano.is_some_and(|r| threshold <= r);
                if !own.contains(&Some(threshold)) || below != side {
                    return Err(format!("class {at}: threshold of peg {peg_at} misfiled"));
                }
                filed += 1;
            }
            if filed != switches {
                return Err(format!("class {at}: {filed} thresholds filed, {switches} wanted"));
            }
        }
        if pegged != self.pegs.live() {
            return Err(format!("{pegged} pegs listed but {} live", self.pegs.live()));
        }
        Ok(unpriced)
    }
}
