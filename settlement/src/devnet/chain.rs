//! [`Chain`] for the [`Devnet`]: deploys, funds and settles through the same contract calls a
//! real chain gets, so every test of the batcher on the devnet exercises the real bytecode.

use alloy::sol_types::{SolCall, SolConstructor};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};

use super::{Devnet, DEVNET_CHAIN_ID};
use crate::bindings::batch::{batch_receipt, settle_batch_calldata};
use crate::bindings::{Settlement, TestToken};
use crate::chain::{
    fund_total, BatchReceipt, Chain, ChainError, DeployParams, Deployment, PendingTx,
    SettlementDeal,
};

/// Fee cap and tip the devnet reports for its (unsigned) transactions, wei per gas.
const MAX_FEE_PER_GAS_WEI: u128 = 2_000_000_000;

impl Devnet {
    fn check_chain(&self, deployment: &Deployment) -> Result<(), ChainError> {
        if deployment.chain_id != DEVNET_CHAIN_ID {
            return Err(ChainError::WrongChainId {
                expected: deployment.chain_id,
                actual: DEVNET_CHAIN_ID,
            });
        }
        Ok(())
    }

    fn deploy_code(
        &mut self,
        bytecode: &Bytes,
        constructor_args: Vec<u8>,
    ) -> Result<Address, ChainError> {
        let mut code = bytecode.to_vec();
        code.extend_from_slice(&constructor_args);
        let outcome = self.transact(TxKind::Create, code.into())?;
        outcome
            .created
            .ok_or_else(|| ChainError::BadAnswer("deployment created no contract".into()))
    }

    fn view<C: SolCall>(&mut self, to: Address, call: C) -> Result<C::Return, ChainError> {
        let output = self.call(to, call.abi_encode().into())?;
        C::abi_decode_returns(&output).map_err(|error| {
            ChainError::BadAnswer(format!("cannot decode {}: {error}", C::SIGNATURE))
        })
    }

    fn send<C: SolCall>(&mut self, to: Address, call: C) -> Result<(), ChainError> {
        self.transact(TxKind::Call(to), call.abi_encode().into()).map(|_| ())
    }
}

impl Chain for Devnet {
    fn chain_id(&mut self) -> Result<u64, ChainError> {
        Ok(DEVNET_CHAIN_ID)
    }

    fn signer_address(&self) -> Address {
        self.signer
    }

    fn deploy(&mut self, params: &DeployParams) -> Result<Deployment, ChainError> {
        if params.fee_bps > 10_000 {
            return Err(ChainError::Refused(format!("fee {} bps is above 10,000", params.fee_bps)));
        }
        let (token, test_token) = match params.token {
            Some(token) => (token, false),
            None => (self.deploy_code(&TestToken::BYTECODE, Vec::new())?, true),
        };
        let token_decimals = self.view(token, TestToken::decimalsCall {})?;
        let args = Settlement::constructorCall {
            token_: token,
            settler_: self.signer,
            feeBps_: params.fee_bps,
            withdrawalDelay_: params.withdrawal_delay_s,
        }
        .abi_encode();
        let settlement = self.deploy_code(&Settlement::BYTECODE, args)?;
        Ok(Deployment {
            chain_id: DEVNET_CHAIN_ID,
            token,
            token_decimals,
            test_token,
            settlement,
            settler: self.signer,
            fee_bps: params.fee_bps,
            withdrawal_delay_s: params.withdrawal_delay_s,
        })
    }

    fn fund_many(
        &mut self,
        deployment: &Deployment,
        grants: &[(Address, U256)],
    ) -> Result<(), ChainError> {
        self.check_chain(deployment)?;
        let total = fund_total(deployment, grants)?;
        let (signer, settlement) = (self.signer, deployment.settlement);
        self.send(deployment.token, TestToken::mintCall { to: signer, amount: total })?;
        self.send(deployment.token, TestToken::approveCall { spender: settlement, amount: total })?;
        for &(account, amount) in grants {
            self.send(settlement, Settlement::depositForCall { account, amount })?;
        }
        Ok(())
    }

    fn last_batch_id(&mut self, deployment: &Deployment) -> Result<u64, ChainError> {
        self.check_chain(deployment)?;
        self.view(deployment.settlement, Settlement::lastBatchIdCall {})
    }

    fn call_settlement(
        &mut self,
        deployment: &Deployment,
        input: Bytes,
    ) -> Result<Bytes, ChainError> {
        self.check_chain(deployment)?;
        self.call(deployment.settlement, input)
    }

    fn send_settlement(&mut self, deployment: &Deployment, input: Bytes) -> Result<(), ChainError> {
        self.check_chain(deployment)?;
        self.transact(TxKind::Call(deployment.settlement), input).map(|_| ())
    }

    fn batch_root(
        &mut self,
        deployment: &Deployment,
        batch_id: u64,
    ) -> Result<Option<B256>, ChainError> {
        self.check_chain(deployment)?;
        let root = self.view(deployment.settlement, Settlement::batchRootCall(batch_id))?;
        Ok((root != B256::ZERO).then_some(root))
    }

    fn send_batch(
        &mut self,
        deployment: &Deployment,
        batch_id: u64,
        deals: &[SettlementDeal],
    ) -> Result<PendingTx, ChainError> {
        self.check_chain(deployment)?;
        let calldata = settle_batch_calldata(batch_id, deals)?;
        let outcome = self.transact(TxKind::Call(deployment.settlement), calldata)?;
        Ok(PendingTx {
            batch_id,
            tx_hash: outcome.tx_hash,
            nonce: outcome.nonce,
            max_fee_per_gas: MAX_FEE_PER_GAS_WEI,
            max_priority_fee_per_gas: 0,
        })
    }

    fn confirm(
        &mut self,
        deployment: &Deployment,
        pending: &PendingTx,
    ) -> Result<BatchReceipt, ChainError> {
        self.check_chain(deployment)?;
        let outcome = self.mined(&pending.tx_hash).cloned().ok_or_else(|| {
            ChainError::BadAnswer(format!(
                "transaction {} is unknown to the devnet",
                pending.tx_hash
            ))
        })?;
        let (tx_hash, block_number, gas_used) =
            (outcome.tx_hash, outcome.block_number, outcome.gas_used);
        batch_receipt(deployment.settlement, tx_hash, block_number, gas_used, &outcome.logs)
    }
}
