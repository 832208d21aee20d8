//! The batcher: deals in, settled batches out, every deal exactly once.
//!
//! A batch closes every `batch_size_max` deals or when its first deal is `batch_interval_ms`
//! old on the deals' own clock (their `ts`), and at the end of the input; so settling a replay
//! is deterministic. Closing a batch:
//! 1. checks each requester's escrow: what it deposited and did not withdraw (on chain), less
//!    a withdrawal it requested, less what its journaled deals cost (the contract no longer
//!    keeps a per-batch balance: a batch only commits its accounts' totals); deals that do not
//!    fit are **held** (policy: in deal order, a requester's deals are taken while its escrow
//!    covers them; the rest wait, are reported with the shortfall, and are retried first at
//!    every later close);
//! 2. writes the batch to the journal (fsync) — only then
//! 3. sends it, journals the sent transaction, waits for confirmation and journals the receipt.
//!
//! On start, [`Batcher::open`] locks the journal and replays it against the chain's
//! `lastBatchId` ([`recovery`]): a chain that settled batches the journal does not know is
//! refused; a journaled batch the chain has settled is recorded as such (after checking that the
//! root the chain stored is the root of the journaled deals), the one batch that may be in
//! flight is confirmed, replaced or sent again, and every journaled deal is skipped when the
//! input is read again. A crash at any point therefore loses nothing and pays nothing twice.
//!
//! The report accounts for every deal read exactly once: settled in this run (including the
//! deals of a batch that was in flight and got settled while opening), settled before this
//! run, or held at the end.

mod error;
mod recovery;

pub use error::SettleError;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use alloy_primitives::{Address, U256};

use crate::amount::deal_amount;
use crate::chain::{Chain, ChainError, Deployment, PendingTx, SettlementDeal};
use crate::deals::DealRecord;
use crate::journal::{Journal, Record};
use crate::ledger::{account_of, pending_withdrawal};

/// When batches close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatcherConfig {
    /// Deals per batch at most (≥ 1).
    pub batch_size_max: usize,
    /// A batch closes once its first deal is this old on the deals' clock.
    pub batch_interval_ms: u64,
}

impl Default for BatcherConfig {
    fn default() -> Self {
        BatcherConfig { batch_size_max: 256, batch_interval_ms: 60_000 }
    }
}

/// A deal held out of settlement, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldDeal {
    /// The deal.
    pub deal: SettlementDeal,
    /// Why (the escrow shortfall).
    pub reason: String,
}

/// What a run did. Every deal read is counted once: `deals_seen = deals_settled +
/// deals_already_journaled + held.len()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettleReport {
    /// Deals read from the input.
    pub deals_seen: u64,
    /// Deals of the input that batches settled before this run.
    pub deals_already_journaled: u64,
    /// Deals of the input settled in this run (by a batch confirmed or recovered in this run).
    pub deals_settled: u64,
    /// Batches confirmed in this run (by receipt).
    pub batches_confirmed: u64,
    /// Batches found settled on chain after a crash, and recorded.
    pub batches_recovered: u64,
    /// Batches that reverted and whose deals went back to the queue.
    pub batches_abandoned: u64,
    /// Sum of the amounts of `deals_settled`.
    pub volume: U256,
    /// Gas of the confirmed batches.
    pub gas_used: u64,
    /// Deals still held at the end, in deal order.
    pub held: Vec<HeldDeal>,
}

/// Settles deals on one deployment, journaling every step.
pub struct Batcher<'c, C: Chain + ?Sized> {
    chain: &'c mut C,
    deployment: Deployment,
    journal: Journal,
    config: BatcherConfig,
    /// Every deal in a batch that is settled or in flight, by deal id, with its batch.
    journaled: BTreeMap<u64, (u64, SettlementDeal)>,
    /// What the deals of `journaled` cost each requester: the part of its escrow they take.
    committed: BTreeMap<Address, U256>,
    next_batch_id: u64,
    open: Vec<SettlementDeal>,
    open_since_ms: Option<u64>,
    held: BTreeMap<u64, HeldDeal>,
    report: SettleReport,
    /// True while `open` recovers: batches settled then are counted as their deals are read.
    opening: bool,
    /// Batches settled while opening (they were in flight when the last run stopped).
    settled_at_open: BTreeSet<u64>,
    crash_after_send: bool,
}

