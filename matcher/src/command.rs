//! Commands: what the engine is asked to do. One command per line of the order stream.
//!
//! A command carries no time of its own; the time it happens at is the `now_ms` passed with it
//! to [`crate::Engine::apply`] (the stream's `ts`).

use crate::hardware::{Hardware, Requirements};
use crate::owner::Owner;

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
    /// Price per slot-hour, nano-units.
    pub price_nano: u64,
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
    /// Highest price per slot-hour, nano-units.
    pub limit_nano: u64,
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
}

impl Command {
    /// The id the command names, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            Command::Ask(ask) => Some(&ask.id),
            Command::Bid(bid) => Some(&bid.id),
            Command::Cancel(cancel) => Some(&cancel.id),
            Command::Tick => None,
        }
    }
}
