//! [`Chain`] for the [`RpcChain`]: contract calls and transactions over JSON-RPC, each blocking
//! on the client's runtime.

use alloy::rpc::types::TransactionReceipt;
use alloy::sol_types::{SolCall, SolConstructor};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};

use super::submit::SentTx;
use super::{Inner, RpcChain};
use crate::bindings::batch::{batch_receipt, settle_batch_calldata};
use crate::bindings::{Settlement, TestToken};
use crate::chain::{
    BatchReceipt, Chain, ChainError, DeployParams, Deployment, PendingTx, SettlementDeal,
};

impl Inner {
    /// Sends a transaction and waits for it; a transaction mined but reverted is an error.
    pub(super) async fn execute(
        &mut self,
        to: TxKind,
        input: Bytes,
    ) -> Result<TransactionReceipt, ChainError> {
        let mut sent = self.submit(to, input).await?;
        self.await_success(&mut sent).await
    }

    /// Waits for a sent transaction; reverted or displaced is an error.
    pub(super) async fn await_success(
        &mut self,
        sent: &mut SentTx,
    ) -> Result<TransactionReceipt, ChainError> {
        let Some(receipt) = self.await_mined(sent).await? else {
            return Err(ChainError::Displaced { tx_hash: sent.latest_hash(), nonce: sent.nonce });
        };
        if !receipt.status() {
            return Err(ChainError::Reverted {
                reason: format!("transaction {} reverted on chain", receipt.transaction_hash),
            });
        }
        Ok(receipt)
    }

    pub(super) async fn send_call<C: SolCall>(
        &mut self,
        to: Address,
        call: C,
    ) -> Result<(), ChainError> {
        self.execute(TxKind::Call(to), call.abi_encode().into()).await.map(|_| ())
    }

    async fn deploy_code(
        &mut self,
        bytecode: &Bytes,
        args: Vec<u8>,
    ) -> Result<Address, ChainError> {
        let mut code = bytecode.to_vec();
        code.extend_from_slice(&args);
        let receipt = self.execute(TxKind::Create, code.into()).await?;
        receipt
            .contract_address
            .ok_or_else(|| ChainError::BadAnswer("deployment receipt names no contract".into()))
    }

    async fn deploy(&mut self, params: &DeployParams) -> Result<Deployment, ChainError> {
        if params.fee_bps > 10_000 {
            return Err(ChainError::Refused(format!("fee {} bps is above 10,000", params.fee_bps)));
        }
        let (token, test_token) = match params.token {
            Some(token) => (token, false),
            None => (self.deploy_code(&TestToken::BYTECODE, Vec::new()).await?, true),
        };
        let token_decimals = self.view(token, TestToken::decimalsCall {}).await?;
        let args = Settlement::constructorCall {
            token_: token,
            settler_: self.signer,
            feeBps_: params.fee_bps,
            withdrawalDelay_: params.withdrawal_delay_s,
        }
        .abi_encode();
        let settlement = self.deploy_code(&Settlement::BYTECODE, args).await?;
        Ok(Deployment {
            chain_id: self.chain_id,
            token,
            token_decimals,
            test_token,
            settlement,
            settler: self.signer,
            fee_bps: params.fee_bps,
            withdrawal_delay_s: params.withdrawal_delay_s,
        })
    }

    async fn send_batch(
        &mut self,
        d: &Deployment,
        batch_id: u64,
        deals: &[SettlementDeal],
    ) -> Result<PendingTx, ChainError> {
        self.check_chain(d)?;
        let calldata = settle_batch_calldata(batch_id, deals)?;
        let sent = self.submit(TxKind::Call(d.settlement), calldata).await?;
        Ok(PendingTx {
            batch_id,
            tx_hash: sent.latest_hash(),
            nonce: sent.nonce,
            max_fee_per_gas: sent.max_fee_per_gas,
            max_priority_fee_per_gas: sent.max_priority_fee_per_gas,
        })
    }

