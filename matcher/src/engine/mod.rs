//! The matching engine: a pure state machine, `apply(command, now) → events`.
//!
//! ```text
//!   Command ─► validate ─► expire (rule 6) ─► plan (rules 1–4) ─► execute ─► rest / cancel (rule 5)
//!                 │                                                   │
//!                 └──────────── Rejected (nothing changes) ◄──────────┘ events, in order
//! ```
//!
//! Assumptions: the caller passes each command with the time it happens at (the stream's `ts`);
//! the engine never reads a clock, does no I/O, starts no thread and never iterates a hash map
//! into its output, so the same commands always give the same events. Once its buffers have
//! grown to the book's size, applying a command allocates nothing.

mod config;
mod expiry;
mod groups;
mod ids;
mod inspect;
mod ladder;
mod plan;
mod slab;

pub use config::EngineConfig;
pub use inspect::{RestingView, Side};

use crate::command::{Ask, Bid, Cancel, Command, Tif};
use crate::event::{CancelReason, Deal, Event, IdLookup, OrderRef, RejectReason};
use crate::limits::TIME_MS_MAX;
use crate::validate::{ask_expiry_ms, bid_expiry_ms, check_ask, check_bid, check_id};
use expiry::ExpiryQueue;
use groups::Groups;
use ids::{IdRegistry, INACTIVE};
use plan::{plan, Incoming, Scratch};
use slab::{Resting, Slab, Terms};

/// The order book and its matching rules.
#[derive(Debug, Clone)]
pub struct Engine {
    config: EngineConfig,
    now_ms: u64,
    ids: IdRegistry,
    slab: Slab,
    groups: Groups,
    expiry: ExpiryQueue,
    deals: u64,
    scratch: Scratch,
}

/// Rank of an ask price on its ladder: lower prices rank higher.
fn ask_rank(price_nano: u64) -> u64 {
    u64::MAX - price_nano
}

/// The ladder a resting order lives on, and its rank there.
fn ladder_of<'g>(groups: &'g mut Groups, resting: &Resting) -> (u64, &'g mut ladder::Ladder) {
    match resting.terms {
        Terms::Ask { .. } => {
            (ask_rank(resting.price_nano), &mut groups.configs[resting.group as usize].ladder)
        }
        Terms::Bid { .. } => {
            (resting.price_nano, &mut groups.signatures[resting.group as usize].ladder)
        }
    }
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(EngineConfig::default())
    }
}

impl IdLookup for Engine {
    fn order_id(&self, order: OrderRef) -> &str {
        self.ids.id(order)
    }
}

impl Engine {
    /// An empty book with the given limits, its buffers reserved as configured.
    pub fn new(config: EngineConfig) -> Engine {
        Engine {
            ids: IdRegistry::with_capacity(config.reserve_orders, config.reserve_orders * 16),
            slab: Slab::with_capacity(config.reserve_resting),
            expiry: ExpiryQueue::with_capacity(config.reserve_resting * 2 + 1024),
            groups: Groups::new(config.reserve_levels),
            now_ms: 0,
            deals: 0,
            scratch: Scratch::default(),
            config,
        }
    }

    /// The engine's clock: the time of the last accepted command.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Number of resting orders.
    pub fn resting(&self) -> usize {
        self.slab.live()
    }

    /// Number of deals so far.
    pub fn deals(&self) -> u64 {
        self.deals
    }

    /// Applies one command at `now_ms` and returns its events.
    pub fn apply(&mut self, command: &Command, now_ms: u64) -> Vec<Event> {
        let mut events = Vec::new();
        self.apply_into(command, now_ms, &mut events);
        events
    }

    /// Applies one command at `now_ms`, appending its events to `out` (the allocation-free form).
    pub fn apply_into(&mut self, command: &Command, now_ms: u64, out: &mut Vec<Event>) {
        if let Err(reason) = self.validate(command, now_ms) {
            out.push(Event::Rejected { reason });
            return;
        }
        self.now_ms = now_ms;
        self.expire(out);
        match command {
            Command::Ask(ask) => self.place_ask(ask, out),
            Command::Bid(bid) => self.place_bid(bid, out),
            Command::Cancel(cancel) => self.cancel(cancel, out),
            Command::Tick => {}
        }
        #[cfg(debug_assertions)]
        if self.config.debug_check_invariants {
            if let Err(broken) = self.check_invariants() {
                panic!("book invariant broken after {command:?}: {broken}");
            }
        }
    }

