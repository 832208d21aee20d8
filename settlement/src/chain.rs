//! The [`Chain`] interface: everything the batcher and the command line need from a chain that
//! runs the settlement contract, and nothing more. The embedded devnet and the JSON-RPC client
//! implement it, so every test of the batcher runs against both.
//!
//! Sending and confirming are two calls on purpose: the batcher journals the sent transaction
//! between them, so that a crash after sending is recovered by confirming (or replacing) that
//! very transaction instead of sending a second one.

use alloy_primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};

use crate::rpc::NodeErrorKind;

/// One deal as the contract settles it (one Merkle leaf).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementDeal {
    /// The deal number from the engine's `deal` event.
    pub deal_id: u64,
    /// Who pays: the bid's owner.
    pub requester: Address,
    /// Who is paid: the ask's owner (minus the operator fee).
    pub provider: Address,
    /// What the requester pays, in token base units.
    pub amount: U256,
}

/// Where the contracts of one deployment live; written by `gridbook settlement deploy` and read
/// by every other settlement command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// The chain's id (EIP-155); a client refuses to act on a chain with another id.
    pub chain_id: u64,
    /// The ERC-20 settlement token.
    pub token: Address,
    /// The token's decimals (9 for RLC and the test token).
    pub token_decimals: u8,
    /// Whether `token` is the test token (mintable; development chains only).
    pub test_token: bool,
    /// The settlement contract.
    pub settlement: Address,
    /// The only account allowed to call `settleBatch`.
    pub settler: Address,
    /// The operator fee in basis points, taken out of each deal's amount.
    pub fee_bps: u16,
    /// Seconds between `requestWithdrawal` and `withdraw`.
    pub withdrawal_delay_s: u64,
}

/// What `deploy` is asked to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployParams {
    /// An existing token, or `None` to deploy the 9-decimal test token first.
    pub token: Option<Address>,
    /// Operator fee in basis points (0..=10,000).
    pub fee_bps: u16,
    /// Seconds between `requestWithdrawal` and `withdraw`.
    pub withdrawal_delay_s: u64,
}

/// A `settleBatch` transaction that was sent but is not known to be confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTx {
    /// The batch it settles.
    pub batch_id: u64,
    /// Transaction hash (of the latest replacement, if any).
    pub tx_hash: B256,
    /// The sender's nonce it uses; replacements keep it.
    pub nonce: u64,
    /// EIP-1559 fee cap, wei per gas.
    pub max_fee_per_gas: u128,
    /// EIP-1559 tip, wei per gas.
    pub max_priority_fee_per_gas: u128,
}

/// A confirmed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReceipt {
    /// The batch.
    pub batch_id: u64,
    /// The transaction that settled it.
    pub tx_hash: B256,
    /// The block it was included in.
    pub block_number: u64,
    /// Gas the transaction used.
    pub gas_used: u64,
    /// The Merkle root the contract computed and emitted in `BatchSettled`.
    pub merkle_root: B256,
    /// Deals in the batch (from the event).
    pub deal_count: u64,
    /// Sum of the deals' amounts (from the event).
    pub volume: U256,
}

/// Why a chain operation failed. Never contains a private key.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The node could not be reached (after retries).
    #[error("RPC endpoint {url} unreachable: {detail}")]
    Unreachable {
        /// The endpoint (without credentials).
        url: String,
        /// What the transport said.
        detail: String,
    },
    /// The node answered with another chain id than the deployment's.
    #[error("wrong chain: the deployment is on chain {expected}, the node is chain {actual}")]
    WrongChainId {
        /// The deployment's chain id.
        expected: u64,
        /// The node's chain id.
        actual: u64,
    },
    /// The batch id is not `lastBatchId + 1`: it (or a later one) is already settled.
    #[error("batch {batch_id} already settled (lastBatchId is {last_batch_id})")]
    AlreadySettled {
        /// The batch that was sent.
        batch_id: u64,
        /// The contract's `lastBatchId`.
        last_batch_id: u64,
    },
    /// The settler's account cannot pay for gas.
    #[error("account {account} cannot pay for gas: balance {balance_wei} wei")]
    InsufficientGasFunds {
        /// The sender.
        account: Address,
        /// Its balance.
        balance_wei: U256,
    },
    /// The request was refused before anything was sent (e.g. `fund` without the test token,
    /// a fee above 10,000 bps, an amount the contract cannot hold).
    #[error("refused: {0}")]
    Refused(String),
    /// The transaction (or call) reverted.
    #[error("reverted: {reason}")]
    Reverted {
        /// The decoded revert reason or custom error.
        reason: String,
    },
    /// No confirmation within the timeout (after replacements).
    #[error("transaction {tx_hash} not confirmed within {timeout_ms} ms")]
    Timeout {
        /// The last hash sent.
        tx_hash: B256,
        /// The configured timeout.
        timeout_ms: u64,
    },
    /// The transaction's nonce was used by another transaction (one sent before a restart, or
    /// by another sender), and no receipt of it exists.
    #[error("transaction {tx_hash} was displaced by another at its nonce {nonce}")]
    Displaced {
        /// The last hash sent at that nonce.
        tx_hash: B256,
        /// The nonce.
        nonce: u64,
    },
    /// The node refused a request, classified by kind.
    #[error("node refused: {message} (code {code})")]
    Node {
        /// What the refusal means.
        kind: NodeErrorKind,
        /// The JSON-RPC error code.
        code: i64,
        /// The node's message.
        message: String,
    },
    /// The node answered something this client cannot use.
    #[error("bad RPC answer: {0}")]
    BadAnswer(String),
    /// A failure of the client itself (its runtime, signing).
    #[error("RPC error: {0}")]
    Rpc(String),
}

