//! A `reference` command: set a class's reference price, re-price the orders pegged to it, and
//! let the re-priced orders that now cross trade (docs/order-stream.md, "Re-pricing").
//!
//! The order of work is fixed, so the events are deterministic:
//!
//! 1. every resting order pegged to the class, in arrival order, gets its new effective price
//!    and moves to its new level at its arrival position (it keeps its time priority), or off
//!    its ladder if it became unpriced;
//! 2. then, in arrival order, each re-priced order that still rests and has a price trades as an
//!    aggressor, exactly as an incoming gtc order would (rules 1–4, the deal at the resting
//!    order's price, self-trades skipped); what it does not fill stays where it rests.
//!
//! Moving everything first means an aggressor sees the book at its final prices, whatever the
//! order of the list. Only the class's own list is walked, never the book.

use super::slab::{Terms, NIL};
use super::{ladder_of, Engine};
use crate::command::{Peg, Price};
use crate::event::Event;
use crate::hardware::Sym;

impl Engine {
    /// The reference price of `class`, if one was set.
    pub fn reference_nano(&self, class: Sym) -> Option<u64> {
        self.pegs.reference_of(class)
    }

    /// What an order with `price` would be worth now (`is_bid`: a bid's limit), `None` for a
    /// pegged order that is unpriced (no reference yet, or a bid's `reference + offset ≤ 0`).
    pub fn effective_price(&self, price: &Price, is_bid: bool) -> Option<u64> {
        match price {
            Price::Fixed(price_nano) => Some(*price_nano),
            Price::Pegged(peg) => {
                self.pegs.reference_of(peg.class).and_then(|r| peg.effective_nano(r, is_bid))
            }
        }
    }

    /// Applies an admitted reference: `price_nano` becomes the reference of `class`.
    pub(super) fn set_reference(&mut self, class: Sym, price_nano: u64, out: &mut Vec<Event>) {
        let at = self.pegs.class(class);
        let previous = self.pegs.classes[at as usize].reference_nano;
        self.pegs.classes[at as usize].reference_nano = Some(price_nano);
        self.repriced.clear();
        if previous != Some(price_nano) {
            self.move_pegged(at, price_nano);
        }
        let repriced = self.repriced.len() as u64;
        out.push(Event::Reference { class, price_nano, repriced });
        for next in 0..self.repriced.len() {
            let (order, slot) = self.repriced[next];
            // Filled by an earlier aggressor of this same command: nothing left to do.
            if self.slab.holds(slot, order) && self.pegs.get(self.slab.get(slot).peg).priced {
                self.aggress(slot, out);
            }
        }
    }

    /// Step 1: gives every order pegged to class `at` its price under `reference_nano`, moving
    /// those whose price changed; records them in `self.repriced`, in arrival order.
    fn move_pegged(&mut self, at: u32, reference_nano: u64) {
        let mut peg_at = self.pegs.classes[at as usize].head;
        while peg_at != NIL {
            let entry = *self.pegs.get(peg_at);
            let resting = *self.slab.get(entry.slot);
            let is_bid = matches!(resting.terms, Terms::Bid { .. });
            let peg = Peg {
                class: self.pegs.classes[at as usize].sym,
                offset_nano: entry.offset_nano,
                limit_nano: entry.limit_nano,
                units: entry.units,
            };
            let price_nano = peg.effective_nano(reference_nano, is_bid);
            let before = entry.priced.then_some(resting.price_nano);
            if price_nano != before {
                if entry.priced {
                    let (rank, ladder) = ladder_of(&mut self.groups, &resting);
                    ladder.unlink(&mut self.slab, entry.slot, rank);
                }
                let moved = self.slab.get_mut(entry.slot);
                moved.price_nano = price_nano.unwrap_or(0);
                let moved = *moved;
                self.pegs.get_mut(peg_at).priced = price_nano.is_some();
                if price_nano.is_some() {
                    let (rank, ladder) = ladder_of(&mut self.groups, &moved);
                    ladder.insert_by_arrival(&mut self.slab, entry.slot, rank);
                }
                self.repriced.push((resting.order, entry.slot));
            }
            peg_at = entry.next;
        }
    }

    /// Step 2 for one order: the resting order in `slot` takes what it crosses on the other
    /// side, as an incoming gtc order would; its remainder stays resting.
    fn aggress(&mut self, slot: u32, out: &mut Vec<Event>) {
        let me = *self.slab.get(slot);
        let need = me.remaining;
        let planned = match me.terms {
            Terms::Ask { from_ms, until_ms } => {
                self.plan_ask(me.price_nano, me.owner, need, (from_ms, until_ms), me.group)
            }
            Terms::Bid { not_before_ms, deadline_ms, duration_ms } => {
                let terms = (not_before_ms, deadline_ms, duration_ms);
                self.plan_bid(me.price_nano, me.owner, need, terms, me.group)
            }
        };
        if planned == 0 {
            return;
        }
        self.execute(&me, out);
        let left = self.slab.get(slot).remaining - planned;
        self.slab.get_mut(slot).remaining = left;
        if left == 0 {
            self.remove_resting(slot);
        }
    }
}
