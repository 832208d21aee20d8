//! The embedded devnet: an in-process EVM (revm, Prague rules) that deploys and runs the very
//! same contract bytecode as a real chain, so that gridbook settles end to end with nothing else
//! installed. It implements [`Chain`](crate::Chain) (in [`chain`]) like the JSON-RPC client.
//!
//! Assumptions: one block per transaction, mined as soon as it is sent (auto-mine), each block
//! [`BLOCK_TIME_S`] after the previous one; the base fee is fixed at [`BASE_FEE_WEI`]; signatures
//! are not checked (a transaction names its sender); state lives in memory only. Chain id
//! [`DEVNET_CHAIN_ID`] differs from anvil's 31337, so a devnet deployment is never mistaken for
//! one on a node.

mod accounts;
mod chain;
mod exec;
pub mod gas;

pub use accounts::{DevAccount, DEV_ACCOUNTS, DEV_BALANCE_WEI};
pub use exec::TxOutcome;

use std::collections::HashMap;

use alloy_primitives::{Address, B256};
use revm::database::{CacheDB, EmptyDB};
use revm::state::AccountInfo;

/// The devnet's chain id.
pub const DEVNET_CHAIN_ID: u64 = 1337;
/// Seconds between two blocks.
pub const BLOCK_TIME_S: u64 = 12;
/// The fixed base fee, wei per gas (1 gwei).
pub const BASE_FEE_WEI: u64 = 1_000_000_000;
/// Timestamp of the first block: 2026-01-01 00:00 UTC.
pub const GENESIS_TIMESTAMP_S: u64 = 1_767_225_600;
/// Block gas limit (and the gas limit of every transaction).
pub const BLOCK_GAS_LIMIT: u64 = 36_000_000;

/// An in-memory chain with the development accounts funded; see the module docs.
pub struct Devnet {
    /// The whole chain state. An EVM is built around it per transaction (cheap), which keeps
    /// the devnet `Send`: revm's EVM itself is not.
    db: CacheDB<EmptyDB>,
    signer: Address,
    block_number: u64,
    timestamp_s: u64,
    /// Mined transactions by hash, for `confirm`.
    mined: HashMap<B256, TxOutcome>,
}

impl std::fmt::Debug for Devnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devnet")
            .field("signer", &self.signer)
            .field("block_number", &self.block_number)
            .field("timestamp_s", &self.timestamp_s)
            .finish_non_exhaustive()
    }
}

impl Default for Devnet {
    fn default() -> Self {
        Self::new()
    }
}

impl Devnet {
    /// A fresh chain: the development accounts funded, account 0 the signer, no contracts.
    pub fn new() -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        for account in DEV_ACCOUNTS {
            db.insert_account_info(account.address, AccountInfo::from_balance(DEV_BALANCE_WEI));
        }
        Self {
            db,
            signer: DEV_ACCOUNTS[0].address,
            block_number: 0,
            timestamp_s: GENESIS_TIMESTAMP_S,
            mined: HashMap::new(),
        }
    }

    /// Sends the following transactions from `signer` instead (any address; a development
    /// account to have gas money).
    pub fn set_signer(&mut self, signer: Address) {
        self.signer = signer;
    }

    /// Moves the clock forward by `duration_s` (e.g. past a withdrawal delay); the next block is
    /// mined at the new time.
    pub fn advance_time(&mut self, duration_s: u64) {
        self.timestamp_s = self.timestamp_s.saturating_add(duration_s);
    }

    /// The timestamp of the next block, unix seconds.
    pub fn timestamp_s(&self) -> u64 {
        self.timestamp_s
    }

    /// The number of the latest mined block.
    pub fn block_number(&self) -> u64 {
        self.block_number
    }

    /// Seals the current block and opens the next one.
    fn mine_block(&mut self) {
        self.block_number += 1;
        self.timestamp_s += BLOCK_TIME_S;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::RpcChain;

    /// Both chains can be moved to another thread and used as `dyn Chain` by the batcher.
    #[test]
    fn both_chains_are_send_and_usable_as_dyn_chain() {
        fn is_send<T: Send>() {}
        is_send::<Devnet>();
        is_send::<RpcChain>();
        let boxed: Box<dyn crate::Chain> = Box::new(Devnet::new());
        assert_eq!(boxed.signer_address(), DEV_ACCOUNTS[0].address);
    }
}