impl<'c, C: Chain + ?Sized> Batcher<'c, C> {
    /// Locks and opens the journal at `journal_path` for `deployment` and recovers: after this,
    /// every journaled batch is settled (or an error says why not, and running again resumes).
    pub fn open(
        chain: &'c mut C,
        deployment: Deployment,
        journal_path: &Path,
        config: BatcherConfig,
    ) -> Result<Self, SettleError> {
        if config.batch_size_max == 0 {
            return Err(SettleError::Config("batch size must be at least 1".to_owned()));
        }
        let actual = chain.chain_id()?;
        if actual != deployment.chain_id {
            let expected = deployment.chain_id;
            return Err(ChainError::WrongChainId { expected, actual }.into());
        }
        let (journal, state, last_batch_id) =
            recovery::open_journal(chain, &deployment, journal_path)?;
        let mut batcher = Batcher {
            chain,
            deployment,
            journal,
            config,
            journaled: BTreeMap::new(),
            committed: BTreeMap::new(),
            next_batch_id: last_batch_id + 1,
            open: Vec::new(),
            open_since_ms: None,
            held: BTreeMap::new(),
            report: SettleReport::default(),
            opening: true,
            settled_at_open: BTreeSet::new(),
            crash_after_send: false,
        };
        batcher.recover(state, last_batch_id)?;
        batcher.opening = false;
        Ok(batcher)
    }

    /// Fault injection for tests: stop (with [`SettleError::CrashInjected`]) right after the
    /// next batch is sent and journaled as sent, before waiting for its confirmation.
    pub fn crash_after_next_send(&mut self) {
        self.crash_after_send = true;
    }

    /// Takes one deal of the input, in deal order.
    pub fn push(&mut self, record: &DealRecord) -> Result<(), SettleError> {
        self.report.deals_seen += 1;
        let duration_ms = record.end_ms - record.start_ms;
        let decimals = self.deployment.token_decimals;
        let amount = deal_amount(record.price_nano, record.qty, duration_ms, decimals)
            .map_err(|source| SettleError::Amount { deal_id: record.deal_id, source })?;
        let deal = SettlementDeal {
            deal_id: record.deal_id,
            requester: record.requester,
            provider: record.provider,
            amount,
        };
        if let Some(&(batch_id, journaled)) = self.journaled.get(&deal.deal_id) {
            if journaled != deal {
                let (deal_id, line) = (deal.deal_id, record.line);
                return Err(SettleError::Conflict { deal_id, line, batch_id });
            }
            if self.settled_at_open.contains(&batch_id) {
                self.count_settled(&[deal]);
            } else {
                self.report.deals_already_journaled += 1;
            }
            return Ok(());
        }
        if let Some(held) = self.held.get(&deal.deal_id) {
            // Held since opening (its batch was abandoned then): queued once already.
            if held.deal != deal {
                return Err(SettleError::ConflictHeld { deal_id: deal.deal_id, line: record.line });
            }
            return Ok(());
        }
        if let Some(since_ms) = self.open_since_ms {
            if record.ts_ms >= since_ms.saturating_add(self.config.batch_interval_ms) {
                self.close()?;
            }
        }
        self.open_since_ms.get_or_insert(record.ts_ms);
        self.open.push(deal);
        if self.open.len() >= self.config.batch_size_max {
            self.close()?;
        }
        Ok(())
    }

    /// Closes the last batch, retries held deals once more, and reports.
    pub fn finish(mut self) -> Result<SettleReport, SettleError> {
        if !self.open.is_empty() || !self.held.is_empty() {
            self.close()?;
        }
        self.report.held = self.held.into_values().collect();
        Ok(self.report)
    }

