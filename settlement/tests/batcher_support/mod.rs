//! The devnet side of the batcher tests (`batcher_devnet`, `journal_damage`): a deployment,
//! deals among 32 accounts, what each deal costs computed here (independently of the crate),
//! funding, settling, and checking every balance against the deals.

// Each test crate that includes this module uses a different part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, U256};
use gridbook_settlement::audit::{read_balances, settled_batches, Balances};
use gridbook_settlement::batcher::{Batcher, BatcherConfig, SettleError, SettleReport};
use gridbook_settlement::deals::DealRecord;
use gridbook_settlement::devnet::Devnet;
use gridbook_settlement::journal::read_state;
use gridbook_settlement::{Chain, DeployParams, Deployment, SettlementDeal};

pub(crate) const HOUR_MS: u64 = 3_600_000;

pub(crate) fn journal_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gridbook-batcher-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("devnet test step");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

pub(crate) fn setup(fee_bps: u16) -> (Devnet, Deployment) {
    let mut devnet = Devnet::new();
    let params = DeployParams { token: None, fee_bps, withdrawal_delay_s: 3600 };
    let deployment = devnet.deploy(&params).expect("devnet test step");
    (devnet, deployment)
}

pub(crate) fn requester(n: u64) -> Address {
    Address::left_padding_from(&(0x2000 + n).to_be_bytes())
}

pub(crate) fn provider(n: u64) -> Address {
    Address::left_padding_from(&(0x1000 + n).to_be_bytes())
}

/// `count` deals among 16 requesters and 16 providers (32 accounts), prices and durations
/// varied so that amounts are not round.
pub(crate) fn deals(count: u64) -> Vec<DealRecord> {
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
pub(crate) fn cost(deal: &DealRecord) -> U256 {
    let duration_ms = deal.end_ms - deal.start_ms;
    U256::from(deal.price_nano) * U256::from(deal.qty) * U256::from(duration_ms)
        / U256::from(HOUR_MS)
}

pub(crate) fn fund_all(devnet: &mut Devnet, deployment: &Deployment, deals: &[DealRecord]) {
    let mut owed: BTreeMap<Address, U256> = BTreeMap::new();
    for deal in deals {
        *owed.entry(deal.requester).or_default() += cost(deal);
    }
    for (account, amount) in owed {
        devnet.fund(deployment, account, amount).expect("devnet test step");
    }
}

pub(crate) fn settle(
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

/// The report accounts for every deal read exactly once: settled in this run, settled before
/// it, or held.
pub(crate) fn assert_every_deal_counted_once(report: &SettleReport) {
    let counted = report.deals_settled + report.deals_already_journaled + report.held.len() as u64;
    assert_eq!(counted, report.deals_seen, "{report:?}");
}

/// Every account's balances as the chain has them after the batches `journal` settled (which
/// must be every batch the chain settled; each batch's account root is checked on chain).
pub(crate) fn chain_balances(
    devnet: &mut Devnet,
    deployment: &Deployment,
    journal: &Path,
    accounts: impl IntoIterator<Item = Address>,
) -> BTreeMap<Address, Balances> {
    let state = read_state(journal).expect("devnet test step");
    read_balances(devnet, deployment, &settled_batches(&state), accounts).expect("reads back")
}

/// Every requester's escrow is 0 (funded exactly) and every provider's credit is the sum of
/// its deals minus the per-deal floor fee; the settler holds the fees. Read back from the chain
/// (its totals and account roots) with the batches of `journal`.
pub(crate) fn assert_balances_match(
    devnet: &mut Devnet,
    deployment: &Deployment,
    journal: &Path,
    deals: &[DealRecord],
) {
    let mut credit: BTreeMap<Address, U256> = BTreeMap::new();
    let mut fees = U256::ZERO;
    for deal in deals {
        let amount = cost(deal);
        let fee = amount * U256::from(deployment.fee_bps) / U256::from(10_000u64);
        *credit.entry(deal.provider).or_default() += amount - fee;
        fees += fee;
    }
    let accounts = deals.iter().flat_map(|deal| [deal.requester, deal.provider]);
    let actual = chain_balances(devnet, deployment, journal, accounts);
    for deal in deals {
        assert_eq!(actual[&deal.requester].escrow, U256::ZERO, "requester {}", deal.requester);
    }
    for (account, want) in credit {
        assert_eq!(actual[&account].credit, want, "provider {account}");
    }
    let settler = chain_balances(devnet, deployment, journal, [deployment.settler]);
    assert_eq!(settler[&deployment.settler].credit, fees);
}

pub(crate) fn settlement_deals(deals: &[DealRecord]) -> Vec<SettlementDeal> {
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
