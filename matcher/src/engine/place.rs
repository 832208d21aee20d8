//! Placing an admitted ask or bid: plan its fills (rules 1–4), then apply rule 5 — trade, rest
//! or cancel the remainder.

use super::index::{FloatId, GroupId};
use super::pegs::state_of;
use super::pegs::PegEntry;
use super::plan::{plan, Book, Incoming};
use super::slab::{Resting, Terms, NIL};
use super::{ask_rank, Engine, INACTIVE};
use crate::command::{Ask, Bid, Price, Tif};
use crate::event::{CancelReason, Deal, Event, OrderRef};
use crate::owner::Owner;

/// Rule 2 for one pair: the deal's `(start_ms, end_ms)` at `now_ms`, if it fits both windows.
pub(super) fn deal_window(
    now_ms: u64,
    ask: (u64, u64),
    bid: (u64, u64, u64),
) -> Option<(u64, u64)> {
    let ((from_ms, until_ms), (not_before_ms, deadline_ms, duration_ms)) = (ask, bid);
    let start_ms = now_ms.max(not_before_ms).max(from_ms);
    let end_ms = start_ms + duration_ms;
    (end_ms <= deadline_ms && end_ms <= until_ms).then_some((start_ms, end_ms))
}

/// The price kept in the slab: a fixed price, which is always a price; 0 for a pegged order,
/// whose price lives in its peg and is read through `Engine::price_of`.
fn slab_price(price_nano: Option<u64>, peg: &Option<PegEntry>) -> u64 {
    match peg {
        Some(_) => 0,
        None => price_nano.expect("an order without a peg has a fixed price"),
    }
}

/// How much of an incoming order to plan: post-only only needs to know whether anything could
/// trade.
fn need(qty: u32, tif: Tif) -> u32 {
    if tif == Tif::Post {
        1
    } else {
        qty
    }
}

impl Engine {
    pub(super) fn place_ask(
        &mut self,
        ask: &Ask,
        id_hash: u64,
        group: Option<GroupId>,
        out: &mut Vec<Event>,
    ) {
        // The id is registered once the order has found its place (with its slot), but its
        // arrival number is fixed now.
        let order = OrderRef(self.ids.len() as u32);
        out.push(Event::Accepted { order });
        let group = group.unwrap_or_else(|| self.add_config(&ask.hw));
        let (price_nano, peg) = self.price_on_arrival(&ask.price, false);
        let qty = ask.qty as u32;
        let planned = match price_nano {
            Some(price_nano) => self.plan_ask(
                price_nano,
                ask.owner,
                need(qty, ask.tif),
                (ask.from_ms, ask.until_ms),
                group,
            ),
            None => self.plan_nothing(),
        };
        let resting = Resting {
            price_nano: slab_price(price_nano, &peg),
            order,
            remaining: qty,
            group,
            owner: ask.owner,
            terms: Terms::Ask { from_ms: ask.from_ms, until_ms: ask.until_ms },
            expiry_ms: crate::validate::ask_expiry_ms(ask),
            prev: 0,
            next: 0,
            peg: NIL,
        };
        let slot = self.finish(resting, ask.tif, planned, peg, out);
        self.ids.insert(&ask.id, id_hash, slot);
    }

    /// Plans what an ask at `price_nano` takes from the resting bids its configuration
    /// `group` satisfies (rules 1–4), into the scratch fills; the planned quantity.
    pub(super) fn plan_ask(
        &mut self,
        price_nano: u64,
        owner: Owner,
        need: u32,
        window: (u64, u64),
        group: GroupId,
    ) -> u32 {
        let now_ms = self.now_ms;
        let fits = move |bid: &Resting| match bid.terms {
            Terms::Bid { not_before_ms, deadline_ms, duration_ms } => {
                deal_window(now_ms, window, (not_before_ms, deadline_ms, duration_ms))
            }
            Terms::Ask { .. } => None,
        };
        let incoming = Incoming {
            rank_min: price_nano,
            owner,
            need,
            fits,
            groups: &self.groups.configs.get(group).related,
        };
        let signatures = &self.groups.signatures;
        let book = Book {
            group: |g: GroupId| {
                let s = signatures.get(g);
                (&s.ladder, s.floats.as_slice())
            },
            floats: &self.pegs.floats.list,
        };
        plan(incoming, book, &self.slab, &mut self.scratch)
    }

    /// Plans what a bid with limit `limit_nano` takes from the resting asks of the
    /// configurations its signature `group` fits (rules 1–4); the planned quantity.
    pub(super) fn plan_bid(
        &mut self,
        limit_nano: u64,
        owner: Owner,
        need: u32,
        terms: (u64, u64, u64),
        group: GroupId,
    ) -> u32 {
        let now_ms = self.now_ms;
        let fits = move |ask: &Resting| match ask.terms {
            Terms::Ask { from_ms, until_ms } => deal_window(now_ms, (from_ms, until_ms), terms),
            Terms::Bid { .. } => None,
        };
        let incoming = Incoming {
            rank_min: ask_rank(limit_nano),
            owner,
            need,
            fits,
            groups: &self.groups.signatures.get(group).related,
        };
        let configs = &self.groups.configs;
        let book = Book {
            group: |g: GroupId| {
                let c = configs.get(g);
                (&c.ladder, c.floats.as_slice())
            },
            floats: &self.pegs.floats.list,
        };
        plan(incoming, book, &self.slab, &mut self.scratch)
    }

