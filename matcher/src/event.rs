//! Events: what the engine reports, in order, for each command.
//!
//! Events name orders by [`OrderRef`], the engine's handle for an accepted order; the stream
//! encoder turns handles back into the ids the user gave ([`crate::IdLookup`]).

use crate::hardware::Sym;

/// The engine's handle for an accepted order: its arrival number (0 for the first accepted order).
/// Arrival numbers also give time priority: a smaller number arrived earlier.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct OrderRef(pub u32);

/// Why a command was refused. The engine's state is unchanged by a refused command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// Not JSON, or not a JSON object.
    MalformedJson,
    /// A field the format does not have (a typo must never silently change an order).
    UnknownField,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong type or a value outside its vocabulary (`op`, `tif`, ...).
    BadField,
    /// The line is longer than the reader accepts.
    LineTooLong,
    /// `ts` is smaller than the previous accepted command's.
    TimeBackwards,
    /// A time is past the largest the engine accepts (year 9999).
    BadTime,
    /// The id was already used by an accepted order (ids are never reused).
    DuplicateId,
    /// The id is empty, too long, or has characters outside printable ASCII.
    BadId,
    /// Price or limit ≤ 0, > 10^9, or with more than 9 decimals.
    BadPrice,
    /// Quantity 0 or > 10^6.
    BadQty,
    /// Duration 0.
    BadDuration,
    /// `max(ts, not_before) + duration > deadline`: the deadline cannot be met even starting now.
    DeadlineUnreachable,
    /// `until ≤ from` or `until ≤ ts`.
    BadWindow,
    /// `expires ≤ ts`.
    BadExpires,
    /// Cancel of an id that no accepted order has.
    UnknownId,
    /// Cancel of an order that is no longer resting (filled, cancelled or expired).
    InactiveId,
    /// Cancel by someone other than the order's owner.
    NotOwner,
    /// Owner is not `0x` + 40 hex digits.
    BadOwner,
    /// A hardware or requirement value out of range (counts, list lengths, name lengths).
    BadHardware,
    /// A configured bound is reached; the bound is named (see [`Bound`]).
    Capacity(Bound),
}

/// A configured bound on something that grows with input, named in a `capacity` rejection so
/// the operator knows which setting of [`crate::EngineConfig`] to raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bound {
    /// Resting orders at once.
    RestingMax,
    /// Orders accepted over the engine's life (ids are remembered forever).
    OrdersMax,
    /// Bytes of ids accepted over the engine's life.
    IdBytesMax,
    /// Machine configurations with resting asks.
    ConfigsMax,
    /// Requirement signatures with resting bids.
    SignaturesMax,
    /// Classes (reference prices and peg targets), never forgotten.
    ClassesMax,
    /// Distinct names (GPU models, TEE kinds, regions, classes) in the decoder's table.
    NamesMax,
}

impl Bound {
    /// The [`crate::EngineConfig`] field that sets the bound.
    pub fn key(self) -> &'static str {
        match self {
            Bound::RestingMax => "resting_max",
            Bound::OrdersMax => "orders_max",
            Bound::IdBytesMax => "id_bytes_max",
            Bound::ConfigsMax => "configs_max",
            Bound::SignaturesMax => "signatures_max",
            Bound::ClassesMax => "classes_max",
            Bound::NamesMax => "names_max",
        }
    }

    /// What the bound counts, for people.
    pub fn counts(self) -> &'static str {
        match self {
            Bound::RestingMax => "resting orders",
            Bound::OrdersMax => "orders accepted over the engine's life",
            Bound::IdBytesMax => "bytes of ids accepted over the engine's life",
            Bound::ConfigsMax => "machine configurations with resting asks",
            Bound::SignaturesMax => "requirement signatures with resting bids",
            Bound::ClassesMax => "classes",
            Bound::NamesMax => "distinct names",
        }
    }

    /// The detail of a `capacity` rejection by this bound at `value`: the key to raise, its
    /// value, and what it counts.
    pub fn detail(self, value: usize) -> String {
        format!("{} = {value} reached: {}", self.key(), self.counts())
    }

    /// A sentence naming the bound, without its value (the engine's events carry no
    /// configuration; [`crate::stream::StepWriter`] adds the value).
    pub fn describe(self) -> &'static str {
        match self {
            Bound::RestingMax => "the bound resting_max on resting orders is reached",
            Bound::OrdersMax => {
                "the bound orders_max on orders accepted over the engine's life is reached"
            }
            Bound::IdBytesMax => {
                "the bound id_bytes_max on id bytes accepted over the engine's life is reached"
            }
            Bound::ConfigsMax => {
                "the bound configs_max on machine configurations with resting asks is reached"
            }
            Bound::SignaturesMax => {
                "the bound signatures_max on requirement signatures with resting bids is reached"
            }
            Bound::ClassesMax => "the bound classes_max on classes is reached",
            Bound::NamesMax => "the bound names_max on distinct names is reached",
        }
    }
}

