//! The batcher on the embedded devnet: every deal settled exactly once, balances equal to the
//! deals (computed here, independently of the crate's netting), and recovery from a crash at
//! each point of a batch's life (after journaling, after sending, before journaling the send).

mod batcher_support;

use std::path::PathBuf;

use alloy_primitives::{Address, Bytes, B256, U256};

use batcher_support::*;
use gridbook_settlement::batcher::{Batcher, BatcherConfig, SettleError};
use gridbook_settlement::deals::DealRecord;
use gridbook_settlement::devnet::{Devnet, DEV_ACCOUNTS};
use gridbook_settlement::journal::{Journal, Record};
use gridbook_settlement::{
    BatchReceipt, Chain, ChainError, DeployParams, Deployment, PendingTx, SettlementDeal,
};

#[test]
fn every_deal_is_settled_once_in_batches_and_balances_equal_the_deals() {
    let (mut devnet, deployment) = setup(125);
    let deals = deals(300);
    fund_all(&mut devnet, &deployment, &deals);
    let journal = journal_path("all");
    let report = settle(&mut devnet, &deployment, &journal, 128, &deals).expect("devnet test step");
    assert_eq!((report.deals_settled, report.batches_confirmed), (300, 3));
    assert!(report.held.is_empty());
    assert_eq!(devnet.last_batch_id(&deployment).expect("devnet test step"), 3);
    assert_eq!(report.volume, deals.iter().map(cost).sum::<U256>());
    assert_balances_match(&mut devnet, &deployment, &journal, &deals);
}

#[test]
fn settling_the_same_events_again_pays_nothing_twice() {
    let (mut devnet, deployment) = setup(0);
    let deals = deals(40);
    fund_all(&mut devnet, &deployment, &deals);
    let journal = journal_path("again");
    settle(&mut devnet, &deployment, &journal, 16, &deals).expect("devnet test step");
    let again = settle(&mut devnet, &deployment, &journal, 16, &deals).expect("devnet test step");
    assert_eq!((again.deals_settled, again.deals_already_journaled), (0, 40));
    assert_every_deal_counted_once(&again);
    assert_eq!(devnet.last_batch_id(&deployment).expect("devnet test step"), 3);
    assert_balances_match(&mut devnet, &deployment, &journal, &deals);
}

#[test]
fn a_crash_between_send_and_confirmation_is_resumed_exactly_once() {
    let (mut devnet, deployment) = setup(50);
    let deals = deals(20);
    fund_all(&mut devnet, &deployment, &deals);
    let journal = journal_path("crash-after-send");
    let config = BatcherConfig { batch_size_max: 8, batch_interval_ms: u64::MAX };
    let mut batcher =
        Batcher::open(&mut devnet, deployment.clone(), &journal, config).expect("devnet test step");
    batcher.crash_after_next_send();
    let mut crashed = None;
    for deal in &deals {
        if let Err(error) = batcher.push(deal) {
            crashed = Some(error);
            break;
        }
    }
    assert!(matches!(crashed, Some(SettleError::CrashInjected(1))), "{crashed:?}");
    drop(batcher);
    let report = settle(&mut devnet, &deployment, &journal, 8, &deals).expect("devnet test step");
    // Batch 1 was confirmed on restart: its 8 deals count as settled in this run (once, not
    // also as skipped), like the other 12.
    assert_eq!(report.batches_confirmed, 3);
    assert_eq!((report.deals_settled, report.deals_already_journaled), (20, 0));
    assert_every_deal_counted_once(&report);
    assert_eq!(devnet.last_batch_id(&deployment).expect("devnet test step"), 3);
    assert_balances_match(&mut devnet, &deployment, &journal, &deals);
}

/// A journal as a batcher leaves it when it crashes right after journaling batch 1 (`deals`),
/// before sending it: `opened`, then `batch`.
fn journal_with_first_batch(
    name: &str,
    deployment: &Deployment,
    deals: Vec<SettlementDeal>,
) -> PathBuf {
    let journal = journal_path(name);
    let (chain_id, settlement) = (deployment.chain_id, deployment.settlement);
    let mut file = Journal::open(&journal).expect("journal opens");
    file.append(Record::Opened { chain_id, settlement }).expect("journal appends");
    file.append(Record::Batch { batch_id: 1, deals }).expect("journal appends");
    journal
}

