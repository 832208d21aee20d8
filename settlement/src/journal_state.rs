//! What a journal says, folded: which batches are settled (with their roots, when known),
//! which one may be in flight, and which deals are held. The batcher recovers from it, and
//! `gridbook settlement status` and `prove` read it.
//!
//! Folding checks that each record fits the ones before it — `opened` first and once, a batch
//! journaled before it is sent, confirmed, recovered or abandoned, a deal in one live batch at
//! most, a settled root that is the root of the journaled deals — because a journal that says
//! something impossible must stop the settler, not be read as something else.

use std::collections::BTreeMap;

use alloy_primitives::B256;

use crate::chain::{PendingTx, SettlementDeal};
use crate::journal::Record;
use crate::merkle;

/// A journaled batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournaledBatch {
    /// Its deals, in leaf order (never empty).
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
    /// The batch of every deal in `batches`.
    batch_of_deal: BTreeMap<u64, u64>,
}

/// A record that contradicts the records before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InconsistentRecord {
    /// Its index among the records (0 is the first).
    pub index: usize,
    /// What is wrong.
    pub detail: String,
}

impl JournalState {
    /// Folds records, oldest first.
    pub fn from_records(records: &[Record]) -> Result<JournalState, InconsistentRecord> {
        let mut state = JournalState::default();
        for (index, record) in records.iter().enumerate() {
            state.apply(index, record).map_err(|detail| InconsistentRecord { index, detail })?;
        }
        Ok(state)
    }

    /// The highest batch id the journal knows (0 for none): a chain whose `lastBatchId` is
    /// beyond it settled batches this journal does not have.
    pub fn last_batch_id(&self) -> u64 {
        self.batches.keys().next_back().copied().unwrap_or(0)
    }

    fn apply(&mut self, index: usize, record: &Record) -> Result<(), String> {
        match record {
            Record::Opened { .. } if index == 0 => Ok(()),
            Record::Opened { .. } => Err("`opened` after the first record".to_owned()),
            _ if index == 0 => Err("the first record is not `opened`".to_owned()),
            Record::Batch { batch_id, deals } => self.add_batch(*batch_id, deals),
            Record::Sent { pending } => {
                self.unsettled(pending.batch_id, "sent")?.pending = Some(pending.clone());
                Ok(())
            }
            Record::Confirmed { receipt } => {
                let batch = self.unsettled(receipt.batch_id, "confirmed")?;
                settle(batch, receipt.batch_id, receipt.merkle_root)?;
                batch.gas_used = Some(receipt.gas_used);
                Ok(())
            }
            Record::Recovered { batch_id, merkle_root } => {
                settle(self.unsettled(*batch_id, "recovered")?, *batch_id, *merkle_root)
            }
            Record::Abandoned { batch_id, reason } => {
                let batch = self.unsettled(*batch_id, "abandoned")?.clone();
                self.batches.remove(batch_id);
                for deal in batch.deals {
                    self.batch_of_deal.remove(&deal.deal_id);
                    self.held.insert(deal.deal_id, format!("batch reverted: {reason}"));
                }
                self.abandoned += 1;
                Ok(())
            }
            Record::Held { deal_id, reason, .. } => {
                self.held.insert(*deal_id, reason.clone());
                Ok(())
            }
        }
    }

    fn add_batch(&mut self, batch_id: u64, deals: &[SettlementDeal]) -> Result<(), String> {
        if batch_id == 0 || deals.is_empty() {
            return Err(format!("batch {batch_id} with {} deals", deals.len()));
        }
        if self.batches.contains_key(&batch_id) {
            return Err(format!("batch {batch_id} journaled twice"));
        }
        for deal in deals {
            if let Some(other) = self.batch_of_deal.insert(deal.deal_id, batch_id) {
                return Err(format!(
                    "deal {} is in batch {other} and in batch {batch_id}",
                    deal.deal_id
                ));
            }
            self.held.remove(&deal.deal_id);
        }
        let batch = JournaledBatch {
            deals: deals.to_vec(),
            pending: None,
            settled_root: None,
            gas_used: None,
        };
        self.batches.insert(batch_id, batch);
        Ok(())
    }