    /// An unpriced order plans nothing: it cannot trade until a reference prices it.
    fn plan_nothing(&mut self) -> u32 {
        self.scratch.fills.clear();
        0
    }

    /// What an arriving order is worth now, and for a pegged one the peg to file it under
    /// (its class created if new; admission checked there is room).
    fn price_on_arrival(&mut self, price: &Price, is_bid: bool) -> (Option<u64>, Option<PegEntry>) {
        match *price {
            Price::Fixed(price_nano) => (Some(price_nano), None),
            Price::Pegged(peg) => {
                let class = self.pegs.class(peg.class);
                let reference_nano = self.pegs.classes[class as usize].reference_nano;
                let price_nano = reference_nano.and_then(|r| peg.effective_nano(r, is_bid));
                let state = state_of(price_nano, peg.limit_nano);
                let entry = PegEntry {
                    class,
                    offset_nano: peg.offset_nano,
                    limit_nano: peg.limit_nano,
                    units: peg.units,
                    slot: NIL,
                    state,
                    float: FloatId::NIL,
                    is_bid,
                    order: OrderRef(NIL),
                    prev: NIL,
                    next: NIL,
                };
                (price_nano, Some(entry))
            }
        }
    }

    pub(super) fn place_bid(
        &mut self,
        bid: &Bid,
        id_hash: u64,
        group: Option<GroupId>,
        out: &mut Vec<Event>,
    ) {
        // The id is registered once the order has found its place (with its slot), but its
        // arrival number is fixed now.
        let order = OrderRef(self.ids.len() as u32);
        out.push(Event::Accepted { order });
        let group = group.unwrap_or_else(|| self.add_signature(&bid.req));
        let (limit_nano, peg) = self.price_on_arrival(&bid.limit, true);
        let terms = (bid.not_before_ms, bid.deadline_ms, bid.duration_ms);
        let qty = bid.qty as u32;
        let planned = match limit_nano {
            Some(limit_nano) => {
                self.plan_bid(limit_nano, bid.owner, need(qty, bid.tif), terms, group)
            }
            None => self.plan_nothing(),
        };
        let resting = Resting {
            price_nano: slab_price(limit_nano, &peg),
            order,
            remaining: qty,
            group,
            owner: bid.owner,
            terms: Terms::Bid {
                not_before_ms: bid.not_before_ms,
                deadline_ms: bid.deadline_ms,
                duration_ms: bid.duration_ms,
            },
            expiry_ms: crate::validate::bid_expiry_ms(bid),
            prev: 0,
            next: 0,
            peg: NIL,
        };
        let slot = self.finish(resting, bid.tif, planned, peg, out);
        self.ids.insert(&bid.id, id_hash, slot);
    }

    /// Rule 5: trades the plan (unless fill-or-kill or post-only forbid it), then rests or
    /// cancels what remains of the incoming order. The slot it rests in, else [`INACTIVE`].
    fn finish(
        &mut self,
        mut incoming: Resting,
        tif: Tif,
        planned: u32,
        peg: Option<PegEntry>,
        out: &mut Vec<Event>,
    ) -> u32 {
        let qty = incoming.remaining;
        let refuse = match tif {
            Tif::Post => (planned > 0).then_some(CancelReason::Post),
            Tif::Fok => (planned < qty).then_some(CancelReason::Fok),
            Tif::Gtc | Tif::Ioc => None,
        };
        if let Some(reason) = refuse {
            out.push(Event::Cancelled { order: incoming.order, remaining: u64::from(qty), reason });
            return INACTIVE;
        }
        if tif != Tif::Post {
            self.execute(&incoming, out);
            incoming.remaining -= planned;
        }
        if incoming.remaining == 0 {
            return INACTIVE;
        }
        if tif == Tif::Ioc {
            let remaining = u64::from(incoming.remaining);
            let reason = CancelReason::Ioc;
            out.push(Event::Cancelled { order: incoming.order, remaining, reason });
            return INACTIVE;
        }
        self.rest(incoming, peg)
    }

    /// Trades the planned fills; the price of each deal is the resting order's price.
    pub(super) fn execute(&mut self, incoming: &Resting, out: &mut Vec<Event>) {
        for at in 0..self.scratch.fills.len() {
            let fill = self.scratch.fills[at];
            let price_nano = self
                .price_of(self.slab.get(fill.slot))
                .expect("the planner takes only orders on a ladder, which all have a price");
            let resting = self.slab.get_mut(fill.slot);
            resting.remaining -= fill.qty;
            let (other, other_owner, done) = (resting.order, resting.owner, resting.remaining == 0);
            let ((bid, requester), (ask, provider)) = match incoming.terms {
                Terms::Bid { .. } => ((incoming.order, incoming.owner), (other, other_owner)),
                Terms::Ask { .. } => ((other, other_owner), (incoming.order, incoming.owner)),
            };
            self.deals += 1;
            out.push(Event::Deal(Deal {
                deal: self.deals,
                bid,
                ask,
                requester,
                provider,
                qty: u64::from(fill.qty),
                price_nano,
                start_ms: fill.start_ms,
                end_ms: fill.end_ms,
            }));
            if done {
                self.remove_resting(fill.slot);
            }
        }
    }
}
