//! Waiting for a sent transaction: its receipt, then N confirmations, replacing it at its nonce
//! when it is stuck, and telling a transaction displaced at its nonce from a node whose views
//! are not all updated at once.
//!
//! The rule: **a transaction whose receipt exists is mined**, whatever another call said before
//! or after. A node's views are not updated at once: anvil commits a block's state (so the
//! sender's nonce) before it stores the block's receipts, and drops the mined transactions from
//! its pool only after that. So "displaced" (the nonce used by a transaction this client does not
//! know) needs all three: the nonce used, no receipt of any of our hashes, and none of them known
//! to the node (in its pool or mined) — read in that order, so a transaction being mined is
//! always seen in one place or the other — and this must hold for `displaced_after_ms` (a
//! provider whose requests land on backends at different heights).

use std::time::{Duration, Instant};

use alloy::consensus::Transaction as _;
use alloy::providers::Provider;
use alloy::rpc::types::TransactionReceipt;
use alloy_primitives::{Bytes, TxKind, B256};

use super::submit::SentTx;
use super::Inner;
use crate::chain::ChainError;

/// The first pause between two polls; it doubles up to `poll_interval_ms`, so a transaction
/// mined at once (automine) is seen at once, and a slow chain is not polled in a tight loop.
const FIRST_POLL_MS: u64 = 10;

impl Inner {
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
        let displaced_after = Duration::from_millis(self.config.displaced_after_ms);
        let mut pause_ms = FIRST_POLL_MS.min(self.config.poll_interval_ms);
        let mut displaced_since: Option<Instant> = None;
        loop {
            // The nonce first, then the receipts, then the node's knowledge (module docs).
            let nonce_used = self.mined_nonce().await? > sent.nonce;
            match self.receipt_of_any(sent).await? {
                Some(receipt) => {
                    displaced_since = None;
                    if self.confirmed(&receipt).await? {
                        self.sent.remove(&sent.nonce);
                        return Ok(Some(receipt));
                    }
                }
                // Mined a moment ago, its receipt not stored yet: wait for the receipt.
                None if nonce_used && self.node_has_any(sent).await? => displaced_since = None,
                None if nonce_used => {
                    let since = *displaced_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= displaced_after {
                        self.sent.remove(&sent.nonce);
                        return Ok(None);
                    }
                }
                None => {
                    displaced_since = None;
                    let waited = sent.sent_at.elapsed();
                    // A transaction whose content is unknown (gas limit 0: sent before a
                    // restart, gone from the node) can only be waited for, not replaced.
                    if waited >= Duration::from_millis(self.config.replace_after_ms)
                        && sent.gas_limit > 0
                    {
                        self.replace_unless_mined(sent).await?;
                    }
                }
            }
            if Instant::now() >= deadline {
                return Err(ChainError::Timeout { tx_hash: sent.latest_hash(), timeout_ms });
            }
            tokio::time::sleep(Duration::from_millis(pause_ms)).await;
            pause_ms = pause_ms.saturating_mul(2).min(self.config.poll_interval_ms);
        }
    }

    /// The receipt of whichever of `sent`'s hashes is mined, if any.
    async fn receipt_of_any(
        &self,
        sent: &SentTx,
    ) -> Result<Option<TransactionReceipt>, ChainError> {
        for &hash in sent.hashes.iter().rev() {
            let receipt = self
                .retrying(|| async { self.provider.get_transaction_receipt(hash).await })
                .await?;
            if receipt.is_some() {
                return Ok(receipt);
            }
        }
        Ok(None)
    }

    /// Whether the node has any of `sent`'s hashes, in its pool or mined.
    async fn node_has_any(&self, sent: &SentTx) -> Result<bool, ChainError> {
        for &hash in &sent.hashes {
            if self.node_has(hash).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Replaces `sent`; a refusal of the replacement counts for nothing once a receipt of
    /// `sent` exists (it was mined meanwhile).
    async fn replace_unless_mined(&mut self, sent: &mut SentTx) -> Result<(), ChainError> {
        match self.replace(sent).await {
            Err(error) if self.receipt_of_any(sent).await?.is_none() => Err(error),
            // Replaced, or refused but mined meanwhile: the receipt decides.
            _ => Ok(()),
        }
    }

    async fn confirmed(&self, receipt: &TransactionReceipt) -> Result<bool, ChainError> {
        let Some(mined_in) = receipt.block_number else { return Ok(false) };
        let head = self.retrying(|| async { self.provider.get_block_number().await }).await?;
        Ok(head.saturating_add(1).saturating_sub(mined_in) >= self.config.confirmations)
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
