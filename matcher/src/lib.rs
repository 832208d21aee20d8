//! gridbook's order model and matching engine.
//!
//! Providers offer slots of machines for a time window (asks); requesters want slots that
//! satisfy requirements for a duration before a deadline (bids). [`Engine`] matches them by
//! price, hardware and deadline under the rules in docs/order-stream.md, as a pure state
//! machine: `apply(command, now) → events`, no I/O, no clock, no threads.
//!
//! - [`command`], [`hardware`], [`owner`], [`money`]: the order model, in integer units.
//! - [`engine`]: the book and the matching rules.
//! - [`stream`]: the JSON Lines order stream and event stream: [`stream::decode_line`],
//!   [`stream::StepWriter`] (a step's events written and counted), and [`stream::Replay`],
//!   the unpriced line driver.
//! - [`workload`]: the seeded market generator behind `gridbook gen`, the tests and benchmarks.
//!
//! Prices are `u64` nano-units of the settlement token (9 decimals) everywhere inside; text
//! becomes nano-units only in [`money`].

pub mod command;
pub mod engine;
pub mod event;
pub mod hardware;
pub mod limits;
pub mod money;
pub mod owner;
pub mod stream;
pub mod symbols;
pub mod validate;
pub mod workload;

pub use command::{Ask, Bid, Cancel, Command, Peg, Price, Tif};
pub use engine::{
    Candidate, Engine, EngineConfig, EngineCopy, Exclusion, Quote, QuoteFill, RestingView, Side,
    SnapshotError, SNAPSHOT_VERSION,
};
pub use event::{Bound, CancelReason, Deal, Event, IdLookup, OrderRef, RejectReason};
pub use hardware::{Hardware, Mismatch, Requirements, Sym};
pub use owner::Owner;
pub use symbols::{Symbols, SymbolsMark};