impl ChainError {
    /// The kind of a node's refusal; `None` for every other error.
    pub fn node_kind(&self) -> Option<NodeErrorKind> {
        match self {
            ChainError::Node { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

/// A chain with the settlement contract, seen through one signing key (the settler's).
///
/// Implementations: the embedded devnet (in-process EVM) and the JSON-RPC client. Calls block;
/// the RPC client runs its own small runtime internally.
pub trait Chain {
    /// The chain's id, as the node reports it.
    fn chain_id(&mut self) -> Result<u64, ChainError>;
    /// The signing account (the settler, on deployments it made).
    fn signer_address(&self) -> Address;

    /// Deploys the test token (if asked) and the settlement contract with the signer as settler.
    fn deploy(&mut self, params: &DeployParams) -> Result<Deployment, ChainError>;
    /// For every `(account, amount)` of `grants`: mints `amount` test tokens to the signer and
    /// deposits them into `account`'s escrow (`depositFor`); development chains with the test
    /// token only. A node gets the deposits many at a time, not one per block.
    fn fund_many(
        &mut self,
        deployment: &Deployment,
        grants: &[(Address, U256)],
    ) -> Result<(), ChainError>;
    /// [`Chain::fund_many`] for one account.
    fn fund(
        &mut self,
        deployment: &Deployment,
        account: Address,
        amount: U256,
    ) -> Result<(), ChainError> {
        self.fund_many(deployment, &[(account, amount)])
    }

    /// The contract's `lastBatchId`.
    fn last_batch_id(&mut self, deployment: &Deployment) -> Result<u64, ChainError>;
    /// A read-only call of the settlement contract with ABI-encoded `input`; its output.
    /// The account operations of [`crate::ledger`] are built on it.
    fn call_settlement(
        &mut self,
        deployment: &Deployment,
        input: Bytes,
    ) -> Result<Bytes, ChainError>;
    /// A transaction from the signer to the settlement contract with ABI-encoded `input`,
    /// waited for until mined; a revert is an error.
    fn send_settlement(&mut self, deployment: &Deployment, input: Bytes) -> Result<(), ChainError>;
    /// The Merkle root stored for a settled batch, `None` if the batch is not settled.
    fn batch_root(
        &mut self,
        deployment: &Deployment,
        batch_id: u64,
    ) -> Result<Option<B256>, ChainError>;

    /// Sends `settleBatch(batch_id, deals)` and returns once the node has the transaction.
    fn send_batch(
        &mut self,
        deployment: &Deployment,
        batch_id: u64,
        deals: &[SettlementDeal],
    ) -> Result<PendingTx, ChainError>;
    /// Waits for the configured confirmations, replacing a stuck transaction at the same nonce
    /// with a fee bump of at least 12.5%. A batch found already settled gives
    /// [`ChainError::AlreadySettled`].
    fn confirm(
        &mut self,
        deployment: &Deployment,
        pending: &PendingTx,
    ) -> Result<BatchReceipt, ChainError>;
}

/// What `fund_many` mints in all: the sum of the grants. Refused without the test token, or
/// when the sum does not fit 256 bits.
pub(crate) fn fund_total(
    deployment: &Deployment,
    grants: &[(Address, U256)],
) -> Result<U256, ChainError> {
    if !deployment.test_token {
        return Err(ChainError::Refused(
            "fund mints the test token; this deployment has another token".into(),
        ));
    }
    grants.iter().try_fold(U256::ZERO, |total, (_, amount)| {
        total
            .checked_add(*amount)
            .ok_or_else(|| ChainError::Refused("the amounts to fund add up beyond 2^256".into()))
    })
}
