//! Running one transaction on the devnet's EVM: a call that changes nothing (views, and the
//! dry run before sending) or a transaction that is mined at once into its own block.

use alloy_primitives::{keccak256, Address, Bytes, Log, TxKind, B256, U256};
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::database::DatabaseRef;
use revm::handler::{ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;

use super::{Devnet, BASE_FEE_WEI, BLOCK_GAS_LIMIT, DEVNET_CHAIN_ID};
use crate::bindings::revert::decode_revert;
use crate::chain::ChainError;

/// A mined (or dry-run) transaction that succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxOutcome {
    /// Its hash (devnet-made: keccak of chain id, sender, nonce and data; nothing is signed).
    pub tx_hash: B256,
    /// The sender's nonce it used.
    pub nonce: u64,
    /// The block it was mined in (0 for a dry run).
    pub block_number: u64,
    /// Gas used, as a receipt reports it (EIP-7623 calldata floor included).
    pub gas_used: u64,
    /// Return data.
    pub output: Bytes,
    /// The created contract, for a deployment.
    pub created: Option<Address>,
    /// Emitted logs.
    pub logs: Vec<Log>,
}

impl Devnet {
    /// The current nonce of `account` (0 for an account the chain has never seen).
    pub fn nonce_of(&self, account: Address) -> u64 {
        self.account(account).map_or(0, |info| info.nonce)
    }

    /// Ether balance of `account`, wei (0 for an account the chain has never seen).
    pub fn balance_of(&self, account: Address) -> U256 {
        self.account(account).map_or(U256::ZERO, |info| info.balance)
    }

    fn account(&self, account: Address) -> Option<AccountInfo> {
        match self.db.basic_ref(account) {
            Ok(info) => info,
            // The in-memory database cannot fail: its error type has no values.
            Err(never) => match never {},
        }
    }

    /// Runs `data` against `to` from the signer without changing any state (a view call).
    pub fn call(&mut self, to: Address, data: Bytes) -> Result<Bytes, ChainError> {
        Ok(self.execute(self.signer, TxKind::Call(to), data, false)?.output)
    }

    /// Sends a transaction from the signer and mines it at once. It is dry-run first, as the
    /// RPC client estimates gas first: a transaction that would revert gives the decoded error
    /// and is never mined (no nonce used, no gas paid).
    pub fn transact(&mut self, to: TxKind, data: Bytes) -> Result<TxOutcome, ChainError> {
        self.execute(self.signer, to, data.clone(), false)?;
        let outcome = self.execute(self.signer, to, data, true)?;
        self.mined.insert(outcome.tx_hash, outcome.clone());
        self.mine_block();
        Ok(outcome)
    }

    /// A mined transaction by hash.
    pub fn mined(&self, tx_hash: &B256) -> Option<&TxOutcome> {
        self.mined.get(tx_hash)
    }

    fn execute(
        &mut self,
        from: Address,
        kind: TxKind,
        data: Bytes,
        commit: bool,
    ) -> Result<TxOutcome, ChainError> {
        let nonce = self.nonce_of(from);
        let mut preimage = Vec::with_capacity(48 + data.len());
        preimage.extend_from_slice(&DEVNET_CHAIN_ID.to_be_bytes());
        preimage.extend_from_slice(from.as_slice());
        preimage.extend_from_slice(&nonce.to_be_bytes());
        preimage.extend_from_slice(&data);
        let tx_hash = keccak256(&preimage);
        let tx = TxEnv {
            tx_type: 2,
            caller: from,
            gas_limit: BLOCK_GAS_LIMIT,
            gas_price: u128::from(BASE_FEE_WEI) * 2,
            gas_priority_fee: Some(0),
            kind,
            data,
            nonce,
            chain_id: Some(DEVNET_CHAIN_ID),
            ..TxEnv::default()
        };
        let block = BlockEnv {
            number: U256::from(self.block_number + 1),
            timestamp: U256::from(self.timestamp_s),
            gas_limit: BLOCK_GAS_LIMIT,
            basefee: BASE_FEE_WEI,
            ..BlockEnv::default()
        };
        let cfg = CfgEnv::new()
            .with_chain_id(DEVNET_CHAIN_ID)
            .with_spec_and_mainnet_gas_params(SpecId::PRAGUE);
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet();
        let result = if commit {
            evm.transact_commit(tx)
        } else {
            evm.transact(tx).map(|result_and_state| result_and_state.result)
        };
        let result = result.map_err(|error| ChainError::Rpc(format!("devnet refused: {error}")))?;
        let block_number = if commit { self.block_number + 1 } else { 0 };
        match result {
            ExecutionResult::Success { gas, logs, output, .. } => {
                let (output, created) = match output {
                    Output::Call(bytes) => (bytes, None),
                    Output::Create(bytes, address) => (bytes, address),
                };
                Ok(TxOutcome {
                    tx_hash,
                    nonce,
                    block_number,
                    gas_used: gas.tx_gas_used(),
                    output,
                    created,
                    logs,
                })
            }
            ExecutionResult::Revert { output, .. } => Err(decode_revert(&output)),
            ExecutionResult::Halt { reason, .. } => {
                Err(ChainError::Reverted { reason: format!("halted: {reason:?}") })
            }
        }
    }
}