    /// The journaled batch `batch_id` that is not settled yet, which a `what` record needs.
    fn unsettled(&mut self, batch_id: u64, what: &str) -> Result<&mut JournaledBatch, String> {
        match self.batches.get_mut(&batch_id) {
            Some(batch) if batch.settled_root.is_none() => Ok(batch),
            Some(_) => Err(format!("`{what}` for batch {batch_id}, which is already settled")),
            None => Err(format!("`{what}` for batch {batch_id}, which is not journaled")),
        }
    }

    /// The batch that has `deal_id`, and the deal's index in it.
    pub fn find_deal(&self, deal_id: u64) -> Option<(u64, usize)> {
        let batch_id = *self.batch_of_deal.get(&deal_id)?;
        let at = self.batches[&batch_id].deals.iter().position(|deal| deal.deal_id == deal_id);
        Some((batch_id, at.expect("the index of deals lists only deals of their batch")))
    }
}

/// Records `batch` as settled with `root`, which must be the root of its deals.
fn settle(batch: &mut JournaledBatch, batch_id: u64, root: B256) -> Result<(), String> {
    let journaled_root =
        merkle::root(&merkle::leaves(batch_id, &batch.deals)).expect("a journaled batch has deals");
    if root != journaled_root {
        return Err(format!(
            "batch {batch_id} settled with root {root}, its journaled deals give {journaled_root}"
        ));
    }
    batch.settled_root = Some(root);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::BatchReceipt;
    use alloy_primitives::{Address, U256};

    fn opened() -> Record {
        Record::Opened { chain_id: 1, settlement: Address::repeat_byte(9) }
    }

    fn deal(deal_id: u64) -> SettlementDeal {
        let (requester, provider) = (Address::repeat_byte(2), Address::repeat_byte(1));
        SettlementDeal { deal_id, requester, provider, amount: U256::from(5u8) }
    }

    fn batch(batch_id: u64, deal_ids: &[u64]) -> Record {
        Record::Batch { batch_id, deals: deal_ids.iter().copied().map(deal).collect() }
    }

    fn confirmed(batch_id: u64, merkle_root: B256) -> Record {
        let receipt = BatchReceipt {
            batch_id,
            tx_hash: B256::repeat_byte(3),
            block_number: 1,
            gas_used: 1,
            merkle_root,
            deal_count: 1,
            volume: U256::from(5u8),
        };
        Record::Confirmed { receipt }
    }

    fn inconsistency(records: &[Record]) -> (usize, String) {
        let error = JournalState::from_records(records).expect_err("inconsistent");
        (error.index, error.detail)
    }

    #[test]
    fn a_consistent_journal_folds_into_its_batches() {
        let root = merkle::root(&merkle::leaves(1, &[deal(1), deal(2)])).expect("leaves");
        let state = JournalState::from_records(&[opened(), batch(1, &[1, 2]), confirmed(1, root)])
            .expect("consistent");
        assert_eq!(state.batches[&1].settled_root, Some(root));
        assert_eq!((state.last_batch_id(), state.find_deal(2)), (1, Some((1, 1))));
    }

    #[test]
    fn records_that_cannot_follow_the_ones_before_them_are_refused_by_index() {
        let root = merkle::root(&merkle::leaves(1, &[deal(1)])).expect("leaves");
        let cases: [(&[Record], usize, &str); 7] = [
            (&[batch(1, &[1])], 0, "not `opened`"),
            (&[opened(), opened()], 1, "after the first record"),
            (&[opened(), batch(1, &[])], 1, "0 deals"),
            (&[opened(), batch(1, &[1]), batch(2, &[1])], 2, "deal 1 is in batch 1 and in batch 2"),
            (&[opened(), batch(1, &[1]), batch(1, &[2])], 2, "journaled twice"),
            (&[opened(), batch(1, &[1]), confirmed(1, B256::ZERO)], 2, "its journaled deals give"),
            (
                &[opened(), batch(1, &[1]), confirmed(1, root), confirmed(1, root)],
                3,
                "already settled",
            ),
        ];
        for (records, index, says) in cases {
            let (at, detail) = inconsistency(records);
            assert_eq!(at, index, "{detail}");
            assert!(detail.contains(says), "{detail}");
        }
    }
}
