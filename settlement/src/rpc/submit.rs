//! Sending transactions and seeing them mined: gas estimate (a revert surfaces here, decoded),
//! EIP-1559 fees, the client's own nonce, local signing, and then waiting for N confirmations,
//! replacing a transaction that is not mined in time at the same nonce with higher fees.

use std::time::{Duration, Instant};

use alloy::consensus::Transaction as _;
use alloy::eips::Encodable2718;
use alloy::network::{NetworkTransactionBuilder, TransactionBuilder};
use alloy::providers::Provider;
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy_primitives::{Bytes, TxKind, B256, U256};

use super::Inner;
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
        self.hashes.last().copied().unwrap_or_default()
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
            Err(ChainError::Rpc(message)) if message.contains("insufficient funds") => {
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

    /// Signs `sent` as it stands (nonce, fees) and sends it; records its hash.
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
        match result {
            Ok(()) => {}
            // A retry after a lost answer: the node has it already.
            Err(ChainError::Rpc(message)) if message.contains("already known") => {}
            Err(ChainError::Rpc(message)) if message.contains("insufficient funds") => {
                return Err(self.insufficient_gas_funds().await);
            }
            Err(error) => return Err(error),
        }
        sent.hashes.push(hash);
        sent.sent_at = Instant::now();
        Ok(())
    }

    /// Waits until one of `sent`'s hashes is mined with the configured confirmations, replacing
    /// it with bumped fees whenever it waited `replace_after_ms` in vain. `None`: its nonce was
    /// used by a transaction this client does not know (one sent before a restart, or by another
    /// sender).
    pub(super) async fn await_mined(
        &mut self,
        sent: &mut SentTx,
    ) -> Result<Option<TransactionReceipt>, ChainError> {
        let timeout_ms = self.config.confirm_timeout_ms;
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        let poll = Duration::from_millis(self.config.poll_interval_ms);
        loop {
            // The nonce first: once it is used, every transaction at it is mined, so the receipts
            // read next show ours if ours was the one.
            let nonce_used = self.mined_nonce().await? > sent.nonce;
            let mut mined = false;
            for hash in sent.hashes.clone() {
                let receipt = self
                    .retrying(|| async { self.provider.get_transaction_receipt(hash).await })
                    .await?;
                if let Some(receipt) = receipt {
                    if self.confirmed(&receipt).await? {
                        self.sent.remove(&sent.nonce);
                        return Ok(Some(receipt));
                    }
                    mined = true;
                }
            }
            if nonce_used && !mined {
                self.sent.remove(&sent.nonce);
                return Ok(None);
            }
            if Instant::now() >= deadline {
                return Err(ChainError::Timeout { tx_hash: sent.latest_hash(), timeout_ms });
            }
            let stuck =
                sent.sent_at.elapsed() >= Duration::from_millis(self.config.replace_after_ms);
            // Mined but not deep enough needs no replacement; neither can a transaction whose
            // content is unknown (gas limit 0: sent before a restart, gone from the node).
            if stuck && !mined && sent.gas_limit > 0 {
                self.replace(sent).await?;
            }
            tokio::time::sleep(poll).await;
        }
    }

    async fn confirmed(&self, receipt: &TransactionReceipt) -> Result<bool, ChainError> {
        let Some(mined_in) = receipt.block_number else { return Ok(false) };
        let head = self.retrying(|| async { self.provider.get_block_number().await }).await?;
        Ok(head.saturating_add(1).saturating_sub(mined_in) >= self.config.confirmations)
    }

    /// Re-sends `sent` at its nonce with both fees bumped by at least `fee_bump_bps` (and at least
    /// the node's current estimate).
    async fn replace(&mut self, sent: &mut SentTx) -> Result<(), ChainError> {
        let fees = self.retrying(|| async { self.provider.estimate_eip1559_fees().await }).await?;
        let bump_bps = self.config.fee_bump_bps;
        sent.max_priority_fee_per_gas =
            bumped(sent.max_priority_fee_per_gas, bump_bps).max(fees.max_priority_fee_per_gas);
        sent.max_fee_per_gas = bumped(sent.max_fee_per_gas, bump_bps)
            .max(fees.max_fee_per_gas)
            .max(sent.max_priority_fee_per_gas);
        match self.broadcast(sent).await {
            // The original was mined meanwhile: the next poll finds its receipt.
            Err(ChainError::Rpc(message)) if message.contains("nonce too low") => Ok(()),
            other => other,
        }?;
        self.sent.insert(sent.nonce, sent.clone());
        Ok(())
    }

    /// What this client knows of the transaction `tx_hash` at `nonce`: what it sent itself, or
    /// (after a restart) what the node still has.
    pub(super) async fn recall(
        &self,
        tx_hash: B256,
        nonce: u64,
        max_fee_per_gas: u128,
        max_priority_fee_per_gas: u128,
    ) -> Result<SentTx, ChainError> {
        if let Some(sent) = self.sent.get(&nonce) {
            if sent.hashes.contains(&tx_hash) {
                return Ok(sent.clone());
            }
        }
        let known = self
            .retrying(|| async { self.provider.get_transaction_by_hash(tx_hash).await })
            .await?;
        let (to, input, gas_limit) = match known {
            Some(tx) => (tx.inner.kind(), tx.inner.input().clone(), tx.inner.gas_limit()),
            // Unknown to the node: it can only be waited for (or found settled), not replaced.
            None => (TxKind::Create, Bytes::new(), 0),
        };
        Ok(SentTx {
            to,
            input,
            gas_limit,
            nonce,
            max_fee_per_gas,
            max_priority_fee_per_gas,
            hashes: vec![tx_hash],
            sent_at: Instant::now(),
        })
    }

    /// The signer's nonce as of the latest block: above `nonce` means `nonce` was used.
    pub(super) async fn mined_nonce(&self) -> Result<u64, ChainError> {
        self.retrying(|| async { self.provider.get_transaction_count(self.signer).latest().await })
            .await
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
