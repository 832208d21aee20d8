//! gridbook's live marketplace node: the parts that sit between the network and the engine.
//!
//! - [`auth`] — who sent a command: EIP-712 signatures over the command object itself, verified
//!   on worker threads before anything is sequenced.
//! - [`client`] — the other side of the API: signed commands from simulated accounts, HTTP
//!   batches and open-loop timing, for the load generator and the demo.
//! - [`journal`] — the durable command journal: the sequencer stamps each command with a
//!   sequence number and the node's time, and a group commit makes a whole burst durable with
//!   one fsync before any of it reaches the matching thread.
//! - [`snapshot`] — periodic snapshots of the market and the publisher in
//!   `DATA_DIR/snapshots/`, written atomically off the matching thread, with the state hash
//!   an offline replay reproduces.
//! - [`client`] — a client of the node's WebSocket protocol and sessions (load generator, demo,
//!   tests).
//!
//! Principle: nothing here decides a market outcome. The engine (crates `gridbook-matcher`,
//! `gridbook-pricing`) stays a pure state machine; this crate only decides *whether* and *in
//! which order* a command reaches it, and makes that order durable first.

pub mod auth;
pub mod client;
pub mod config;
pub mod gateway;
pub mod journal;
pub mod market_file;
pub mod metrics;
pub mod node;
pub mod pipeline;
pub mod snapshot;

pub use config::NodeConfig;
pub use node::{serve, NodeError, Started};
