//! Checking a chain's balances against the deals it settled. Expected: computed off chain from
//! what each account was funded with and the deals, with the contract's rule (an account's
//! escrow pays for every deal it requested, its credit is what it received as a provider, fees
//! taken out; the settler earns the fees). Actual: derived from the chain, which stores no
//! per-batch balances — its totals (`accountOf`, the fees) plus every batch's account leaves,
//! recomputed from the deals and checked against the account root the contract committed.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};

use crate::account_tree::account_leaves;
use crate::chain::{Chain, ChainError, Deployment, SettlementDeal};
use crate::journal_state::JournalState;
use crate::ledger::{account_of, accounts_root, unclaimed_fees};
use crate::netting::net;

/// An account's balances in the contract.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balances {
    /// Escrow left: deposited, less withdrawn, less everything its settled deals cost.
    pub escrow: U256,
    /// Credit it may still claim (for the settler, the unclaimed fees too).
    pub credit: U256,
}

/// An account whose balances on chain differ from the expected ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The account.
    pub account: Address,
    /// What the deals say.
    pub expected: Balances,
    /// What the chain says.
    pub actual: Balances,
}

/// Expected balances after `batches` (each a batch's deals) settle on accounts funded with
/// `funded`, no claims or withdrawals in between.
pub fn expected_balances(
    batches: &[Vec<SettlementDeal>],
    funded: &BTreeMap<Address, U256>,
    fee_bps: u16,
    settler: Address,
) -> BTreeMap<Address, Balances> {
    let mut expected: BTreeMap<Address, Balances> = funded
        .iter()
        .map(|(account, escrow)| (*account, Balances { escrow: *escrow, credit: U256::ZERO }))
        .collect();
    for deals in batches {
        let netting = net(deals, fee_bps);
        for (account, flow) in &netting.accounts {
            let balances = expected.entry(*account).or_default();
            balances.credit += flow.received;
            // The settler settles only deals the escrow covers; saturating keeps a wrong
            // expectation visible as a mismatch instead of a panic.
            balances.escrow = balances.escrow.saturating_sub(flow.paid);
        }
        expected.entry(settler).or_default().credit += netting.fees;
    }
    expected
}

/// The settled batches of a journal, as (batch id, deals), in batch order.
pub fn settled_batches(state: &JournalState) -> Vec<(u64, Vec<SettlementDeal>)> {
    state
        .batches
        .iter()
        .filter(|(_, batch)| batch.settled_root.is_some())
        .map(|(batch_id, batch)| (*batch_id, batch.deals.clone()))
        .collect()
}

/// Balances of `accounts` as the chain has them after `batches` (batch id, deals), which must
/// be every batch the chain settled, 1 to `lastBatchId`: each batch's account root is
/// recomputed from its deals and must equal the one on chain, then every account's totals are
/// folded from its leaves and the contract's stored totals. A batch missing, or a root that
/// differs, is [`ChainError::BadAnswer`]: the deals given are not what the chain settled.
pub fn read_balances<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    batches: &[(u64, Vec<SettlementDeal>)],
    accounts: impl IntoIterator<Item = Address>,
) -> Result<BTreeMap<Address, Balances>, ChainError> {
    let last_batch_id = chain.last_batch_id(deployment)?;
    if !batches.iter().map(|(batch_id, _)| *batch_id).eq(1..=last_batch_id) {
        return Err(ChainError::BadAnswer(format!(
            "the chain settled batches 1 to {last_batch_id}; the deals given are of {} batches",
            batches.len()
        )));
    }
    let mut totals: BTreeMap<Address, (U256, U256)> = BTreeMap::new();
    for (batch_id, deals) in batches {
        let leaves = account_leaves(*batch_id, deals, deployment.fee_bps);
        let ours = crate::account_tree::account_root(*batch_id, deals, deployment.fee_bps);
        let theirs = accounts_root(chain, deployment, *batch_id)?;
        if ours != theirs {
            return Err(ChainError::BadAnswer(format!(
                "batch {batch_id}: the chain's account root {theirs:?} is not the root of its \
                 deals' account totals {ours:?}"
            )));
        }
        for leaf in leaves {
            let (paid, received) = totals.entry(leaf.account).or_default();
            *paid += leaf.paid;
            *received += leaf.received;
        }
    }
    let mut balances = BTreeMap::new();
    for account in accounts {
        let stored = account_of(chain, deployment, account)?;
        let (paid, received) = totals.get(&account).copied().unwrap_or_default();
        let mut credit = received.saturating_sub(stored.claimed);
        if account == deployment.settler {
            credit += unclaimed_fees(chain, deployment)?;
        }
        balances.insert(account, Balances { escrow: stored.funds().saturating_sub(paid), credit });
    }
    Ok(balances)
}

/// Reads every expected account's balances ([`read_balances`]) and returns those that differ.
pub fn check_balances<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    batches: &[(u64, Vec<SettlementDeal>)],
    expected: &BTreeMap<Address, Balances>,
) -> Result<Vec<Mismatch>, ChainError> {
    let actual = read_balances(chain, deployment, batches, expected.keys().copied())?;
    Ok(expected
        .iter()
        .filter_map(|(account, want)| {
            let got = actual.get(account).copied().unwrap_or_default();
            (got != *want).then_some(Mismatch { account: *account, expected: *want, actual: got })
        })
        .collect())
}