#[test]
fn a_batch_journaled_but_never_sent_is_sent_on_restart() {
    let (mut devnet, deployment) = setup(0);
    let deals = deals(10);
    fund_all(&mut devnet, &deployment, &deals);
    let journal =
        journal_with_first_batch("journaled-only", &deployment, settlement_deals(&deals[..4]));
    let report = settle(&mut devnet, &deployment, &journal, 100, &deals).expect("devnet test step");
    assert_eq!((report.batches_confirmed, report.deals_settled), (2, 10));
    assert_every_deal_counted_once(&report);
    assert_balances_match(&mut devnet, &deployment, &journal, &deals);
}

/// Ten funded deals and a journal whose batch 1 (deals 1–4) the chain has settled, but whose
/// `sent` never reached the disk: the crash came right after the transaction went out.
fn settled_but_sent_unjournaled(name: &str) -> (Devnet, Deployment, Vec<DealRecord>, PathBuf) {
    let (mut devnet, deployment) = setup(0);
    let deals = deals(10);
    fund_all(&mut devnet, &deployment, &deals);
    let first = settlement_deals(&deals[..4]);
    let journal = journal_with_first_batch(name, &deployment, first.clone());
    let pending = devnet.send_batch(&deployment, 1, &first).expect("devnet test step");
    devnet.confirm(&deployment, &pending).expect("devnet test step");
    (devnet, deployment, deals, journal)
}

#[test]
fn a_batch_sent_but_not_journaled_as_sent_is_recognised_by_its_root_not_paid_twice() {
    let (mut devnet, deployment, deals, journal) = settled_but_sent_unjournaled("sent-unjournaled");
    let report = settle(&mut devnet, &deployment, &journal, 100, &deals).expect("devnet test step");
    assert_eq!((report.batches_recovered, report.batches_confirmed), (1, 1));
    assert_eq!(report.deals_settled, 10);
    assert_every_deal_counted_once(&report);
    assert_eq!(devnet.last_batch_id(&deployment).expect("devnet test step"), 2);
    assert_balances_match(&mut devnet, &deployment, &journal, &deals);
}

#[test]
fn a_batch_settled_on_chain_with_other_deals_than_journaled_is_an_error() {
    let (mut devnet, deployment) = setup(0);
    let deals = deals(10);
    fund_all(&mut devnet, &deployment, &deals);
    let journal =
        journal_with_first_batch("root-mismatch", &deployment, settlement_deals(&deals[..4]));
    let other = settlement_deals(&deals[4..6]);
    let pending = devnet.send_batch(&deployment, 1, &other).expect("devnet test step");
    devnet.confirm(&deployment, &pending).expect("devnet test step");
    let error = settle(&mut devnet, &deployment, &journal, 100, &deals).expect_err("must fail");
    assert!(matches!(error, SettleError::RootMismatch { batch_id: 1, .. }), "{error}");
}

#[test]
fn deals_of_a_short_requester_are_held_with_the_reason_and_settled_once_funded() {
    let (mut devnet, deployment) = setup(0);
    let deals = deals(32);
    let short = requester(3);
    let (theirs, others): (Vec<DealRecord>, Vec<DealRecord>) =
        deals.iter().cloned().partition(|deal| deal.requester == short);
    fund_all(&mut devnet, &deployment, &others);
    let journal = journal_path("held");
    let report = settle(&mut devnet, &deployment, &journal, 64, &deals).expect("devnet test step");
    assert_eq!(report.deals_settled, others.len() as u64);
    let held: Vec<u64> = report.held.iter().map(|h| h.deal.deal_id).collect();
    assert_eq!(held, theirs.iter().map(|d| d.deal_id).collect::<Vec<_>>());
    assert!(report.held[0].reason.contains("escrow"), "{}", report.held[0].reason);
    assert_every_deal_counted_once(&report);
    fund_all(&mut devnet, &deployment, &theirs);
    let later = settle(&mut devnet, &deployment, &journal, 64, &deals).expect("devnet test step");
    assert_eq!(later.deals_settled, theirs.len() as u64);
    assert!(later.held.is_empty());
    assert_balances_match(&mut devnet, &deployment, &journal, &deals);
}