impl RejectReason {
    /// The stable code written in events.
    pub fn code(self) -> &'static str {
        match self {
            RejectReason::MalformedJson => "malformed_json",
            RejectReason::UnknownField => "unknown_field",
            RejectReason::MissingField => "missing_field",
            RejectReason::BadField => "bad_field",
            RejectReason::LineTooLong => "line_too_long",
            RejectReason::TimeBackwards => "time_backwards",
            RejectReason::BadTime => "bad_time",
            RejectReason::DuplicateId => "duplicate_id",
            RejectReason::BadId => "bad_id",
            RejectReason::BadPrice => "bad_price",
            RejectReason::BadQty => "bad_qty",
            RejectReason::BadDuration => "bad_duration",
            RejectReason::DeadlineUnreachable => "deadline_unreachable",
            RejectReason::BadWindow => "bad_window",
            RejectReason::BadExpires => "bad_expires",
            RejectReason::UnknownId => "unknown_id",
            RejectReason::InactiveId => "inactive_id",
            RejectReason::NotOwner => "not_owner",
            RejectReason::BadOwner => "bad_owner",
            RejectReason::BadHardware => "bad_hardware",
            RejectReason::Capacity(_) => "capacity",
        }
    }

    /// A sentence for people, used when the rejection has no more specific detail.
    pub fn describe(self) -> &'static str {
        match self {
            RejectReason::MalformedJson => "the line is not a JSON object",
            RejectReason::UnknownField => "the command has a field the format does not define",
            RejectReason::MissingField => "a required field is missing",
            RejectReason::BadField => "a field has the wrong type or value",
            RejectReason::LineTooLong => "the line is longer than the reader accepts",
            RejectReason::TimeBackwards => "ts is smaller than the previous command's ts",
            RejectReason::BadTime => "a time is past 9999-12-31",
            RejectReason::DuplicateId => "the id was already used (ids are never reused)",
            RejectReason::BadId => "the id must be 1 to 80 printable ASCII characters",
            RejectReason::BadPrice => {
                "the price must be > 0 and <= 1000000000 with at most 9 decimals"
            }
            RejectReason::BadQty => "qty must be between 1 and 1000000",
            RejectReason::BadDuration => "duration must be > 0",
            RejectReason::DeadlineUnreachable => {
                "max(ts, not_before) + duration > deadline: the deadline cannot be met"
            }
            RejectReason::BadWindow => "until must be after from and after ts",
            RejectReason::BadExpires => "expires must be after ts",
            RejectReason::UnknownId => "no accepted order has this id",
            RejectReason::InactiveId => "the order is no longer resting",
            RejectReason::NotOwner => "only the owner can cancel an order",
            RejectReason::BadOwner => "owner must be 0x followed by 40 hex digits",
            RejectReason::BadHardware => "a hardware value is out of range",
            RejectReason::Capacity(bound) => bound.describe(),
        }
    }
}

/// Why an order's remaining quantity was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// The owner cancelled it.
    User,
    /// The unfilled remainder of an immediate-or-cancel order.
    Ioc,
    /// A fill-or-kill order whose whole quantity could not be filled on arrival.
    Fok,
    /// A post-only order that could have traded on arrival.
    Post,
}

impl CancelReason {
    /// The stable code written in events.
    pub fn code(self) -> &'static str {
        match self {
            CancelReason::User => "user",
            CancelReason::Ioc => "ioc",
            CancelReason::Fok => "fok",
            CancelReason::Post => "post",
        }
    }
}

/// A trade between a bid and an ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deal {
    /// Deal number, from 1, in the order deals happen.
    pub deal: u64,
    /// The bid.
    pub bid: OrderRef,
    /// The ask.
    pub ask: OrderRef,
    /// The bid's owner: who pays.
    pub requester: crate::owner::Owner,
    /// The ask's owner: who is paid.
    pub provider: crate::owner::Owner,
    /// Slots traded.
    pub qty: u64,
    /// Price per slot-hour: the resting order's price.
    pub price_nano: u64,
    /// When the slots start.
    pub start_ms: u64,
    /// When the slots end (`start_ms` + the bid's duration).
    pub end_ms: u64,
}

/// What happened, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// The command's order passed validation and entered the engine.
    Accepted {
        /// The new order.
        order: OrderRef,
    },
    /// The command was refused; nothing changed.
    Rejected {
        /// Why.
        reason: RejectReason,
    },
    /// A trade.
    Deal(Deal),
    /// An order's remaining quantity was removed.
    Cancelled {
        /// The order.
        order: OrderRef,
        /// Quantity removed.
        remaining: u64,
        /// Why.
        reason: CancelReason,
    },
    /// A resting order could no longer trade and was removed.
    Expired {
        /// The order.
        order: OrderRef,
        /// Quantity removed.
        remaining: u64,
    },
    /// A class's reference price was set; the orders pegged to it were re-priced.
    Reference {
        /// The class.
        class: Sym,
        /// The new reference price per slot-hour, nano-units.
        price_nano: u64,
        /// Resting pegged orders whose effective price changed (including becoming priced or
        /// unpriced).
        repriced: u64,
    },
}

/// Turns an [`OrderRef`] back into the id the user gave it.
pub trait IdLookup {
    /// The id of an accepted order.
    fn order_id(&self, order: OrderRef) -> &str;

    /// The name of a class, if this lookup knows names (the engine does not: names live in the
    /// decoder's table). Without one the event writer prints the symbol's number (`"#3"`).
    fn class_name(&self, _class: Sym) -> Option<&str> {
        None
    }
}