    async fn confirm(
        &mut self,
        d: &Deployment,
        pending: &PendingTx,
    ) -> Result<BatchReceipt, ChainError> {
        self.check_chain(d)?;
        let mut sent = self
            .recall(
                pending.tx_hash,
                pending.nonce,
                pending.max_fee_per_gas,
                pending.max_priority_fee_per_gas,
            )
            .await?;
        let receipt = match self.await_mined(&mut sent).await? {
            Some(receipt) if receipt.status() => receipt,
            // Reverted on chain, or displaced by a transaction sent before a restart: whether the
            // batch is settled is what lastBatchId says.
            Some(_) | None => {
                let last_batch_id = self.view(d.settlement, Settlement::lastBatchIdCall {}).await?;
                if last_batch_id >= pending.batch_id {
                    return Err(ChainError::AlreadySettled {
                        batch_id: pending.batch_id,
                        last_batch_id,
                    });
                }
                return Err(ChainError::Reverted {
                    reason: format!(
                        "batch {} is not settled (lastBatchId {last_batch_id}): its transaction \
                         at nonce {} reverted or was displaced; send it again",
                        pending.batch_id, pending.nonce
                    ),
                });
            }
        };
        let block_number = receipt.block_number.ok_or_else(|| {
            ChainError::BadAnswer(format!(
                "the receipt of transaction {} names no block",
                receipt.transaction_hash
            ))
        })?;
        let logs = receipt.logs().iter().map(|log| &log.inner);
        batch_receipt(d.settlement, receipt.transaction_hash, block_number, receipt.gas_used, logs)
    }
}

impl Chain for RpcChain {
    fn chain_id(&mut self) -> Result<u64, ChainError> {
        self.runtime.block_on(self.inner.fetch_chain_id())
    }

    fn signer_address(&self) -> Address {
        self.inner.signer
    }

    fn deploy(&mut self, params: &DeployParams) -> Result<Deployment, ChainError> {
        self.runtime.block_on(self.inner.deploy(params))
    }

    fn fund_many(
        &mut self,
        deployment: &Deployment,
        grants: &[(Address, U256)],
    ) -> Result<(), ChainError> {
        self.runtime.block_on(self.inner.fund_many(deployment, grants))
    }

    fn last_batch_id(&mut self, deployment: &Deployment) -> Result<u64, ChainError> {
        self.inner.check_chain(deployment)?;
        self.runtime
            .block_on(self.inner.view(deployment.settlement, Settlement::lastBatchIdCall {}))
    }

    fn call_settlement(
        &mut self,
        deployment: &Deployment,
        input: Bytes,
    ) -> Result<Bytes, ChainError> {
        self.inner.check_chain(deployment)?;
        self.runtime.block_on(self.inner.call_raw(deployment.settlement, input))
    }

    fn send_settlement(&mut self, deployment: &Deployment, input: Bytes) -> Result<(), ChainError> {
        self.inner.check_chain(deployment)?;
        let to = TxKind::Call(deployment.settlement);
        self.runtime.block_on(self.inner.execute(to, input)).map(|_| ())
    }

    fn batch_root(
        &mut self,
        deployment: &Deployment,
        batch_id: u64,
    ) -> Result<Option<B256>, ChainError> {
        self.inner.check_chain(deployment)?;
        let call = Settlement::batchRootCall(batch_id);
        let root = self.runtime.block_on(self.inner.view(deployment.settlement, call))?;
        Ok((root != B256::ZERO).then_some(root))
    }

    fn send_batch(
        &mut self,
        deployment: &Deployment,
        batch_id: u64,
        deals: &[SettlementDeal],
    ) -> Result<PendingTx, ChainError> {
        self.runtime.block_on(self.inner.send_batch(deployment, batch_id, deals))
    }

    fn confirm(
        &mut self,
        deployment: &Deployment,
        pending: &PendingTx,
    ) -> Result<BatchReceipt, ChainError> {
        self.runtime.block_on(self.inner.confirm(deployment, pending))
    }
}
