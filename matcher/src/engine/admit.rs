//! Admission: rule 8's checks that need the engine's state (the clock, ids, groups, capacity,
//! the order a cancel names), run before anything changes.
//!
//! What admission looks up — the id's hash, the order's group, the cancelled order's slot — is
//! handed on in [`Admitted`], so execution never repeats a lookup.

use super::index::GroupId;
use super::{Engine, INACTIVE};
use crate::command::{Cancel, Command, Price};
use crate::event::{Bound, OrderRef, RejectReason};
use crate::hardware::Sym;
use crate::limits::TIME_MS_MAX;
use crate::validate::{check_ask, check_bid, check_id, check_price};

/// A command that passed every check, with what the checks found.
#[derive(Debug, Clone, Copy)]
pub(super) enum Admitted {
    /// An ask or bid: the hash of its (new) id, and its group if the group exists already.
    Order { id_hash: u64, group: Option<GroupId> },
    /// A cancel of `order`, which rests in `slot`.
    Cancel { order: OrderRef, slot: u32 },
    /// A tick.
    Tick,
    /// A reference price.
    Reference,
}

impl Engine {
    pub(super) fn admit(&self, command: &Command, now_ms: u64) -> Result<Admitted, RejectReason> {
        if now_ms > TIME_MS_MAX {
            return Err(RejectReason::BadTime);
        }
        if now_ms < self.now_ms {
            return Err(RejectReason::TimeBackwards);
        }
        match command {
            Command::Ask(ask) => {
                let id_hash = self.check_new_id(&ask.id)?;
                check_ask(ask, now_ms)?;
                let group = self.groups.configs.find(&ask.hw);
                let room = group.is_some() || self.groups.configs.has_room(self.config.configs_max);
                self.check_room(&ask.id, room.then_some(()).ok_or(Bound::ConfigsMax), &ask.price)?;
                Ok(Admitted::Order { id_hash, group })
            }
            Command::Bid(bid) => {
                let id_hash = self.check_new_id(&bid.id)?;
                check_bid(bid, now_ms)?;
                let group = self.groups.signatures.find(&bid.req);
                let max = self.config.signatures_max;
                let room = group.is_some() || self.groups.signatures.has_room(max);
                self.check_room(
                    &bid.id,
                    room.then_some(()).ok_or(Bound::SignaturesMax),
                    &bid.limit,
                )?;
                Ok(Admitted::Order { id_hash, group })
            }
            Command::Cancel(cancel) => self.check_cancel(cancel, now_ms),
            Command::Tick => Ok(Admitted::Tick),
            Command::Reference { class, price_nano } => {
                check_price(*price_nano)?;
                if self.new_class_full(*class) {
                    return Err(RejectReason::Capacity(Bound::ClassesMax));
                }
                Ok(Admitted::Reference)
            }
        }
    }

    /// Whether `class` is new and there is no room for another class.
    fn new_class_full(&self, class: Sym) -> bool {
        self.pegs.find(class).is_none() && self.pegs.classes.len() >= self.config.classes_max
    }

    /// Whether an order's peg names a new class with no room for it.
    fn class_full(&self, price: &Price) -> bool {
        match price {
            Price::Fixed(_) => false,
            Price::Pegged(peg) => self.new_class_full(peg.class),
        }
    }

    /// A well-formed id that no accepted order has; its hash.
    fn check_new_id(&self, id: &str) -> Result<u64, RejectReason> {
        check_id(id)?;
        let hash = self.ids.hash(id);
        match self.ids.find(id, hash) {
            Some(_) => Err(RejectReason::DuplicateId),
            None => Ok(hash),
        }
    }

    /// Capacity is checked last and before expiry frees anything, so it never depends on
    /// what this command's time would expire. `group_room` says whether the order's group
    /// exists or fits; the first bound reached is named, in the order resting orders, ids, id
    /// bytes, groups, classes.
    fn check_room(
        &self,
        id: &str,
        group_room: Result<(), Bound>,
        price: &Price,
    ) -> Result<(), RejectReason> {
        let config = &self.config;
        let full = if self.slab.live() >= config.resting_max {
            Some(Bound::RestingMax)
        } else if self.ids.len() >= config.orders_max {
            Some(Bound::OrdersMax)
        } else if !self.ids.has_room(id.len(), config.orders_max, config.id_bytes_max) {
            Some(Bound::IdBytesMax)
        } else if let Err(bound) = group_room {
            Some(bound)
        } else if self.class_full(price) {
            Some(Bound::ClassesMax)
        } else {
            None
        };
        full.map_or(Ok(()), |bound| Err(RejectReason::Capacity(bound)))
    }

    /// Rule 7, with the order's activity judged at `now_ms`: an order that this command's time
    /// would expire is already inactive.
    fn check_cancel(&self, cancel: &Cancel, now_ms: u64) -> Result<Admitted, RejectReason> {
        let (order, slot) =
            self.ids.find(&cancel.id, self.ids.hash(&cancel.id)).ok_or(RejectReason::UnknownId)?;
        if slot == INACTIVE
            || !self.slab.holds(slot, order)
            || self.slab.get(slot).expiry_ms <= now_ms
        {
            return Err(RejectReason::InactiveId);
        }
        if self.slab.get(slot).owner != cancel.owner {
            return Err(RejectReason::NotOwner);
        }
        Ok(Admitted::Cancel { order, slot })
    }
}