/// The contract keeps no per-batch balance, so the batcher's escrow check must take out what
/// earlier batches already committed, and a withdrawal the requester asked for.
#[test]
fn escrow_taken_by_earlier_batches_or_a_requested_withdrawal_is_not_available_again() {
    let (mut devnet, deployment) = setup(0);
    // The short requester is a development account: it has ether to ask for a withdrawal.
    let short = DEV_ACCOUNTS[1].address;
    let mut deals = deals(64);
    for deal in deals.iter_mut().filter(|deal| deal.requester == requester(3)) {
        deal.requester = short;
    }
    let theirs: Vec<&DealRecord> = deals.iter().filter(|deal| deal.requester == short).collect();
    let others: Vec<DealRecord> =
        deals.iter().filter(|deal| deal.requester != short).cloned().collect();
    fund_all(&mut devnet, &deployment, &others);
    // Enough for its first two deals only; they fall in different batches of eight.
    let two: U256 = theirs[..2].iter().copied().map(cost).sum();
    devnet.fund(&deployment, short, two).expect("devnet test step");
    let journal = journal_path("committed");
    let report = settle(&mut devnet, &deployment, &journal, 8, &deals).expect("devnet test step");
    let held: Vec<u64> = report.held.iter().map(|h| h.deal.deal_id).collect();
    assert_eq!(held, theirs[2..].iter().map(|d| d.deal_id).collect::<Vec<_>>());

    // Funded for the rest, but asks to withdraw as much: still held.
    let rest: U256 = theirs[2..].iter().copied().map(cost).sum();
    devnet.fund(&deployment, short, rest).expect("devnet test step");
    let signer = devnet.signer_address();
    devnet.set_signer(short);
    gridbook_settlement::ledger::request_withdrawal(&mut devnet, &deployment, rest)
        .expect("devnet test step");
    devnet.set_signer(signer);
    let later = settle(&mut devnet, &deployment, &journal, 8, &deals).expect("devnet test step");
    assert_eq!((later.deals_settled, later.held.len()), (0, theirs.len() - 2));
}

#[test]
fn a_deal_that_differs_from_the_journaled_one_is_refused() {
    let (mut devnet, deployment) = setup(0);
    let mut deals = deals(4);
    fund_all(&mut devnet, &deployment, &deals);
    let journal = journal_path("conflict");
    settle(&mut devnet, &deployment, &journal, 4, &deals).expect("devnet test step");
    deals[2].qty += 1;
    let error = settle(&mut devnet, &deployment, &journal, 4, &deals).expect_err("must fail");
    assert!(matches!(error, SettleError::Conflict { deal_id: 3, .. }), "{error}");
}

#[test]
fn a_journal_of_another_deployment_is_refused() {
    let (mut devnet, deployment) = setup(0);
    let journal = journal_path("foreign");
    settle(&mut devnet, &deployment, &journal, 4, &[]).expect("devnet test step");
    let mut other = deployment.clone();
    let params = DeployParams { token: Some(deployment.token), fee_bps: 0, withdrawal_delay_s: 1 };
    other.settlement = devnet.deploy(&params).expect("devnet test step").settlement;
    let error = settle(&mut devnet, &other, &journal, 4, &[]).expect_err("must fail");
    assert!(matches!(error, SettleError::ForeignJournal { .. }), "{error}");
}

/// The devnet with faults: the next `send_batch` reverts (as when a requester's escrow fell
/// short between the check and the send), or `batchRoot` answers "not settled" for every batch.
struct Faulty<'d> {
    devnet: &'d mut Devnet,
    revert_next_send: bool,
    roots_missing: bool,
}

impl<'d> Faulty<'d> {
    fn new(devnet: &'d mut Devnet) -> Self {
        Faulty { devnet, revert_next_send: false, roots_missing: false }
    }
}