    fn validate(&self, command: &Command, now_ms: u64) -> Result<(), RejectReason> {
        if now_ms > TIME_MS_MAX {
            return Err(RejectReason::BadTime);
        }
        if now_ms < self.now_ms {
            return Err(RejectReason::TimeBackwards);
        }
        match command {
            Command::Ask(ask) => {
                self.check_new_id(&ask.id)?;
                check_ask(ask, now_ms)?;
                let new_group = self.groups.find_config(&ask.hw).is_none();
                self.check_room(
                    &ask.id,
                    new_group && self.groups.configs.len() >= self.config.configs_max,
                )
            }
            Command::Bid(bid) => {
                self.check_new_id(&bid.id)?;
                check_bid(bid, now_ms)?;
                let new_group = self.groups.find_signature(&bid.req).is_none();
                let full = new_group && self.groups.signatures.len() >= self.config.signatures_max;
                self.check_room(&bid.id, full)
            }
            Command::Cancel(cancel) => self.check_cancel(cancel, now_ms),
            Command::Tick => Ok(()),
        }
    }

    fn check_new_id(&self, id: &str) -> Result<(), RejectReason> {
        check_id(id)?;
        match self.ids.find(id) {
            Some(_) => Err(RejectReason::DuplicateId),
            None => Ok(()),
        }
    }

    /// Capacity is checked last and before expiry frees anything, so it never depends on
    /// what this command's time would expire.
    fn check_room(&self, id: &str, groups_full: bool) -> Result<(), RejectReason> {
        let ids_room =
            self.ids.has_room(id.len(), self.config.orders_max, self.config.id_bytes_max);
        if groups_full || !ids_room || self.slab.live() >= self.config.resting_max {
            return Err(RejectReason::Capacity);
        }
        Ok(())
    }

    /// Rule 7, with the order's activity judged at `now_ms`: an order that this command's time
    /// would expire is already inactive.
    fn check_cancel(&self, cancel: &Cancel, now_ms: u64) -> Result<(), RejectReason> {
        let order = self.ids.find(&cancel.id).ok_or(RejectReason::UnknownId)?;
        let slot = self.ids.slot(order);
        if slot == INACTIVE || self.slab.get(slot).expiry_ms <= now_ms {
            return Err(RejectReason::InactiveId);
        }
        if self.slab.get(slot).owner != cancel.owner {
            return Err(RejectReason::NotOwner);
        }
        Ok(())
    }

    /// Rule 6: removes every resting order that can no longer trade at the new time, in
    /// (expiry time, arrival) order.
    fn expire(&mut self, out: &mut Vec<Event>) {
        while let Some((order, slot)) = self.expiry.pop_due(self.now_ms) {
            if self.ids.slot(order) != slot {
                continue; // filled or cancelled earlier: a stale entry
            }
            let remaining = u64::from(self.slab.get(slot).remaining);
            self.remove_resting(slot);
            out.push(Event::Expired { order, remaining });
        }
        let (ids, live) = (&self.ids, self.slab.live());
        self.expiry.sweep_stale(live, |order, slot| ids.slot(order) == slot);
    }

    fn cancel(&mut self, cancel: &Cancel, out: &mut Vec<Event>) {
        let Some(order) = self.ids.find(&cancel.id) else { return };
        let slot = self.ids.slot(order);
        if slot == INACTIVE {
            return;
        }
        let remaining = u64::from(self.slab.get(slot).remaining);
        self.remove_resting(slot);
        out.push(Event::Cancelled { order, remaining, reason: CancelReason::User });
    }

    fn place_ask(&mut self, ask: &Ask, out: &mut Vec<Event>) {
        let order = self.ids.insert(&ask.id);
        out.push(Event::Accepted { order });
        let group = self.groups.config(&ask.hw);
        let now_ms = self.now_ms;
        let (from_ms, until_ms) = (ask.from_ms, ask.until_ms);
        let fits = move |bid: &Resting| match bid.terms {
            Terms::Bid { not_before_ms, deadline_ms, duration_ms } => {
                let start_ms = now_ms.max(not_before_ms).max(from_ms);
                let end_ms = start_ms + duration_ms;
                (end_ms <= deadline_ms && end_ms <= until_ms).then_some((start_ms, end_ms))
            }
            Terms::Ask { .. } => None,
        };
        let qty = ask.qty as u32;
        let need = if ask.tif == Tif::Post { 1 } else { qty };
        let incoming = Incoming {
            rank_min: ask.price_nano,
            owner: ask.owner,
            need,
            fits,
            groups: &self.groups.configs[group as usize].signatures,
        };
        let signatures = &self.groups.signatures;
        let planned =
            plan(incoming, |g| &signatures[g as usize].ladder, &self.slab, &mut self.scratch);
        let terms = Terms::Ask { from_ms, until_ms };
        let resting = Resting {
            price_nano: ask.price_nano,
            order,
            remaining: qty,
            group,
            owner: ask.owner,
            terms,
            expiry_ms: ask_expiry_ms(ask),
            prev: 0,
            next: 0,
        };
        self.finish(resting, ask.tif, planned, out);
    }