    /// Closes the open batch: held deals first, escrow checked, then journal, send, confirm.
    fn close(&mut self) -> Result<(), SettleError> {
        let previously_held: BTreeSet<u64> = self.held.keys().copied().collect();
        let mut candidates: Vec<SettlementDeal> =
            std::mem::take(&mut self.held).into_values().map(|held| held.deal).collect();
        candidates.append(&mut self.open);
        candidates.sort_by_key(|deal| deal.deal_id);
        self.open_since_ms = None;
        let mut available = BTreeMap::new();
        for requester in candidates.iter().map(|deal| deal.requester).collect::<BTreeSet<_>>() {
            available.insert(requester, self.available_escrow(requester)?);
        }
        let mut batch = Vec::new();
        for deal in candidates {
            let escrow = available
                .get_mut(&deal.requester)
                .expect("every candidate's requester had its escrow read above");
            if *escrow >= deal.amount {
                *escrow -= deal.amount;
                batch.push(deal);
            } else {
                let reason = format!(
                    "escrow of requester {} short: deal needs {}, {} left",
                    deal.requester, deal.amount, escrow
                );
                self.hold(deal, reason, &previously_held)?;
            }
            if batch.len() == self.config.batch_size_max {
                self.settle_new_batch(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            self.settle_new_batch(batch)?;
        }
        Ok(())
    }

    /// What `requester` may still be charged: deposited less withdrawn on chain, less its
    /// requested withdrawal, less the cost of its deals already in batches.
    fn available_escrow(&mut self, requester: Address) -> Result<U256, ChainError> {
        let funds = account_of(&mut *self.chain, &self.deployment, requester)?.funds();
        let (withdrawing, _) = pending_withdrawal(&mut *self.chain, &self.deployment, requester)?;
        let committed = self.committed.get(&requester).copied().unwrap_or_default();
        Ok(funds.saturating_sub(withdrawing).saturating_sub(committed))
    }

    /// Records `deal` as part of journaled batch `batch_id`.
    fn journal_deal(&mut self, batch_id: u64, deal: SettlementDeal) {
        *self.committed.entry(deal.requester).or_default() += deal.amount;
        self.journaled.insert(deal.deal_id, (batch_id, deal));
    }

    /// `deal`'s batch was abandoned: it is in no batch any more.
    fn unjournal_deal(&mut self, deal: &SettlementDeal) {
        if self.journaled.remove(&deal.deal_id).is_some() {
            let committed = self
                .committed
                .get_mut(&deal.requester)
                .expect("a journaled deal's cost was added to its requester's");
            *committed -= deal.amount;
        }
    }

    fn hold(
        &mut self,
        deal: SettlementDeal,
        reason: String,
        previously_held: &BTreeSet<u64>,
    ) -> Result<(), SettleError> {
        if !previously_held.contains(&deal.deal_id) {
            let (deal_id, requester, amount) = (deal.deal_id, deal.requester, deal.amount);
            let record = Record::Held { deal_id, requester, amount, reason: reason.clone() };
            self.journal.append(record)?;
        }
        self.held.insert(deal.deal_id, HeldDeal { deal, reason });
        Ok(())
    }

    /// Journals a new batch (on disk before anything is sent), then sends and confirms it.
    fn settle_new_batch(&mut self, deals: Vec<SettlementDeal>) -> Result<(), SettleError> {
        let batch_id = self.next_batch_id;
        self.journal.append(Record::Batch { batch_id, deals: deals.clone() })?;
        for deal in &deals {
            self.journal_deal(batch_id, *deal);
        }
        self.finish_batch(batch_id, deals, None)
    }

    /// Sends (unless already sent) and confirms a journaled batch.
    fn finish_batch(
        &mut self,
        batch_id: u64,
        deals: Vec<SettlementDeal>,
        pending: Option<PendingTx>,
    ) -> Result<(), SettleError> {
        let pending = match pending {
            Some(pending) => pending,
            None => match self.chain.send_batch(&self.deployment, batch_id, &deals) {
                Ok(pending) => {
                    self.journal.append(Record::Sent { pending: pending.clone() })?;
                    pending
                }
                Err(error) => return self.after_failure(batch_id, deals, error),
            },
        };
        if self.crash_after_send {
            return Err(SettleError::CrashInjected(batch_id));
        }
        match self.chain.confirm(&self.deployment, &pending) {
            Ok(receipt) => {
                self.report.batches_confirmed += 1;
                self.report.gas_used += receipt.gas_used;
                self.journal.append(Record::Confirmed { receipt })?;
                self.batch_settled(batch_id, &deals);
                Ok(())
            }
            Err(error) => self.after_failure(batch_id, deals, error),
        }
    }

    /// A send or confirmation failed: already settled (check and record), reverted (abandon
    /// the batch, its deals go back to the queue), or anything else (stop; rerun resumes).
    fn after_failure(
        &mut self,
        batch_id: u64,
        deals: Vec<SettlementDeal>,
        error: ChainError,
    ) -> Result<(), SettleError> {
        match error {
            ChainError::AlreadySettled { .. } => self.record_recovered(batch_id, &deals),
            error @ ChainError::Reverted { .. } => {
                // A revert of a batch the chain has settled anyway (an earlier transaction of
                // ours got there first) must never send its deals round again.
                if self.chain.last_batch_id(&self.deployment)? >= batch_id {
                    return self.record_recovered(batch_id, &deals);
                }
                let reason = error.to_string();
                self.journal.append(Record::Abandoned { batch_id, reason: reason.clone() })?;
                self.report.batches_abandoned += 1;
                let none = BTreeSet::new();
                for deal in deals {
                    self.unjournal_deal(&deal);
                    self.hold(deal, format!("batch {batch_id} reverted: {reason}"), &none)?;
                }
                Ok(())
            }
            other => Err(other.into()),
        }
    }

    /// Counts a batch settled in this run: its deals now, or, while opening, as they are read.
    fn batch_settled(&mut self, batch_id: u64, deals: &[SettlementDeal]) {
        if self.opening {
            self.settled_at_open.insert(batch_id);
        } else {
            self.count_settled(deals);
        }
        self.next_batch_id = self.next_batch_id.max(batch_id + 1);
    }

    fn count_settled(&mut self, deals: &[SettlementDeal]) {
        self.report.deals_settled += deals.len() as u64;
        for deal in deals {
            self.report.volume += deal.amount;
        }
    }
}