impl Chain for Faulty<'_> {
    fn chain_id(&mut self) -> Result<u64, ChainError> {
        self.devnet.chain_id()
    }
    fn signer_address(&self) -> Address {
        self.devnet.signer_address()
    }
    fn deploy(&mut self, params: &DeployParams) -> Result<Deployment, ChainError> {
        self.devnet.deploy(params)
    }
    fn fund_many(&mut self, d: &Deployment, grants: &[(Address, U256)]) -> Result<(), ChainError> {
        self.devnet.fund_many(d, grants)
    }
    fn last_batch_id(&mut self, d: &Deployment) -> Result<u64, ChainError> {
        self.devnet.last_batch_id(d)
    }
    fn call_settlement(&mut self, d: &Deployment, input: Bytes) -> Result<Bytes, ChainError> {
        self.devnet.call_settlement(d, input)
    }
    fn send_settlement(&mut self, d: &Deployment, input: Bytes) -> Result<(), ChainError> {
        self.devnet.send_settlement(d, input)
    }
    fn batch_root(&mut self, d: &Deployment, batch_id: u64) -> Result<Option<B256>, ChainError> {
        if self.roots_missing {
            return Ok(None);
        }
        self.devnet.batch_root(d, batch_id)
    }
    fn send_batch(
        &mut self,
        d: &Deployment,
        batch_id: u64,
        deals: &[SettlementDeal],
    ) -> Result<PendingTx, ChainError> {
        if self.revert_next_send {
            self.revert_next_send = false;
            return Err(ChainError::Reverted { reason: "escrow fell short (test)".into() });
        }
        self.devnet.send_batch(d, batch_id, deals)
    }
    fn confirm(&mut self, d: &Deployment, pending: &PendingTx) -> Result<BatchReceipt, ChainError> {
        self.devnet.confirm(d, pending)
    }
}

#[test]
fn a_batch_abandoned_while_opening_pays_its_deals_once_when_they_are_read_again() {
    let (mut devnet, deployment) = setup(0);
    let deals = deals(10);
    // Twice what the deals cost: a deal queued twice would be paid twice.
    fund_all(&mut devnet, &deployment, &deals);
    fund_all(&mut devnet, &deployment, &deals);
    let journal =
        journal_with_first_batch("abandoned-at-open", &deployment, settlement_deals(&deals[..4]));
    let mut chain = Faulty { revert_next_send: true, ..Faulty::new(&mut devnet) };
    let config = BatcherConfig { batch_size_max: 100, batch_interval_ms: u64::MAX };
    let mut batcher = Batcher::open(&mut chain, deployment.clone(), &journal, config)
        .expect("opens, abandoning batch 1");
    for deal in &deals {
        batcher.push(deal).expect("devnet test step");
    }
    let report = batcher.finish().expect("devnet test step");
    assert_eq!((report.batches_abandoned, report.deals_settled), (1, 10));
    assert_every_deal_counted_once(&report);
    let balances = chain_balances(&mut devnet, &deployment, &journal, (0..16).map(provider));
    for n in 0..16 {
        let owed: U256 = deals.iter().filter(|d| d.provider == provider(n)).map(cost).sum();
        assert_eq!(balances[&provider(n)].credit, owed, "provider {n} paid once");
    }
}

#[test]
fn a_chain_past_a_batch_without_its_root_is_an_error_not_a_zero_root_comparison() {
    let (mut devnet, deployment, _, journal) = settled_but_sent_unjournaled("root-missing");
    let mut chain = Faulty { roots_missing: true, ..Faulty::new(&mut devnet) };
    let config = BatcherConfig { batch_size_max: 100, batch_interval_ms: u64::MAX };
    let error = Batcher::open(&mut chain, deployment, &journal, config)
        .err()
        .expect("an impossible chain must stop the batcher");
    let message = error.to_string();
    assert!(
        matches!(&error, SettleError::Chain(ChainError::BadAnswer(_)))
            && message.contains("batch 1, its batchRoot is empty"),
        "{message}"
    );
}
