//! A batch of [`SettlementDeal`]s as `settleBatch` takes it: a table of the batch's distinct
//! accounts and deals that name accounts by their index in it, so that netting on chain is an
//! array access and each address is paid for in calldata once.

use std::collections::HashMap;

use alloy::sol_types::{SolCall, SolEvent};
use alloy_primitives::{Address, Bytes, Log, B256};

use super::Settlement;
use crate::chain::{BatchReceipt, ChainError, SettlementDeal};

/// The `settleBatch(batchId, accounts, deals)` call for `deals`, accounts in order of first
/// appearance. A deal amount above 2^128 − 1 is refused (the contract keeps balances in 128 bits).
pub fn settle_batch_call(
    batch_id: u64,
    deals: &[SettlementDeal],
) -> Result<Settlement::settleBatchCall, ChainError> {
    let mut accounts: Vec<Address> = Vec::new();
    let mut index_of: HashMap<Address, u32> = HashMap::new();
    let mut index = |account: Address| -> Result<u32, ChainError> {
        if let Some(index) = index_of.get(&account) {
            return Ok(*index);
        }
        let index = u32::try_from(accounts.len())
            .map_err(|_| ChainError::Refused("more than 2^32 accounts in one batch".into()))?;
        accounts.push(account);
        index_of.insert(account, index);
        Ok(index)
    };
    let mut encoded = Vec::with_capacity(deals.len());
    for deal in deals {
        let amount = u128::try_from(deal.amount).map_err(|_| {
            ChainError::Refused(format!(
                "deal {}: amount {} exceeds 2^128 - 1 base units",
                deal.deal_id, deal.amount
            ))
        })?;
        encoded.push(Settlement::Deal {
            dealId: deal.deal_id,
            requester: index(deal.requester)?,
            provider: index(deal.provider)?,
            amount,
        });
    }
    Ok(Settlement::settleBatchCall { batchId: batch_id, accounts, deals: encoded })
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
    use alloy_primitives::{address, U256};

    fn deal(deal_id: u64, requester: Address, provider: Address, amount: u64) -> SettlementDeal {
        SettlementDeal { deal_id, requester, provider, amount: U256::from(amount) }
    }

    #[test]
    fn each_account_appears_once_in_the_table_and_deals_index_it() {
        let r = address!("0x2000000000000000000000000000000000000001");
        let p = address!("0x1000000000000000000000000000000000000001");
        let call = settle_batch_call(4, &[deal(1, r, p, 10), deal(2, p, r, 5)]).unwrap();
        assert_eq!(call.accounts, vec![r, p]);
        assert_eq!((call.deals[1].requester, call.deals[1].provider), (1, 0));
        assert_eq!(call.deals[1].amount, 5);
    }

    #[test]
    fn amount_above_128_bits_is_refused_not_truncated() {
        let r = Address::repeat_byte(2);
        let big = SettlementDeal { deal_id: 9, requester: r, provider: r, amount: U256::MAX };
        let error = settle_batch_call(1, &[big]).unwrap_err();
        assert!(matches!(error, ChainError::Refused(_)), "{error}");
    }
}
