//! The answers to the market's questions, as plain serialisable structs computed by one code
//! path for every front: what a machine is worth ([`price`]), what a bid would get now
//! ([`quote`]) and why an order has not traded ([`explain`]). `gridbook price`, `quote` and
//! `explain` print them (as JSON, or as text made from the JSON) after replaying a file; the
//! live node (`GET /v1/price`, `POST /v1/quote`, `GET /v1/explain/{id}`) serialises the very
//! same structs against its live engine. Prices are decimal text (exact nano-units inside).
//!
//! A question's order (the machine of a price, the bid of a quote) is decoded with the market's
//! own name table, so that its names mean what the market's mean; [`LineReplay::probe`]
//! forgets every name it brought once the answer is made, so asking leaves nothing behind.
//!
//! [`LineReplay::probe`]: crate::LineReplay::probe

pub mod explain;
pub mod price;
pub mod quote;

use serde::Serialize;

/// A price per class unit and per slot-hour of the machine or bid asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitAndSlot {
    /// Per class unit (GPU, core, …).
    pub per_unit: Option<String>,
    /// Per slot-hour.
    pub per_slot_hour: Option<String>,
}
