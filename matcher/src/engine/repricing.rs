//! A `reference` command: set a class's reference price, re-price the orders pegged to it, and
//! let the re-priced orders that now cross trade (docs/order-stream.md, "Re-pricing").
//!
//! The order of work is fixed, so the events are deterministic:
//!
//! 1. every resting order pegged to the class gets its new effective price, at its arrival
//!    position in its new level (it keeps its time priority), or off its ladder if it became
//!    unpriced;
//! 2. then, in arrival order, each re-priced order that still rests and has a price trades as an
//!    aggressor, exactly as an incoming gtc order would (rules 1–4, the deal at the resting
//!    order's price, self-trades skipped); what it does not fill stays where it rests.
//!
//! Step 1 costs one number per floating ladder of the class (its shift, `floats.rs`) plus the
//! orders that change state (they get or lose a price, or their limit starts or stops binding),
//! found among the class's thresholds (`switches.rs`); no other order is touched. The
//! number re-priced is counted, not walked: every floating order changes price when the
//! reference does. Step 2 runs only the orders that can cross: the switched ones and, on each
//! floating ladder, the levels at or better than the best price the ladder's group could trade
//! with. Aggressors only take liquidity away, so an order that cannot cross when step 2 starts
//! cannot cross later in it, and leaving it out changes nothing.

use super::floats::float_shift;
use super::index::{FloatId, GroupId};
use super::pegs::PegState;
use super::slab::{Terms, NIL};
use super::{ladder_of, Engine};
use crate::command::Price;
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
        let mut repriced = 0;
        if previous != Some(price_nano) {
            repriced = self.move_pegged(at, previous, price_nano);
            self.collect_crossing(at);
        }
        out.push(Event::Reference { class, price_nano, repriced });
        for next in 0..self.repriced.len() {
            let (order, slot) = self.repriced[next];
            // Filled by an earlier aggressor of this same command: nothing left to do.
            if self.slab.holds(slot, order) && self.price_of(self.slab.get(slot)).is_some() {
                self.aggress(slot, out);
            }
        }
    }

    /// Step 1: shifts the floating ladders of class `at` to `reference_nano` and moves the
    /// orders whose state changes from `previous`; the number of orders whose effective price
    /// changed. The moved orders that now have a price are recorded in `self.repriced`.
    fn move_pegged(&mut self, at: u32, previous: Option<u64>, reference_nano: u64) -> u64 {
        let class = &self.pegs.classes[at as usize];
        let floating_before = class.floating;
        for &float in &class.floats {
            let float = &mut self.pegs.floats.list[float.at()];
            float.shift = float_shift(reference_nano, float.units, float.is_bid);
        }
        self.switching.clear();
        self.pegs.cross(at, previous, reference_nano, &mut self.switching);
        if previous.is_none() {
            // Every order was unpriced: each may change.
            self.switching.clear();
            let mut peg_at = self.pegs.classes[at as usize].head;
            while peg_at != NIL {
                let entry = self.pegs.get(peg_at);
                self.switching.push((entry.order, peg_at));
                peg_at = entry.next;
            }
        }
        // In arrival order; an order with both thresholds crossed is listed twice.
        self.switching.sort_unstable();
        self.switching.dedup();
        let (mut switched, mut left_floating) = (0u64, 0u64);
        for next in 0..self.switching.len() {
            let (order, peg_at) = self.switching[next];
            let entry = *self.pegs.get(peg_at);
            let state = self.pegs.state_at(peg_at, Some(reference_nano));
            if state == entry.state {
                continue;
            }
            let resting = *self.slab.get(entry.slot);
            if let Some((rank, ladder)) = ladder_of(&mut self.groups, &mut self.pegs, &resting) {
                ladder.unlink(&mut self.slab, entry.slot, rank);
            }
            let float = if state == PegState::Floating {
                self.float_of(resting.group, entry.class, entry.units, entry.is_bid)
            } else {
                FloatId::NIL
            };
            let moved = self.pegs.get_mut(peg_at);
            (moved.state, moved.float) = (state, float);
            let class = &mut self.pegs.classes[at as usize];
            class.floating += usize::from(state == PegState::Floating);
            class.floating -= usize::from(entry.state == PegState::Floating);
            if let Some((rank, ladder)) = ladder_of(&mut self.groups, &mut self.pegs, &resting) {
                ladder.insert_by_arrival(&mut self.slab, entry.slot, rank);
                self.repriced.push((order, entry.slot));
            }
            switched += 1;
            left_floating += u64::from(entry.state == PegState::Floating);
        }
        floating_before as u64 - left_floating + switched
    }

    /// Step 2's candidates: adds to `self.repriced` every order on a floating ladder of class
    /// `at` priced at or better than the best price on the other side its group can trade
    /// with, then sorts them all by arrival.
    fn collect_crossing(&mut self, at: u32) {
        for next in 0..self.pegs.classes[at as usize].floats.len() {
            let float = &self.pegs.floats.list[self.pegs.classes[at as usize].floats[next].at()];
            let Some(best_other) = self.best_other_rank(float.group, float.is_bid) else {
                continue;
            };
            // An order of rank r crosses an opposite level of rank o when r + o ≥ u64::MAX
            // (a bid's price at least an ask's; ranks of asks are complements).
            let rank_min = u64::MAX - best_other;
            for level in float.ladder.levels.iter().rev() {
                if level.rank.wrapping_add(float.shift) < rank_min {
                    break;
                }
                let mut slot = level.head;
                while slot != NIL {
                    let resting = self.slab.get(slot);
                    self.repriced.push((resting.order, slot));
                    slot = resting.next;
                }
            }
        }
        self.repriced.sort_unstable();
        self.repriced.dedup();
    }

    /// The best effective rank on the other side among the groups `group` can trade with
    /// (`is_bid`: `group` is a signature), over their fixed and floating ladders.
    fn best_other_rank(&self, group: GroupId, is_bid: bool) -> Option<u64> {
        let floats = &self.pegs.floats.list;
        let top = |ladder: &super::ladder::Ladder, shift: u64| {
            ladder.levels.last().map(|level| level.rank.wrapping_add(shift))
        };
        let mut best: Option<u64> = None;
        let mut consider = |rank: Option<u64>| best = best.max(rank);
        if is_bid {
            for &config in &self.groups.signatures.get(group).related {
                let config = self.groups.configs.get(config);
                consider(top(&config.ladder, 0));
                for &float in &config.floats {
                    consider(top(&floats[float.at()].ladder, floats[float.at()].shift));
                }
            }
        } else {
            for &signature in &self.groups.configs.get(group).related {
                let signature = self.groups.signatures.get(signature);
                consider(top(&signature.ladder, 0));
                for &float in &signature.floats {
                    consider(top(&floats[float.at()].ladder, floats[float.at()].shift));
                }
            }
        }
        best
    }

    /// Step 2 for one order: the resting order in `slot` takes what it crosses on the other
    /// side, as an incoming gtc order would; its remainder stays resting.
    fn aggress(&mut self, slot: u32, out: &mut Vec<Event>) {
        let me = *self.slab.get(slot);
        let price_nano = self.price_of(&me).expect("only re-priced orders with a price aggress");
        let need = me.remaining;
        let planned = match me.terms {
            Terms::Ask { from_ms, until_ms } => {
                self.plan_ask(price_nano, me.owner, need, (from_ms, until_ms), me.group)
            }
            Terms::Bid { not_before_ms, deadline_ms, duration_ms } => {
                let terms = (not_before_ms, deadline_ms, duration_ms);
                self.plan_bid(price_nano, me.owner, need, terms, me.group)
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
