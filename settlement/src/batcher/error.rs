//! [`SettleError`]: why settlement stopped. The journal stays consistent whatever the error:
//! running again resumes.

use std::path::PathBuf;

use alloy_primitives::{Address, B256};

use crate::amount::AmountError;
use crate::chain::ChainError;
use crate::journal::JournalError;

/// Why settlement stopped. The journal stays consistent: running again resumes.
#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    /// The chain failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A deal's amount cannot be computed.
    #[error("deal {deal_id}: {source}")]
    Amount {
        /// The deal.
        deal_id: u64,
        /// Why.
        source: AmountError,
    },
    /// The configuration is unusable.
    #[error("batcher configuration: {0}")]
    Config(String),
    /// The journal belongs to another deployment or chain.
    #[error(
        "journal {path} belongs to chain {chain_id} contract {settlement}, not this deployment"
    )]
    ForeignJournal {
        /// The journal.
        path: String,
        /// Its chain.
        chain_id: u64,
        /// Its contract.
        settlement: Address,
    },
    /// A deal of the input differs from the deal with the same number in the journal.
    #[error(
        "deal {deal_id} (events line {line}) differs from the deal {deal_id} already journaled in \
         batch {batch_id}: is this the event stream this journal settled?"
    )]
    Conflict {
        /// The deal.
        deal_id: u64,
        /// Its line in the input.
        line: u64,
        /// The batch that has it.
        batch_id: u64,
    },
    /// A deal of the input differs from the deal with the same number that waits, held, since
    /// its batch was abandoned.
    #[error(
        "deal {deal_id} (events line {line}) differs from the held deal {deal_id} of an abandoned \
         batch in the journal: is this the event stream this journal settled?"
    )]
    ConflictHeld {
        /// The deal.
        deal_id: u64,
        /// Its line in the input.
        line: u64,
    },
    /// The chain settled batches the journal does not have: a truncated, emptied or damaged
    /// journal, or another one. Settling would pay their deals again.
    #[error(
        "the chain's lastBatchId is {last_batch_id}, but journal {} knows batches up to \
         {journal_last_batch_id} only: it is truncated, damaged or not the journal that settled \
         this contract. Refusing to settle, which would pay those batches' deals again; restore \
         the journal that settled them",
        path.display()
    )]
    ChainAhead {
        /// The journal.
        path: PathBuf,
        /// The chain's `lastBatchId`.
        last_batch_id: u64,
        /// The highest batch the journal has.
        journal_last_batch_id: u64,
    },
    /// The chain is behind the journal (a batch after `lastBatchId + 1` was journaled).
    #[error("journal has batch {batch_id} but the chain's lastBatchId is {last_batch_id}")]
    JournalAhead {
        /// The journaled batch.
        batch_id: u64,
        /// The chain's.
        last_batch_id: u64,
    },
    /// The chain settled a batch with this id, but not with the journaled deals.
    #[error(
        "batch {batch_id} on chain has root {chain_root}, the journaled deals give \
         {journal_root}: another settler, or another journal, settled it"
    )]
    RootMismatch {
        /// The batch.
        batch_id: u64,
        /// On chain.
        chain_root: B256,
        /// From the journal.
        journal_root: B256,
    },
    /// Test hook: the batcher stopped right after sending, as a crash would.
    #[error("stopped after sending batch {0} (crash injection)")]
    CrashInjected(u64),
}
