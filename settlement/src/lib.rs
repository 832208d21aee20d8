//! gridbook's on-chain settlement: deals are settled in periodic batches, one transaction each,
//! exactly once across crashes, provable afterwards by Merkle proof; a batch commits its
//! accounts' totals as a second Merkle root, which providers claim and requesters' escrow is
//! charged with, instead of writing one storage slot per account.
//!
//! - [`chain`]: the [`Chain`] interface — the one boundary between the batcher and a chain. Two
//!   implementations sit behind it: the embedded devnet (an in-process EVM running the very same
//!   contract bytecode; the default when no RPC URL is configured) and a JSON-RPC node.
//! - [`bindings`]: the contracts' Rust bindings (generated from the committed artifacts), batch
//!   encoding and revert decoding shared by both chains.
//! - [`devnet`]: the embedded devnet (revm), and the gas workload of BENCHMARKS.md.
//! - [`rpc`]: the JSON-RPC client (alloy): local signing, own nonces, fee-bump replacement.
//! - [`merkle`]: the batch Merkle tree, leaf for leaf as the contract computes it; proofs.
//! - [`account_tree`]: a batch's account totals as the contract commits them; their proofs.
//! - [`ledger`]: an account's side of the contract: totals, claims, charges, withdrawals.
//! - [`deals`]: reading the deals out of a replay's events; [`amount`]: what a deal costs in
//!   token base units; [`netting`]: what each account pays and receives.
//! - [`journal`]: the append-only, checksummed, fsync'd settlement journal;
//!   [`journal_state`]: what it says, folded.
//! - [`batcher`]: deals in, journaled and settled batches out, exactly once across crashes.
//! - [`audit`]: every account's expected balances after a set of batches, checked against the
//!   chain's totals and account roots.
//!
//! Assumptions: amounts are token base units (`U256` on chain, `u128` off chain); a deal's amount
//! is never more than the requester agreed to (`floor`, never round up); nothing here reads the
//! wall clock except the JSON-RPC client's timeouts (the batcher closes batches on the deals' own
//! clock, so settling a replay is deterministic).

pub mod account_tree;
pub mod amount;
pub mod audit;
pub mod batcher;
pub mod bindings;
pub mod chain;
pub mod deals;
pub mod devnet;
pub mod journal;
pub mod journal_state;
pub mod ledger;
pub mod merkle;
pub mod netting;
pub mod rpc;

pub use chain::{
    BatchReceipt, Chain, ChainError, DeployParams, Deployment, PendingTx, SettlementDeal,
};
