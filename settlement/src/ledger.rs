//! An account's side of the contract, on any [`Chain`]: what it deposited, withdrew, was
//! charged and claimed; claiming credit and charging debits with account-tree proofs
//! ([`crate::account_tree`]); requesting and completing a withdrawal; the settler's fees.
//! Transactions are sent from the chain's signer, which must be the account (or, for
//! [`charge`], anyone; for [`claim_fees`], the settler).

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, B256, U256};

use crate::account_tree::LeafProof;
use crate::bindings::Settlement;
use crate::chain::{Chain, ChainError, Deployment};

/// An account's totals as the contract stores them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnChainAccount {
    /// Escrowed in total (`deposit`, `depositFor`).
    pub deposited: U256,
    /// Paid out by `withdraw` in total.
    pub withdrawn: U256,
    /// Debits of settled batches applied to its escrow (`chargeDebits`).
    pub charged: U256,
    /// Credit paid out by `claim`.
    pub claimed: U256,
}

impl OnChainAccount {
    /// Escrow before any debit charged or not: deposited less withdrawn.
    pub fn funds(&self) -> U256 {
        self.deposited.saturating_sub(self.withdrawn)
    }
}

fn view<C: SolCall, H: Chain + ?Sized>(
    chain: &mut H,
    deployment: &Deployment,
    call: C,
) -> Result<C::Return, ChainError> {
    let output = chain.call_settlement(deployment, call.abi_encode().into())?;
    C::abi_decode_returns(&output)
        .map_err(|error| ChainError::BadAnswer(format!("cannot decode {}: {error}", C::SIGNATURE)))
}

/// The contract's totals for `account`.
pub fn account_of<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    account: Address,
) -> Result<OnChainAccount, ChainError> {
    let totals = view(chain, deployment, Settlement::accountOfCall { account })?;
    Ok(OnChainAccount {
        deposited: totals.deposited,
        withdrawn: totals.withdrawn,
        charged: totals.charged,
        claimed: totals.claimed,
    })
}

/// The account root the contract committed for `batch_id`, `None` if it is not settled.
pub fn accounts_root<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    batch_id: u64,
) -> Result<Option<B256>, ChainError> {
    let root = view(chain, deployment, Settlement::accountsRootCall(batch_id))?;
    Ok((root != B256::ZERO).then_some(root))
}

/// Whether `account`'s leaf of `batch_id` is charged, and whether it is claimed.
pub fn applied<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    account: Address,
    batch_id: u64,
) -> Result<(bool, bool), ChainError> {
    let flags = view(chain, deployment, Settlement::appliedCall { account, batchId: batch_id })?;
    Ok((flags.charged, flags.claimed))
}

/// The requested withdrawal of `account`: amount (zero for none) and unlock time, unix seconds.
pub fn pending_withdrawal<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    account: Address,
) -> Result<(U256, u64), ChainError> {
    let pending = view(chain, deployment, Settlement::pendingWithdrawalCall { account })?;
    Ok((pending.amount, pending.unlockAt))
}

/// Fees of all settled batches not yet claimed by the settler.
pub fn unclaimed_fees<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
) -> Result<U256, ChainError> {
    let accrued = view(chain, deployment, Settlement::feesAccruedCall {})?;
    let claimed = view(chain, deployment, Settlement::feesClaimedCall {})?;
    Ok(U256::from(accrued.saturating_sub(claimed)))
}

fn leaves_and_proofs(proved: &[LeafProof]) -> (Vec<Settlement::AccountLeaf>, Vec<Vec<B256>>) {
    proved
        .iter()
        .map(|p| {
            let leaf = Settlement::AccountLeaf {
                batchId: p.leaf.batch_id,
                paid: p.leaf.paid,
                received: p.leaf.received,
            };
            (leaf, p.proof.clone())
        })
        .unzip()
}

/// The signer claims the `received` totals of `proved` (its own leaves, none claimed before).
pub fn claim<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    proved: &[LeafProof],
) -> Result<(), ChainError> {
    let (leaves, proofs) = leaves_and_proofs(proved);
    let call = Settlement::claimCall { leaves, proofs };
    chain.send_settlement(deployment, call.abi_encode().into())
}

/// Charges `account`'s escrow with the `paid` totals of `proved` (its leaves, none charged
/// before); any signer may.
pub fn charge<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    account: Address,
    proved: &[LeafProof],
) -> Result<(), ChainError> {
    let (leaves, proofs) = leaves_and_proofs(proved);
    let call = Settlement::chargeDebitsCall { account, leaves, proofs };
    chain.send_settlement(deployment, call.abi_encode().into())
}

/// The signer asks to withdraw `amount` of its escrow after the deployment's delay.
pub fn request_withdrawal<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    amount: U256,
) -> Result<(), ChainError> {
    let call = Settlement::requestWithdrawalCall { amount };
    chain.send_settlement(deployment, call.abi_encode().into())
}

/// The signer's requested withdrawal is paid out (its delay must have passed).
pub fn withdraw<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
) -> Result<(), ChainError> {
    chain.send_settlement(deployment, Settlement::withdrawCall {}.abi_encode().into())
}

/// The settler is paid the fees not claimed yet.
pub fn claim_fees<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
) -> Result<(), ChainError> {
    chain.send_settlement(deployment, Settlement::claimFeesCall {}.abi_encode().into())
}
