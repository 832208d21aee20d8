//! What a journal says, folded: which batches are settled (with their roots, when known),
//! which one may be in flight, and which deals are held. The batcher recovers from it, and
//! `gridbook settlement status` and `prove` read it.

use std::collections::BTreeMap;

use alloy_primitives::B256;

use crate::chain::{PendingTx, SettlementDeal};
use crate::journal::Record;

/// A journaled batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournaledBatch {
    /// Its deals, in leaf order.
    pub deals: Vec<SettlementDeal>,
    /// The last transaction sent for it, if any.
    pub pending: Option<PendingTx>,
    /// Settled: the root the chain reported (receipt or read back), `None` while unsettled.
    pub settled_root: Option<B256>,
    /// Gas used, when a receipt was seen.
    pub gas_used: Option<u64>,
}

/// A journal, folded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalState {
    /// Batches by id, excluding abandoned ones.
    pub batches: BTreeMap<u64, JournaledBatch>,
    /// Deals held at their last close and not journaled in a batch since, with the reason.
    pub held: BTreeMap<u64, String>,
    /// Batches that reverted and were abandoned.
    pub abandoned: u64,
}

impl JournalState {
    /// Folds records, oldest first.
    pub fn from_records(records: &[Record]) -> JournalState {
        let mut state = JournalState::default();
        for record in records {
            state.apply(record);
        }
        state
    }

    fn apply(&mut self, record: &Record) {
        match record {
            Record::Opened { .. } => {}
            Record::Batch { batch_id, deals } => {
                for deal in deals {
                    self.held.remove(&deal.deal_id);
                }
                let batch = JournaledBatch {
                    deals: deals.clone(),
                    pending: None,
                    settled_root: None,
                    gas_used: None,
                };
                self.batches.insert(*batch_id, batch);
            }
            Record::Sent { pending } => {
                if let Some(batch) = self.batches.get_mut(&pending.batch_id) {
                    batch.pending = Some(pending.clone());
                }
            }
            Record::Confirmed { receipt } => {
                if let Some(batch) = self.batches.get_mut(&receipt.batch_id) {
                    batch.settled_root = Some(receipt.merkle_root);
                    batch.gas_used = Some(receipt.gas_used);
                }
            }
            Record::Recovered { batch_id, merkle_root } => {
                if let Some(batch) = self.batches.get_mut(batch_id) {
                    batch.settled_root = Some(*merkle_root);
                }
            }
            Record::Abandoned { batch_id, reason } => {
                if let Some(batch) = self.batches.remove(batch_id) {
                    for deal in batch.deals {
                        self.held.insert(deal.deal_id, format!("batch reverted: {reason}"));
                    }
                }
                self.abandoned += 1;
            }
            Record::Held { deal_id, reason, .. } => {
                self.held.insert(*deal_id, reason.clone());
            }
        }
    }

    /// The batch that has `deal_id`, and the deal's index in it.
    pub fn find_deal(&self, deal_id: u64) -> Option<(u64, usize)> {
        self.batches.iter().find_map(|(batch_id, batch)| {
            batch.deals.iter().position(|d| d.deal_id == deal_id).map(|at| (*batch_id, at))
        })
    }
}
