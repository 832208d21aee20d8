//! The batcher on the embedded devnet: every deal settled exactly once, balances equal to the
//! deals (computed here, independently of the crate's netting), and recovery from a crash at
//! each point of a batch's life (after journaling, after sending, before journaling the send).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, U256};
use gridbook_settlement::batcher::{Batcher, BatcherConfig, SettleError, SettleReport};
use gridbook_settlement::deals::DealRecord;
use gridbook_settlement::devnet::Devnet;
use gridbook_settlement::journal::{Journal, Record};
use gridbook_settlement::{Chain, DeployParams, Deployment, SettlementDeal};

const HOUR_MS: u64 = 3_600_000;

fn journal_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gridbook-batcher-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("devnet test step");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn setup(fee_bps: u16) -> (Devnet, Deployment) {
    let mut devnet = Devnet::new();
    let params = DeployParams { token: None, fee_bps, withdrawal_delay_s: 3600 };
    let deployment = devnet.deploy(&params).expect("devnet test step");
    (devnet, deployment)
}

fn requester(n: u64) -> Address {
    Address::left_padding_from(&(0x2000 + n).to_be_bytes())
}

fn provider(n: u64) -> Address {
    Address::left_padding_from(&(0x1000 + n).to_be_bytes())
}

/// `count` deals among 16 requesters and 16 providers (32 accounts), prices and durations
/// varied so that amounts are not round.
fn deals(count: u64) -> Vec<DealRecord> {
    (1..=count)
        .map(|id| DealRecord {
            deal_id: id,
            ts_ms: id * 1000,
            requester: requester(id % 16),
            provider: provider(id * 7 % 16),
            qty: 1 + id % 4,
            price_nano: 1_000_000_000 + id * 12_345_677,
            start_ms: id * 1000,
            end_ms: id * 1000 + HOUR_MS + id * 333,
            line: id,
        })
        .collect()
}

/// What a deal costs, written out here rather than taken from the crate (9 decimals).
fn cost(deal: &DealRecord) -> U256 {
    let duration_ms = deal.end_ms - deal.start_ms;
    U256::from(deal.price_nano) * U256::from(deal.qty) * U256::from(duration_ms)
        / U256::from(HOUR_MS)
}

fn fund_all(devnet: &mut Devnet, deployment: &Deployment, deals: &[DealRecord]) {
    let mut owed: BTreeMap<Address, U256> = BTreeMap::new();
    for deal in deals {
        *owed.entry(deal.requester).or_default() += cost(deal);
    }
    for (account, amount) in owed {
        devnet.fund(deployment, account, amount).expect("devnet test step");
    }
}

fn settle(
    devnet: &mut Devnet,
    deployment: &Deployment,
    journal: &Path,
    batch_size_max: usize,
    deals: &[DealRecord],
) -> Result<SettleReport, SettleError> {
    let config = BatcherConfig { batch_size_max, batch_interval_ms: u64::MAX };
    let mut batcher = Batcher::open(devnet, deployment.clone(), journal, config)?;
    for deal in deals {
        batcher.push(deal)?;
    }
    batcher.finish()
}

/// Every requester's escrow is 0 (funded exactly) and every provider's credit is the sum of
/// its deals minus the per-deal floor fee; the settler holds the fees.
fn assert_balances_match(devnet: &mut Devnet, deployment: &Deployment, deals: &[DealRecord]) {
    let mut credit: BTreeMap<Address, U256> = BTreeMap::new();
    let mut fees = U256::ZERO;
    for deal in deals {
        let amount = cost(deal);
        let fee = amount * U256::from(deployment.fee_bps) / U256::from(10_000u64);
        *credit.entry(deal.provider).or_default() += amount - fee;
        fees += fee;
    }
    for deal in deals {
        assert_eq!(
            devnet.escrow_of(deployment, deal.requester).expect("devnet test step"),
            U256::ZERO
        );
    }
    for (account, want) in credit {
        assert_eq!(
            devnet.credit_of(deployment, account).expect("devnet test step"),
            want,
            "provider {account}"
        );
    }
    assert_eq!(devnet.credit_of(deployment, deployment.settler).expect("devnet test step"), fees);
}

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
    assert_balances_match(&mut devnet, &deployment, &deals);
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
    assert_eq!(devnet.last_batch_id(&deployment).expect("devnet test step"), 3);
    assert_balances_match(&mut devnet, &deployment, &deals);
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
    // Batch 1 was confirmed on restart; its 8 deals are skipped, the other 12 settled.
    assert_eq!(report.batches_confirmed, 3);
    assert_eq!(report.deals_already_journaled, 8);
    assert_eq!(devnet.last_batch_id(&deployment).expect("devnet test step"), 3);
    assert_balances_match(&mut devnet, &deployment, &deals);
}

fn settlement_deals(deals: &[DealRecord]) -> Vec<SettlementDeal> {
    deals
        .iter()
        .map(|d| SettlementDeal {
            deal_id: d.deal_id,
            requester: d.requester,
            provider: d.provider,
            amount: cost(d),
        })
        .collect()
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
    assert_eq!((report.batches_confirmed, report.deals_already_journaled), (2, 4));
    assert_balances_match(&mut devnet, &deployment, &deals);
}

#[test]
fn a_batch_sent_but_not_journaled_as_sent_is_recognised_by_its_root_not_paid_twice() {
    let (mut devnet, deployment) = setup(0);
    let deals = deals(10);
    fund_all(&mut devnet, &deployment, &deals);
    let first = settlement_deals(&deals[..4]);
    let journal = journal_with_first_batch("sent-unjournaled", &deployment, first.clone());
    // The crash: the transaction went out (and was mined) but `sent` never reached the disk.
    let pending = devnet.send_batch(&deployment, 1, &first).expect("devnet test step");
    devnet.confirm(&deployment, &pending).expect("devnet test step");
    let report = settle(&mut devnet, &deployment, &journal, 100, &deals).expect("devnet test step");
    assert_eq!((report.batches_recovered, report.batches_confirmed), (1, 1));
    assert_eq!(devnet.last_batch_id(&deployment).expect("devnet test step"), 2);
    assert_balances_match(&mut devnet, &deployment, &deals);
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
    fund_all(&mut devnet, &deployment, &theirs);
    let later = settle(&mut devnet, &deployment, &journal, 64, &deals).expect("devnet test step");
    assert_eq!(later.deals_settled, theirs.len() as u64);
    assert!(later.held.is_empty());
    assert_balances_match(&mut devnet, &deployment, &deals);
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