    fn place_bid(&mut self, bid: &Bid, out: &mut Vec<Event>) {
        let order = self.ids.insert(&bid.id);
        out.push(Event::Accepted { order });
        let group = self.groups.signature(&bid.req);
        let now_ms = self.now_ms;
        let (not_before_ms, deadline_ms, duration_ms) =
            (bid.not_before_ms, bid.deadline_ms, bid.duration_ms);
        let fits = move |ask: &Resting| match ask.terms {
            Terms::Ask { from_ms, until_ms } => {
                let start_ms = now_ms.max(not_before_ms).max(from_ms);
                let end_ms = start_ms + duration_ms;
                (end_ms <= deadline_ms && end_ms <= until_ms).then_some((start_ms, end_ms))
            }
            Terms::Bid { .. } => None,
        };
        let qty = bid.qty as u32;
        let need = if bid.tif == Tif::Post { 1 } else { qty };
        let incoming = Incoming {
            rank_min: ask_rank(bid.limit_nano),
            owner: bid.owner,
            need,
            fits,
            groups: &self.groups.signatures[group as usize].configs,
        };
        let configs = &self.groups.configs;
        let planned =
            plan(incoming, |g| &configs[g as usize].ladder, &self.slab, &mut self.scratch);
        let terms = Terms::Bid { not_before_ms, deadline_ms, duration_ms };
        let resting = Resting {
            price_nano: bid.limit_nano,
            order,
            remaining: qty,
            group,
            owner: bid.owner,
            terms,
            expiry_ms: bid_expiry_ms(bid),
            prev: 0,
            next: 0,
        };
        self.finish(resting, bid.tif, planned, out);
    }

    /// Rule 5: trades the plan (unless fill-or-kill or post-only forbid it), then rests or
    /// cancels what remains of the incoming order.
    fn finish(&mut self, mut incoming: Resting, tif: Tif, planned: u32, out: &mut Vec<Event>) {
        let qty = incoming.remaining;
        let refuse = match tif {
            Tif::Post => (planned > 0).then_some(CancelReason::Post),
            Tif::Fok => (planned < qty).then_some(CancelReason::Fok),
            Tif::Gtc | Tif::Ioc => None,
        };
        if let Some(reason) = refuse {
            out.push(Event::Cancelled { order: incoming.order, remaining: u64::from(qty), reason });
            return;
        }
        if tif != Tif::Post {
            self.execute(&incoming, out);
            incoming.remaining -= planned;
        }
        if incoming.remaining == 0 {
            return;
        }
        if tif == Tif::Ioc {
            let remaining = u64::from(incoming.remaining);
            out.push(Event::Cancelled {
                order: incoming.order,
                remaining,
                reason: CancelReason::Ioc,
            });
            return;
        }
        self.rest(incoming);
    }

    /// Trades the planned fills; the price of each deal is the resting order's price.
    fn execute(&mut self, incoming: &Resting, out: &mut Vec<Event>) {
        for at in 0..self.scratch.fills.len() {
            let fill = self.scratch.fills[at];
            let resting = self.slab.get_mut(fill.slot);
            resting.remaining -= fill.qty;
            let (price_nano, other, done) =
                (resting.price_nano, resting.order, resting.remaining == 0);
            let (bid, ask) = match incoming.terms {
                Terms::Bid { .. } => (incoming.order, other),
                Terms::Ask { .. } => (other, incoming.order),
            };
            self.deals += 1;
            out.push(Event::Deal(Deal {
                deal: self.deals,
                bid,
                ask,
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

    fn rest(&mut self, resting: Resting) {
        let slot = self.slab.insert(resting);
        let (rank, ladder) = ladder_of(&mut self.groups, &resting);
        ladder.push(&mut self.slab, slot, rank);
        self.ids.set_slot(resting.order, slot);
        self.expiry.push(resting.expiry_ms, resting.order, slot);
    }

    fn remove_resting(&mut self, slot: u32) {
        let resting = *self.slab.get(slot);
        let (rank, ladder) = ladder_of(&mut self.groups, &resting);
        ladder.unlink(&mut self.slab, slot, rank);
        self.slab.remove(slot);
        self.ids.set_slot(resting.order, INACTIVE);
    }
}
