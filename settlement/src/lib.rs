//! gridbook's on-chain settlement: deals are settled in periodic batches, one transaction each,
//! netted per account, exactly once across crashes, provable afterwards by Merkle proof.
//!
//! - [`chain`]: the [`Chain`] interface — the one boundary between the batcher and a chain. Two
//!   implementations sit behind it: the embedded devnet (an in-process EVM running the very same
//!   contract bytecode; the default when no RPC URL is configured) and a JSON-RPC node.
//! - [`deals`]: reading the deals out of a replay's events; [`amount`]: what a deal costs in
//!   token base units; [`netting`]: what each account pays and receives.
//! - [`journal`]: the append-only, checksummed, fsync'd settlement journal.
//!
//! Assumptions: amounts are token base units (`U256` on chain, `u128` off chain); a deal's amount
//! is never more than the requester agreed to (`floor`, never round up); nothing here reads the
//! wall clock except the chain clients' timeouts and the batcher's time-based batch closing.

pub mod amount;
pub mod chain;
pub mod deals;
pub mod journal;
pub mod netting;

pub use chain::{
    BatchReceipt, Chain, ChainError, DeployParams, Deployment, PendingTx, SettlementDeal,
};
