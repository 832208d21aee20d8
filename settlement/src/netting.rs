//! Netting: what each account pays and receives over a set of deals, computed off chain the
//! same way the contract computes it on chain (the fee rule of docs/settlement.md), so that the
//! batcher can check escrow before sending and tests can check balances independently.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};

use crate::chain::SettlementDeal;

/// Basis points in one whole.
pub const BPS_DENOMINATOR: u64 = 10_000;

/// One account's side of a set of deals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountFlow {
    /// What it pays as a requester (sum of its deals' amounts).
    pub paid: U256,
    /// What it receives as a provider (amounts minus fees).
    pub received: U256,
}

/// The per-account flows of a set of deals (what each paid and received, both kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Netting {
    /// Per account, in address order (deterministic).
    pub accounts: BTreeMap<Address, AccountFlow>,
    /// Sum of amounts.
    pub volume: U256,
    /// Sum of fees (the operator's).
    pub fees: U256,
}

/// The operator fee taken out of one deal's amount: `floor(amount × fee_bps / 10,000)`.
pub fn fee_of(amount: U256, fee_bps: u16) -> U256 {
    amount * U256::from(fee_bps) / U256::from(BPS_DENOMINATOR)
}

/// Nets `deals` with a fee of `fee_bps`.
pub fn net(deals: &[SettlementDeal], fee_bps: u16) -> Netting {
    let mut netting = Netting::default();
    for deal in deals {
        let fee = fee_of(deal.amount, fee_bps);
        netting.accounts.entry(deal.requester).or_default().paid += deal.amount;
        netting.accounts.entry(deal.provider).or_default().received += deal.amount - fee;
        netting.volume += deal.amount;
        netting.fees += fee;
    }
    netting
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A deal between accounts `repeat_byte(requester)` and `repeat_byte(provider)`.
    pub(crate) fn deal(deal_id: u64, requester: u8, provider: u8, amount: u64) -> SettlementDeal {
        SettlementDeal {
            deal_id,
            requester: Address::repeat_byte(requester),
            provider: Address::repeat_byte(provider),
            amount: U256::from(amount),
        }
    }

    #[test]
    fn payments_equal_receipts_plus_fees() {
        let deals = [deal(1, 1, 2, 10_001), deal(2, 1, 3, 999), deal(3, 2, 1, 5)];
        let netting = net(&deals, 250);
        let paid: U256 = netting.accounts.values().map(|f| f.paid).sum();
        let received: U256 = netting.accounts.values().map(|f| f.received).sum();
        assert_eq!(paid, netting.volume);
        assert_eq!(paid, received + netting.fees);
        // floor(10,001 × 2.5%) = 250, floor(999 × 2.5%) = 24, floor(5 × 2.5%) = 0.
        assert_eq!(netting.fees, U256::from(274u64));
    }

    #[test]
    fn an_account_on_both_sides_is_netted_in_one_entry() {
        let netting = net(&[deal(1, 1, 2, 100), deal(2, 2, 1, 40)], 0);
        let one = netting.accounts[&Address::repeat_byte(1)];
        assert_eq!((one.paid, one.received), (U256::from(100u8), U256::from(40u8)));
        assert_eq!(netting.accounts.len(), 2);
    }
}
