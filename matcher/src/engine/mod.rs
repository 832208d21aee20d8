//! The matching engine: a pure state machine, `apply(command, now) → events`.
//!
//! ```text
//!   Command ─► validate ─► expire (rule 6) ─► plan (rules 1–4) ─► execute ─► rest / cancel (rule 5)
//!                 │                                                   │
//!                 └──────────── Rejected (nothing changes) ◄──────────┘ events, in order
//! ```
//!
//! A `reference` command takes the same path up to expiry, then re-prices the orders pegged to
//! its class (`repricing.rs`).
//!
//! Assumptions: the caller passes each command with the time it happens at (the stream's `ts`);
//! the engine never reads a clock, does no I/O, starts no thread and never iterates a hash map
//! into its output, so the same commands always give the same events. Once its buffers have
//! grown to the book's size, applying a command allocates nothing.

mod admit;
mod book_view;
mod check_groups;
mod config;
mod expiry;
mod explain;
mod floats;
mod groups;
mod ids;
mod index;
mod inspect;
mod ladder;
mod pegs;
mod place;
mod plan;
mod quote;
mod repricing;
mod slab;
mod snapshot;
mod switches;

pub use config::EngineConfig;
pub use explain::{Candidate, Exclusion};
pub use inspect::{RestingView, Side};
pub use quote::{Quote, QuoteFill};
pub use snapshot::{EngineCopy, SnapshotError, SNAPSHOT_VERSION};

use crate::command::Command;
use crate::event::{CancelReason, Event, IdLookup, OrderRef};
use admit::Admitted;
use expiry::ExpiryQueue;
use groups::Groups;
use ids::{IdRegistry, INACTIVE};
use index::{FloatId, GroupId};
use pegs::{PegEntry, PegState, Pegs};
use plan::Scratch;
use slab::{Resting, Slab, NIL};

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
    pegs: Pegs,
    /// Orders re-priced by the current reference command that may cross, in arrival order
    /// (reused buffer).
    repriced: Vec<(OrderRef, u32)>,
    /// Peg entries whose state the current reference command may change (reused buffer).
    switching: Vec<(OrderRef, u32)>,
}

/// Rank of an ask price on its ladder: lower prices rank higher.
fn ask_rank(price_nano: u64) -> u64 {
    u64::MAX - price_nano
}

/// Rank of a price on its side's ladders (bids: the price; asks: [`ask_rank`]).
fn rank_of(price_nano: u64, is_bid: bool) -> u64 {
    if is_bid {
        price_nano
    } else {
        ask_rank(price_nano)
    }
}

