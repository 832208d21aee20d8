//! Sending transactions: gas estimate (a revert surfaces here, decoded), EIP-1559 fees, the
//! client's own nonce, local signing, and replacement at the same nonce with higher fees. The
//! node's refusals are told apart by their [`NodeErrorKind`], never by their text.

use std::time::Instant;

use alloy::eips::Encodable2718;
use alloy::network::{NetworkTransactionBuilder, TransactionBuilder};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy_primitives::{Bytes, TxKind, B256, U256};

use super::{Inner, NodeErrorKind};
use crate::chain::ChainError;

/// A transaction this client sent (and its replacements, which share the nonce).
#[derive(Debug, Clone)]
pub(super) struct SentTx {
    pub(super) to: TxKind,
    pub(super) input: Bytes,
    pub(super) gas_limit: u64,
    pub(super) nonce: u64,
    pub(super) max_fee_per_gas: u128,
    pub(super) max_priority_fee_per_gas: u128,
    /// Every hash sent at this nonce, the latest last: any of them may be the one mined.
    pub(super) hashes: Vec<B256>,
    pub(super) sent_at: Instant,
}

impl SentTx {
    pub(super) fn latest_hash(&self) -> B256 {
        // `submit` hands a SentTx out only after its first broadcast, `recall` with its hash.
        *self.hashes.last().expect("a sent transaction has the hash of its first broadcast")
    }
}

/// `fee` raised by `bump_bps`, rounded up, and at least by one wei.
fn bumped(fee: u128, bump_bps: u64) -> u128 {
    let raised = fee.saturating_mul(10_000 + u128::from(bump_bps)).div_ceil(10_000);
    raised.max(fee.saturating_add(1))
}

impl Inner {
    /// Estimates, prices, signs and sends a transaction at the next nonce.
    pub(super) async fn submit(&mut self, to: TxKind, input: Bytes) -> Result<SentTx, ChainError> {
        let request = TransactionRequest::default()
            .with_from(self.signer)
            .with_input(input.clone())
            .with_kind(to);
        let estimate =
            self.retrying(|| async { self.provider.estimate_gas(request.clone()).await }).await;
        let gas_estimate = match estimate {
            Ok(gas) => gas,
            Err(error) if error.node_kind() == Some(NodeErrorKind::InsufficientFunds) => {
                return Err(self.insufficient_gas_funds().await);
            }
            Err(error) => return Err(error),
        };
        // Margin: the estimate is for the current state; a batch may touch colder slots later.
        let gas_limit = gas_estimate.saturating_add(gas_estimate / 5).saturating_add(10_000);
        let fees = self.retrying(|| async { self.provider.estimate_eip1559_fees().await }).await?;
        let pending_nonce = self
            .retrying(|| async { self.provider.get_transaction_count(self.signer).pending().await })
            .await?;
        let nonce = self.next_nonce.map_or(pending_nonce, |next| next.max(pending_nonce));
        let balance_wei = self.balance().await?;
        if balance_wei < U256::from(gas_limit) * U256::from(fees.max_fee_per_gas) {
            return Err(ChainError::InsufficientGasFunds { account: self.signer, balance_wei });
        }
        let mut sent = SentTx {
            to,
            input,
            gas_limit,
            nonce,
            max_fee_per_gas: fees.max_fee_per_gas,
            max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
            hashes: Vec::new(),
            sent_at: Instant::now(),
        };
        self.broadcast(&mut sent).await?;
        self.next_nonce = Some(nonce + 1);
        self.sent.insert(nonce, sent.clone());
        Ok(sent)
    }

    async fn balance(&self) -> Result<U256, ChainError> {
        self.retrying(|| async { self.provider.get_balance(self.signer).await }).await
    }

    async fn insufficient_gas_funds(&self) -> ChainError {
        match self.balance().await {
            Ok(balance_wei) => {
                ChainError::InsufficientGasFunds { account: self.signer, balance_wei }
            }
            Err(error) => error,
        }
    }

    /// Signs `sent` as it stands (nonce, fees) and sends it; records its hash once the node has
    /// it.
    async fn broadcast(&self, sent: &mut SentTx) -> Result<(), ChainError> {
        let request = TransactionRequest::default()
            .with_from(self.signer)
            .with_input(sent.input.clone())
            .with_kind(sent.to)
            .with_nonce(sent.nonce)
            .with_chain_id(self.chain_id)
            .with_gas_limit(sent.gas_limit)
            .with_max_fee_per_gas(sent.max_fee_per_gas)
            .with_max_priority_fee_per_gas(sent.max_priority_fee_per_gas);
        let envelope = request
            .build(&self.wallet)
            .await
            .map_err(|error| ChainError::Rpc(format!("cannot sign the transaction: {error}")))?;
        let hash = *envelope.tx_hash();
        let raw = envelope.encoded_2718();
        let result = self
            .retrying(|| async { self.provider.send_raw_transaction(&raw).await.map(|_| ()) })
            .await;
        if let Err(error) = result {
            match error.node_kind() {
                // A retry after a lost answer: the node has it already.
                Some(NodeErrorKind::AlreadyKnown) => {}
                // Used by this very transaction (an attempt whose answer was lost, mined since,
                // as anvil's automine does at once) — or by another one, which is an error.
                Some(NodeErrorKind::NonceTooLow) if self.node_has(hash).await? => {}
                Some(NodeErrorKind::InsufficientFunds) => {
                    return Err(self.insufficient_gas_funds().await);
                }
                _ => return Err(error),
            }
        }
        sent.hashes.push(hash);
        sent.sent_at = Instant::now();
        Ok(())
    }

    /// Whether the node has the transaction `hash`, in its pool or mined.
    pub(super) async fn node_has(&self, hash: B256) -> Result<bool, ChainError> {
        let known =
            self.retrying(|| async { self.provider.get_transaction_by_hash(hash).await }).await?;
        Ok(known.is_some())
    }

    /// Re-sends `sent` at its nonce with both fees bumped by at least `fee_bump_bps` (and at least
    /// the node's current estimate).
    pub(super) async fn replace(&mut self, sent: &mut SentTx) -> Result<(), ChainError> {
        let fees = self.retrying(|| async { self.provider.estimate_eip1559_fees().await }).await?;
        let bump_bps = self.config.fee_bump_bps;
        sent.max_priority_fee_per_gas =
            bumped(sent.max_priority_fee_per_gas, bump_bps).max(fees.max_priority_fee_per_gas);
        sent.max_fee_per_gas = bumped(sent.max_fee_per_gas, bump_bps)
            .max(fees.max_fee_per_gas)
            .max(sent.max_priority_fee_per_gas);
        match self.broadcast(sent).await {
            Ok(()) => {
                self.sent.insert(sent.nonce, sent.clone());
                Ok(())
            }
            Err(error) => match error.node_kind() {
                // The nonce was used meanwhile, by an earlier hash of ours or by another
                // transaction: the next poll tells which.
                Some(NodeErrorKind::NonceTooLow) => Ok(()),
                // The node keeps what it has at this nonce: wait for that; the next replacement
                // bumps again, from these fees.
                Some(NodeErrorKind::ReplacementUnderpriced) => {
                    sent.sent_at = Instant::now();
                    Ok(())
                }
                _ => Err(error),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bumped;

    #[test]
    fn a_fee_bump_is_at_least_twelve_and_a_half_percent_rounded_up() {
        assert_eq!(bumped(1_000_000_000, 1_250), 1_125_000_000);
        assert_eq!(bumped(7, 1_250), 8);
        assert_eq!(bumped(0, 1_250), 1, "a zero tip still rises");
    }
}
