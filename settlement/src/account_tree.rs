//! The account tree of a batch, exactly as `Settlement.settleBatch` computes it on chain: one
//! leaf per distinct account of the batch, in ascending address order, holding what the account
//! paid (as a requester) and received (as a provider, fees taken out) in that batch. Providers
//! claim with these leaves, and a requester's escrow is charged with them (docs/settlement.md).
//!
//! - leaf = `keccak256(abi.encode(uint64 batchId, address account, uint256 paid,
//!   uint256 received))` (128 bytes: never a deal leaf, 160, nor a node, 64);
//! - the tree rule is the deals' one ([`crate::merkle`]).

use alloy_primitives::{keccak256, Address, B256, U256};
use serde::{Deserialize, Serialize};

use crate::chain::SettlementDeal;
use crate::merkle;
use crate::netting::net;

/// One account's totals in one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLeaf {
    /// The batch.
    pub batch_id: u64,
    /// The account.
    pub account: Address,
    /// What it paid as a requester in the batch (sum of its deals' amounts).
    pub paid: U256,
    /// What it received as a provider in the batch (amounts minus fees).
    pub received: U256,
}

impl AccountLeaf {
    /// The leaf hash, as the contract computes it.
    pub fn hash(&self) -> B256 {
        let mut preimage = [0u8; 128];
        preimage[24..32].copy_from_slice(&self.batch_id.to_be_bytes());
        preimage[44..64].copy_from_slice(self.account.as_slice());
        preimage[64..96].copy_from_slice(&self.paid.to_be_bytes::<32>());
        preimage[96..128].copy_from_slice(&self.received.to_be_bytes::<32>());
        keccak256(preimage)
    }
}

/// A leaf with its proof against the batch's account root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafProof {
    /// The leaf.
    pub leaf: AccountLeaf,
    /// Its siblings, bottom up.
    pub proof: Vec<B256>,
}

/// The account leaves of batch `batch_id`, in the contract's order (ascending address).
pub fn account_leaves(batch_id: u64, deals: &[SettlementDeal], fee_bps: u16) -> Vec<AccountLeaf> {
    net(deals, fee_bps)
        .accounts
        .into_iter()
        .map(|(account, flow)| AccountLeaf {
            batch_id,
            account,
            paid: flow.paid,
            received: flow.received,
        })
        .collect()
}

/// The account root of batch `batch_id`; `None` for a batch without deals.
pub fn account_root(batch_id: u64, deals: &[SettlementDeal], fee_bps: u16) -> Option<B256> {
    let hashes: Vec<B256> =
        account_leaves(batch_id, deals, fee_bps).iter().map(AccountLeaf::hash).collect();
    merkle::root(&hashes)
}

/// `account`'s leaf of batch `batch_id` with its proof; `None` if it has no deal in the batch.
pub fn leaf_proof(
    batch_id: u64,
    deals: &[SettlementDeal],
    fee_bps: u16,
    account: Address,
) -> Option<LeafProof> {
    let leaves = account_leaves(batch_id, deals, fee_bps);
    let index = leaves.binary_search_by_key(&account, |leaf| leaf.account).ok()?;
    let hashes: Vec<B256> = leaves.iter().map(AccountLeaf::hash).collect();
    let proof = merkle::proof(&hashes, index).expect("the index was found among the leaves");
    Some(LeafProof { leaf: leaves[index], proof })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netting::tests::deal;

    #[test]
    fn account_leaf_is_keccak_of_the_abi_encoding() {
        let leaf = AccountLeaf {
            batch_id: 5,
            account: Address::repeat_byte(0xab),
            paid: U256::from(7u8),
            received: U256::from(9u8),
        };
        let mut encoded = Vec::new();
        encoded.extend_from_slice(&U256::from(5u8).to_be_bytes::<32>());
        encoded.extend_from_slice(&[0u8; 12]);
        encoded.extend_from_slice(leaf.account.as_slice());
        encoded.extend_from_slice(&U256::from(7u8).to_be_bytes::<32>());
        encoded.extend_from_slice(&U256::from(9u8).to_be_bytes::<32>());
        assert_eq!(leaf.hash(), keccak256(&encoded));
    }

    #[test]
    fn one_leaf_per_account_ascending_with_gross_totals_and_every_proof_verifies() {
        let deals = [deal(1, 3, 1, 1_000), deal(2, 1, 2, 400), deal(3, 3, 2, 10_000)];
        let leaves = account_leaves(9, &deals, 100);
        let accounts: Vec<Address> = leaves.iter().map(|leaf| leaf.account).collect();
        assert_eq!(accounts, [1u8, 2, 3].map(Address::repeat_byte));
        // Account 1 paid 400 and received 1,000 − 1% fee: both kept, not netted.
        assert_eq!((leaves[0].paid, leaves[0].received), (U256::from(400), U256::from(990)));
        let root = account_root(9, &deals, 100).expect("non-empty");
        for leaf in &leaves {
            let proved = leaf_proof(9, &deals, 100, leaf.account).expect("has deals");
            assert!(merkle::verify(root, proved.leaf.hash(), &proved.proof));
        }
        assert_eq!(leaf_proof(9, &deals, 100, Address::repeat_byte(4)), None);
    }
}