/// The ladder a resting order lives on and its (stored) rank there; `None` for an unpriced
/// pegged order, which is on no ladder. Fixed-price and clamped pegged orders rest on their
/// group's fixed ladder, floating ones on their floating ladder.
fn ladder_of<'g>(
    groups: &'g mut Groups,
    pegs: &'g mut Pegs,
    resting: &Resting,
) -> Option<(u64, &'g mut ladder::Ladder)> {
    let is_bid = resting.is_bid();
    let price_nano = if resting.peg == NIL {
        resting.price_nano
    } else {
        let entry = *pegs.get(resting.peg);
        match entry.state {
            PegState::Unpriced => return None,
            PegState::Clamped => entry.limit_nano,
            PegState::Floating => {
                let rank = floats::float_rank(entry.offset_nano, is_bid);
                return Some((rank, &mut pegs.floats.list[entry.float.at()].ladder));
            }
        }
    };
    Some((rank_of(price_nano, is_bid), groups.ladder_mut(resting.group, is_bid)))
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
            pegs: Pegs::default(),
            repriced: Vec::new(),
            switching: Vec::new(),
            config,
        }
    }

    /// The limits the engine was made with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
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
        let admitted = match self.admit(command, now_ms) {
            Ok(admitted) => admitted,
            Err(reason) => {
                out.push(Event::Rejected { reason });
                return;
            }
        };
        self.now_ms = now_ms;
        self.expire(out);
        match (command, admitted) {
            (Command::Ask(ask), Admitted::Order { id_hash, group }) => {
                self.place_ask(ask, id_hash, group, out)
            }
            (Command::Bid(bid), Admitted::Order { id_hash, group }) => {
                self.place_bid(bid, id_hash, group, out)
            }
            (Command::Cancel(_), Admitted::Cancel { order, slot }) => self.cancel(order, slot, out),
            (Command::Reference { class, price_nano }, Admitted::Reference) => {
                self.set_reference(*class, *price_nano, out)
            }
            _ => {}
        }
        #[cfg(debug_assertions)]
        if self.config.debug_check_invariants {
            if let Err(broken) = self.check_invariants() {
                panic!("book invariant broken after {command:?}: {broken}");
            }
        }
    }

    /// The slot `order` rests in, if it still rests.
    fn resting_slot(&self, order: OrderRef) -> Option<u32> {
        let slot = self.ids.slot(order);
        (slot != INACTIVE && self.slab.holds(slot, order)).then_some(slot)
    }

    /// Rule 6: removes every resting order that can no longer trade at the new time, in
    /// (expiry time, arrival) order.
    fn expire(&mut self, out: &mut Vec<Event>) {
        while let Some((order, slot)) = self.expiry.pop_due(self.now_ms) {
            if !self.slab.holds(slot, order) {
                continue; // filled or cancelled earlier: a stale entry
            }
            let remaining = u64::from(self.slab.get(slot).remaining);
            self.remove_resting(slot);
            out.push(Event::Expired { order, remaining });
        }
        let (slab, live) = (&self.slab, self.slab.live());
        self.expiry.sweep_stale(live, |order, slot| slab.holds(slot, order));
    }

    /// Rule 7, for a cancel [`Engine::admit`] found valid: `order` rests in `slot`.
    fn cancel(&mut self, order: OrderRef, slot: u32, out: &mut Vec<Event>) {
        let remaining = u64::from(self.slab.get(slot).remaining);
        self.remove_resting(slot);
        out.push(Event::Cancelled { order, remaining, reason: CancelReason::User });
    }

    /// Puts `resting` in the book, with its peg if it has one; the slot it rests in. An
    /// unpriced pegged order rests on no ladder, only in its class's list.
    fn rest(&mut self, resting: Resting, peg: Option<PegEntry>) -> u32 {
        // A pegged order's price lives in its peg (see `price_of`), never in the slab.
        debug_assert!(peg.is_none() || resting.price_nano == 0, "a pegged order's slab price");
        let slot = self.slab.insert(resting);
        self.groups.enter(resting.group, resting.is_bid());
        if let Some(mut peg) = peg {
            if peg.state == PegState::Floating {
                peg.float = self.float_of(resting.group, peg.class, peg.units, peg.is_bid);
            }
            let at = self.pegs.insert(PegEntry { slot, order: resting.order, ..peg });
            self.slab.get_mut(slot).peg = at;
        }
        let resting = *self.slab.get(slot);
        if let Some((rank, ladder)) = ladder_of(&mut self.groups, &mut self.pegs, &resting) {
            ladder.push(&mut self.slab, slot, rank);
        }
        self.expiry.push(resting.expiry_ms, resting.order, slot);
        slot
    }

    /// The floating ladder of `group`'s orders pegged to `class` with `units`, created (and
    /// filed under its class and group) if new.
    fn float_of(&mut self, group: GroupId, class: u32, units: u32, is_bid: bool) -> FloatId {
        // Only an order that floats asks for a floating ladder, and only a reference prices one.
        let reference_nano = self.pegs.classes[class as usize]
            .reference_nano
            .expect("a floating order's class has a reference");
        let key = (group, class, units, is_bid);
        let (at, created) = self.pegs.floats.find_or_create(key, reference_nano);
        if created {
            self.pegs.classes[class as usize].floats.push(at);
            self.groups.floats_mut(group, is_bid).push(at);
        }
        at
    }

    /// The group of a new ask's machine `hw`, which has none: reclaiming the configuration
    /// idle the longest if the table is full (admission made sure one is idle).
    fn add_config(&mut self, hw: &crate::Hardware) -> GroupId {
        let victim = self.groups.configs.victim(self.config.configs_max);
        if let Some(victim) = victim {
            self.release_floats(victim, false);
        }
        self.groups.add_config(hw, victim)
    }

    /// The group of a new bid's requirements, as [`Engine::add_config`].
    fn add_signature(&mut self, req: &crate::Requirements) -> GroupId {
        let victim = self.groups.signatures.victim(self.config.signatures_max);
        if let Some(victim) = victim {
            self.release_floats(victim, true);
        }
        self.groups.add_signature(req, victim)
    }

    /// Releases the floating ladders of idle group `group` (of a side) before it is reclaimed.
    fn release_floats(&mut self, group: GroupId, is_bid: bool) {
        let floats = self.groups.floats_mut(group, is_bid);
        for &float in floats.iter() {
            self.pegs.release_float(float);
        }
        floats.clear();
    }

    /// The effective price of a resting order now; `None` for an unpriced pegged order. Every
    /// reader of a resting order's price goes through here: a pegged order's `price_nano` in
    /// the slab is not kept up to date.
    fn price_of(&self, resting: &Resting) -> Option<u64> {
        if resting.peg == NIL {
            Some(resting.price_nano)
        } else {
            self.pegs.price(resting.peg)
        }
    }

    /// Takes a resting order out of its ladder (and its class's list, if pegged) and frees its
    /// slot. The id registry is not touched: a freed slot no longer `holds` the order, which is
    /// how its end is known.
    fn remove_resting(&mut self, slot: u32) {
        let resting = *self.slab.get(slot);
        if let Some((rank, ladder)) = ladder_of(&mut self.groups, &mut self.pegs, &resting) {
            ladder.unlink(&mut self.slab, slot, rank);
        }
        if resting.peg != NIL {
            self.pegs.remove(resting.peg);
        }
        self.groups.leave(resting.group, resting.is_bid());
        self.slab.remove(slot);
    }
}
