//! Checking a chain's balances against the deals it settled: what every account's escrow and
//! credit must be, given what it was funded with, computed off chain with the contract's rule
//! (per batch, each account's net flow; a net debit comes out of escrow, a net credit is
//! claimable credit; the settler is credited the fees).

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};

use crate::chain::{Chain, ChainError, Deployment, SettlementDeal};
use crate::netting::net;

/// An account's expected balances in the contract.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balances {
    /// Escrow left.
    pub escrow: U256,
    /// Claimable credit.
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
            if flow.received >= flow.paid {
                balances.credit += flow.received - flow.paid;
            } else {
                // The contract reverts a batch whose net debit exceeds escrow; saturating keeps
                // a wrong expectation visible as a mismatch instead of a panic.
                balances.escrow = balances.escrow.saturating_sub(flow.paid - flow.received);
            }
        }
        expected.entry(settler).or_default().credit += netting.fees;
    }
    expected
}

/// Reads every expected account's balances and returns those that differ.
pub fn check_balances<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    expected: &BTreeMap<Address, Balances>,
) -> Result<Vec<Mismatch>, ChainError> {
    let mut mismatches = Vec::new();
    for (account, want) in expected {
        let actual = Balances {
            escrow: chain.escrow_of(deployment, *account)?,
            credit: chain.credit_of(deployment, *account)?,
        };
        if actual != *want {
            mismatches.push(Mismatch { account: *account, expected: *want, actual });
        }
    }
    Ok(mismatches)
}
