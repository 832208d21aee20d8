//! Commands: what the engine is asked to do. One command per line of the order stream.
//!
//! A command carries no time of its own; the time it happens at is the `now_ms` passed with it
//! to [`crate::Engine::apply`] (the stream's `ts`).

use crate::hardware::{Hardware, Requirements, Sym};
use crate::owner::Owner;

/// A price that follows a class's reference price (see docs/order-stream.md, "Pegged orders").
///
/// The effective price is `reference + offset`, bounded by `limit`: a bid pays at most `limit`,
/// an ask sells at no less than `limit` (its floor). The class is an opaque name; which hardware
/// belongs to which class is the pricing layer's business, not the matcher's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Peg {
    /// The class whose reference price the order follows.
    pub class: Sym,
    /// Signed distance from the reference, nano-units per slot-hour.
    pub offset_nano: i64,
    /// A bid's ceiling or an ask's floor, nano-units per slot-hour.
    pub limit_nano: u64,
    /// How many of the class's units one slot of the order holds (GPUs for a class priced per
    /// GPU-hour, cores for one priced per core-hour, 1 per slot-hour): the reference is kept per
    /// unit, so that one class can hold 1-GPU and 8-GPU machines, and the order's own
    /// reference is `reference × units`. Not part of the wire format: 1 as decoded; the pricing
    /// layer, which knows the taxonomy, sets it.
    pub units: u32,
}

/// An ask's price or a bid's limit: fixed, or pegged to a class's reference price.
///
/// A pegged order has no price of its own to read: only the engine, which knows the current
/// reference, can say what it is worth now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Price {
    /// A fixed price (ask) or limit (bid), nano-units per slot-hour.
    Fixed(u64),
    /// Follows a class's reference price.
    Pegged(Peg),
}

impl Peg {
    /// What the order is worth when the class's reference is `reference_nano` per unit: `None`
    /// when it cannot trade (a bid whose `reference × units + offset ≤ 0`). A bid pays
    /// `min(reference × units + offset, limit)`, an ask sells at
    /// `max(reference × units + offset, limit)`.
    pub fn effective_nano(&self, reference_nano: u64, is_bid: bool) -> Option<u64> {
        let moved = i128::from(reference_nano) * i128::from(self.units.max(1))
            + i128::from(self.offset_nano);
        let limit = i128::from(self.limit_nano);
        let price = if is_bid {
            if moved <= 0 {
                return None;
            }
            moved.min(limit)
        } else {
            moved.max(limit)
        };
        u64::try_from(price).ok()
    }
}

/// Time in force: what happens to the part of an order that does not trade on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tif {
    /// Good till cancelled: the remainder rests.
    Gtc,
    /// Immediate or cancel: fill what can be filled now, cancel the rest.
    Ioc,
    /// Fill or kill: fill the whole quantity now, or nothing.
    Fok,
    /// Post-only: rest without trading; cancelled whole if it could trade on arrival.
    Post,
}

impl Tif {
    /// The stream's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Tif::Gtc => "gtc",
            Tif::Ioc => "ioc",
            Tif::Fok => "fok",
            Tif::Post => "post",
        }
    }
}

/// A provider's offer: `qty` identical slots of one machine for the window `[from_ms, until_ms)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    /// Order id, unique for the life of the engine.
    pub id: String,
    /// Provider account.
    pub owner: Owner,
    /// Price per slot-hour: fixed, or pegged (with a floor).
    pub price: Price,
    /// Slots offered.
    pub qty: u64,
    /// Time in force.
    pub tif: Tif,
    /// The machine configuration of every slot.
    pub hw: Hardware,
    /// Start of the window the slots are available in.
    pub from_ms: u64,
    /// End (exclusive) of the window.
    pub until_ms: u64,
    /// Good-till-date: the ask expires at this time if still resting.
    pub expires_ms: Option<u64>,
}

/// A requester's order: `qty` slots satisfying `req`, each for `duration_ms`, starting no earlier
/// than `not_before_ms` and ending no later than `deadline_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    /// Order id, unique for the life of the engine.
    pub id: String,
    /// Requester account.
    pub owner: Owner,
    /// Highest price per slot-hour: fixed, or pegged (with a ceiling).
    pub limit: Price,
    /// Slots wanted.
    pub qty: u64,
    /// Time in force.
    pub tif: Tif,
    /// What each slot needs.
    pub req: Requirements,
    /// How long each slot is needed.
    pub duration_ms: u64,
    /// Earliest start.
    pub not_before_ms: u64,
    /// Latest end.
    pub deadline_ms: u64,
    /// Good-till-date: the bid expires at this time if still resting.
    pub expires_ms: Option<u64>,
}

/// Removes the remaining quantity of a resting order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    /// The order to cancel.
    pub id: String,
    /// Who asks; must be the order's owner.
    pub owner: Owner,
}

/// One command of the order stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A provider's offer.
    Ask(Ask),
    /// A requester's order.
    Bid(Bid),
    /// Cancel a resting order.
    Cancel(Cancel),
    /// Only advances time (and so expires orders).
    Tick,
    /// Sets a class's reference price, re-pricing the orders pegged to it.
    Reference {
        /// The class.
        class: Sym,
        /// Its new reference price per slot-hour, nano-units.
        price_nano: u64,
    },
}

impl Command {
    /// The id the command names, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            Command::Ask(ask) => Some(&ask.id),
            Command::Bid(bid) => Some(&bid.id),
            Command::Cancel(cancel) => Some(&cancel.id),
            Command::Tick | Command::Reference { .. } => None,
        }
    }
}
