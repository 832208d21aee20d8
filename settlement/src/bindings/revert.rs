//! Revert data (custom errors of the contracts, `Error(string)`, `Panic(uint256)`) decoded into a
//! [`ChainError`], so that the batcher can tell "already settled" from other
//! failures on either chain.

use alloy::sol_types::{Panic, Revert, SolError, SolInterface};

use super::{Settlement::SettlementErrors, TestToken::TestTokenErrors};
use crate::chain::ChainError;

/// The error a revert with `data` means.
pub fn decode_revert(data: &[u8]) -> ChainError {
    if let Ok(error) = SettlementErrors::abi_decode(data) {
        return settlement_error(error);
    }
    let reason = if let Ok(error) = TestTokenErrors::abi_decode(data) {
        format!("{error:?}")
    } else if let Ok(revert) = Revert::abi_decode(data) {
        revert.reason
    } else if let Ok(panic) = Panic::abi_decode(data) {
        format!("panic {:#x}", panic.code)
    } else if data.is_empty() {
        "no reason given".to_string()
    } else {
        format!("unknown error data 0x{}", alloy_primitives::hex::encode(data))
    };
    ChainError::Reverted { reason }
}

fn settlement_error(error: SettlementErrors) -> ChainError {
    match error {
        SettlementErrors::WrongBatchId(e) if e.batchId < e.expected => ChainError::AlreadySettled {
            batch_id: e.batchId,
            last_batch_id: e.expected.saturating_sub(1),
        },
        SettlementErrors::WrongBatchId(e) => ChainError::Reverted {
            reason: format!(
                "batch {} is not the next one: lastBatchId is {}",
                e.batchId,
                e.expected.saturating_sub(1)
            ),
        },
        other => ChainError::Reverted { reason: format!("{other:?}") },
    }
}
