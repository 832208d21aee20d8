//! Opening a journal against the chain, and recovering what a stopped run left in flight.
//!
//! Order matters: the journal is locked (one settler per journal) and read first, then checked
//! against the deployment (`opened`) and against the chain's `lastBatchId` **before anything is
//! written or sent**. A chain that settled batches the journal does not know — the journal was
//! truncated, emptied, damaged or swapped — is refused: settling from that journal would pay
//! those batches' deals again.

use std::path::Path;

use super::{Batcher, SettleError};
use crate::chain::{Chain, ChainError, Deployment, SettlementDeal};
use crate::journal::{Journal, Record};
use crate::journal_state::JournalState;
use crate::merkle;

/// Locks and reads the journal at `path`, checks it against `deployment` and the chain, and
/// binds a new journal to the deployment. Returns it, what it says, and the chain's
/// `lastBatchId`.
pub(super) fn open_journal<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    path: &Path,
) -> Result<(Journal, JournalState, u64), SettleError> {
    let mut journal = Journal::open(path)?;
    let state = journal.state()?;
    let (chain_id, settlement) = (deployment.chain_id, deployment.settlement);
    if let Some(Record::Opened { chain_id: theirs, settlement: their_settlement }) =
        journal.records().first()
    {
        if (*theirs, *their_settlement) != (chain_id, settlement) {
            let path = path.display().to_string();
            let (chain_id, settlement) = (*theirs, *their_settlement);
            return Err(SettleError::ForeignJournal { path, chain_id, settlement });
        }
    }
    let last_batch_id = chain.last_batch_id(deployment)?;
    let journal_last_batch_id = state.last_batch_id();
    if last_batch_id > journal_last_batch_id {
        let path = path.to_owned();
        return Err(SettleError::ChainAhead { path, last_batch_id, journal_last_batch_id });
    }
    if journal.records().is_empty() {
        journal.append(Record::Opened { chain_id, settlement })?;
    }
    Ok((journal, state, last_batch_id))
}

impl<C: Chain + ?Sized> Batcher<'_, C> {
    /// Replays the journal's batches against the chain (see the module doc of the batcher).
    pub(super) fn recover(
        &mut self,
        state: JournalState,
        last_batch_id: u64,
    ) -> Result<(), SettleError> {
        for (&batch_id, batch) in &state.batches {
            for deal in &batch.deals {
                self.journal_deal(batch_id, *deal);
            }
            if batch_id > last_batch_id + 1
                || (batch.settled_root.is_some() && batch_id > last_batch_id)
            {
                return Err(SettleError::JournalAhead { batch_id, last_batch_id });
            }
        }
        for (batch_id, batch) in state.batches {
            if batch.settled_root.is_some() {
                continue;
            }
            if batch_id <= last_batch_id && batch.pending.is_none() {
                self.record_recovered(batch_id, &batch.deals)?;
            } else {
                // Sent before the crash: confirming that transaction gives its receipt (and
                // replaces it if it is stuck); a batch settled otherwise is recognised by root.
                self.finish_batch(batch_id, batch.deals, batch.pending)?;
            }
        }
        Ok(())
    }

    /// The chain has settled `batch_id` without our seeing the receipt: check that it settled
    /// exactly these deals, and record it.
    pub(super) fn record_recovered(
        &mut self,
        batch_id: u64,
        deals: &[SettlementDeal],
    ) -> Result<(), SettleError> {
        let journal_root =
            merkle::root(&merkle::leaves(batch_id, deals)).expect("a journaled batch has deals");
        let Some(chain_root) = self.chain.batch_root(&self.deployment, batch_id)? else {
            // The contract stores a root with every batch it settles.
            let detail =
                format!("lastBatchId has reached batch {batch_id}, its batchRoot is empty");
            return Err(ChainError::BadAnswer(detail).into());
        };
        if chain_root != journal_root {
            return Err(SettleError::RootMismatch { batch_id, chain_root, journal_root });
        }
        self.journal.append(Record::Recovered { batch_id, merkle_root: chain_root })?;
        self.report.batches_recovered += 1;
        self.batch_settled(batch_id, deals);
        Ok(())
    }
}
