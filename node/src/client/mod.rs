//! A client of a gridbook node, for the programs that drive one over its public API: the load
//! generator (`gridbook load`) and the demo crowd (`gridbook serve --demo`).
//!
//! - [`keys`] — deterministic accounts: the key of simulated account `i` is
//!   `keccak256(seed ‖ i)`.
//! - [`commands`] — the market generator's commands as a client sends them: owned by those
//!   accounts, without `ts`, signed (EIP-712) as any wallet would sign them.
//! - [`http`] — `POST /v1/commands` and the read routes over HTTP/1.1.
//! - [`open_loop`] — requests released at fixed times and timed from those times.

pub mod commands;
pub mod http;
pub mod keys;
pub mod open_loop;
