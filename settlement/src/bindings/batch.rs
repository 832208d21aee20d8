//! A batch of [`SettlementDeal`]s as `settleBatch` takes it, packed: the batch's distinct
//! accounts, 20 bytes each in ascending address order (the contract requires it, so that each
//! account has one leaf in the batch's account tree), and one 32-byte word per deal,
//! `dealId << 192 | requester << 160 | provider << 128 | amount`, naming accounts by their index
//! in the table, so that each address is paid for in calldata once and no byte is ABI padding.

use std::collections::BTreeSet;

use alloy::sol_types::{SolCall, SolEvent};
use alloy_primitives::{Address, Bytes, Log, B256, U256};

use super::Settlement;
use crate::chain::{BatchReceipt, ChainError, SettlementDeal};

/// The `settleBatch(batchId, accounts, deals)` call for `deals`. A deal amount above
/// 2^128 − 1 is refused (the contract packs it in 128 bits).
pub fn settle_batch_call(
    batch_id: u64,
    deals: &[SettlementDeal],
) -> Result<Settlement::settleBatchCall, ChainError> {
    let accounts: Vec<Address> = deals
        .iter()
        .flat_map(|deal| [deal.requester, deal.provider])
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if u32::try_from(accounts.len()).is_err() {
        return Err(ChainError::Refused("more than 2^32 accounts in one batch".into()));
    }
    let index = |account: Address| -> U256 {
        let position = accounts
            .binary_search(&account)
            .expect("the table holds every requester and provider of the batch");
        U256::from(position)
    };
    let mut words = Vec::with_capacity(deals.len());
    for deal in deals {
        let amount = u128::try_from(deal.amount).map_err(|_| {
            ChainError::Refused(format!(
                "deal {}: amount {} exceeds 2^128 - 1 base units",
                deal.deal_id, deal.amount
            ))
        })?;
        words.push(
            U256::from(deal.deal_id) << 192
                | index(deal.requester) << 160
                | index(deal.provider) << 128
                | U256::from(amount),
        );
    }
    let packed: Vec<u8> = accounts.iter().flat_map(|account| account.into_array()).collect();
    Ok(Settlement::settleBatchCall { batchId: batch_id, accounts: packed.into(), deals: words })
}

/// The calldata of [`settle_batch_call`].
pub fn settle_batch_calldata(batch_id: u64, deals: &[SettlementDeal]) -> Result<Bytes, ChainError> {
    Ok(settle_batch_call(batch_id, deals)?.abi_encode().into())
}

/// The [`BatchReceipt`] of the `settleBatch` transaction `tx_hash`, mined in `block_number`,
/// from the `BatchSettled` event that `settlement` emitted among `logs`. A transaction without
/// that event, or with one that does not decode, is a bad answer, never a default.
pub(crate) fn batch_receipt<'l>(
    settlement: Address,
    tx_hash: B256,
    block_number: u64,
    gas_used: u64,
    logs: impl IntoIterator<Item = &'l Log>,
) -> Result<BatchReceipt, ChainError> {
    let bad = |detail: String| ChainError::BadAnswer(format!("transaction {tx_hash}: {detail}"));
    let log = logs
        .into_iter()
        .find(|log| {
            log.address == settlement
                && log.topics().first() == Some(&Settlement::BatchSettled::SIGNATURE_HASH)
        })
        .ok_or_else(|| bad("no BatchSettled event".to_owned()))?;
    let event = Settlement::BatchSettled::decode_log_data(&log.data)
        .map_err(|error| bad(format!("BatchSettled does not decode: {error}")))?;
    Ok(BatchReceipt {
        batch_id: event.batchId,
        tx_hash,
        block_number,
        gas_used,
        merkle_root: event.merkleRoot,
        deal_count: u64::try_from(event.dealCount)
            .map_err(|_| bad(format!("deal count {} above 2^64", event.dealCount)))?,
        volume: event.volume,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    fn deal(deal_id: u64, requester: Address, provider: Address, amount: u64) -> SettlementDeal {
        SettlementDeal { deal_id, requester, provider, amount: U256::from(amount) }
    }

    #[test]
    fn each_account_appears_once_in_the_table_ascending_and_deals_index_it() {
        let r = address!("0x2000000000000000000000000000000000000001");
        let p = address!("0x1000000000000000000000000000000000000001");
        let call = settle_batch_call(4, &[deal(1, r, p, 10), deal(2, p, r, 5)]).unwrap();
        assert_eq!(call.accounts.to_vec(), [p.as_slice(), r.as_slice()].concat());
        let word = |id: u64, requester: u64, provider: u64, amount: u64| {
            U256::from(id) << 192
                | U256::from(requester) << 160
                | U256::from(provider) << 128
                | U256::from(amount)
        };
        assert_eq!(call.deals, vec![word(1, 1, 0, 10), word(2, 0, 1, 5)]);
    }

    #[test]
    fn amount_above_128_bits_is_refused_not_truncated() {
        let r = Address::repeat_byte(2);
        let big = SettlementDeal { deal_id: 9, requester: r, provider: r, amount: U256::MAX };
        let error = settle_batch_call(1, &[big]).unwrap_err();
        assert!(matches!(error, ChainError::Refused(_)), "{error}");
    }
}
