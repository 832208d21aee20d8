//! The Merkle tree over a batch's deals, exactly as `Settlement.settleBatch` computes it on chain
//! (docs/settlement.md): leaf hashes, the root, and proofs that one deal is part of a settled
//! batch.
//!
//! - leaf = `keccak256(abi.encode(uint64 batchId, uint64 dealId, address requester,
//!   address provider, uint256 amount))` (160 bytes, so never mistaken for a 64-byte node);
//! - a parent is `keccak256(min(a, b) ‖ max(a, b))` (sorted pair, as OpenZeppelin's
//!   `MerkleProof`), so a proof is just the siblings, with no left/right flags;
//! - an odd last node is promoted to the next level unchanged (no sibling in the proof);
//! - the root of one leaf is the leaf.

use alloy_primitives::{keccak256, B256};

use crate::chain::SettlementDeal;

/// The leaf of `deal` in batch `batch_id`.
pub fn leaf_hash(batch_id: u64, deal: &SettlementDeal) -> B256 {
    let mut preimage = [0u8; 160];
    preimage[24..32].copy_from_slice(&batch_id.to_be_bytes());
    preimage[56..64].copy_from_slice(&deal.deal_id.to_be_bytes());
    preimage[76..96].copy_from_slice(deal.requester.as_slice());
    preimage[108..128].copy_from_slice(deal.provider.as_slice());
    preimage[128..160].copy_from_slice(&deal.amount.to_be_bytes::<32>());
    keccak256(preimage)
}

/// The leaves of a batch, in deal order.
pub fn leaves(batch_id: u64, deals: &[SettlementDeal]) -> Vec<B256> {
    deals.iter().map(|deal| leaf_hash(batch_id, deal)).collect()
}

/// Parent of two nodes: keccak256 of the smaller then the larger.
pub fn hash_pair(a: B256, b: B256) -> B256 {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(low.as_slice());
    preimage[32..].copy_from_slice(high.as_slice());
    keccak256(preimage)
}

/// The next level up: pairs hashed, an odd last node promoted.
fn parent_level(level: &[B256]) -> Vec<B256> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [a, b] => hash_pair(*a, *b),
            [single] => *single,
            _ => unreachable!("chunks(2) yields one or two nodes"),
        })
        .collect()
}

/// The root over `leaves`; `None` for no leaves (the contract refuses an empty batch).
pub fn root(leaves: &[B256]) -> Option<B256> {
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = parent_level(&level);
    }
    level.first().copied()
}

/// The proof that `leaves[index]` is under the root: its siblings from the bottom up (levels
/// where it is promoted contribute none). `None` if `index` is out of range.
pub fn proof(leaves: &[B256], index: usize) -> Option<Vec<B256>> {
    if index >= leaves.len() {
        return None;
    }
    let mut siblings = Vec::new();
    let mut level = leaves.to_vec();
    let mut position = index;
    while level.len() > 1 {
        if let Some(sibling) = level.get(position ^ 1) {
            siblings.push(*sibling);
        }
        level = parent_level(&level);
        position /= 2;
    }
    Some(siblings)
}

/// Whether `proof` leads from `leaf` to `root`.
pub fn verify(root: B256, leaf: B256, proof: &[B256]) -> bool {
    proof.iter().fold(leaf, |node, sibling| hash_pair(node, *sibling)) == root
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, U256};
    use proptest::prelude::*;

    /// The naive reference: the rule as the contract's assembly does it, in place on one vector.
    fn naive_root(leaves: &[B256]) -> B256 {
        let mut nodes = leaves.to_vec();
        let mut count = nodes.len();
        while count > 1 {
            let mut next = 0;
            let mut i = 0;
            while i < count {
                nodes[next] =
                    if i + 1 < count { hash_pair(nodes[i], nodes[i + 1]) } else { nodes[i] };
                next += 1;
                i += 2;
            }
            count = next;
        }
        nodes[0]
    }

    fn leaf(n: u64) -> B256 {
        keccak256(n.to_be_bytes())
    }

    #[test]
    fn leaf_is_keccak_of_the_abi_encoding() {
        let deal = SettlementDeal {
            deal_id: 7,
            requester: address!("0x2000000000000000000000000000000000000001"),
            provider: address!("0x1000000000000000000000000000000000000002"),
            amount: U256::from(1_900_000_000u64),
        };
        let mut encoded = Vec::new();
        encoded.extend_from_slice(&U256::from(3u64).to_be_bytes::<32>());
        encoded.extend_from_slice(&U256::from(7u64).to_be_bytes::<32>());
        encoded.extend_from_slice(&[0u8; 12]);
        encoded.extend_from_slice(deal.requester.as_slice());
        encoded.extend_from_slice(&[0u8; 12]);
        encoded.extend_from_slice(deal.provider.as_slice());
        encoded.extend_from_slice(&deal.amount.to_be_bytes::<32>());
        assert_eq!(leaf_hash(3, &deal), keccak256(&encoded));
    }

    #[test]
    fn root_of_one_leaf_is_the_leaf_and_of_none_is_none() {
        assert_eq!(root(&[leaf(1)]), Some(leaf(1)));
        assert_eq!(root(&[]), None);
        assert_eq!(proof(&[leaf(1)], 0), Some(vec![]));
        assert_eq!(proof(&[leaf(1)], 1), None);
    }

    #[test]
    fn odd_last_node_is_promoted_not_duplicated() {
        let leaves = [leaf(1), leaf(2), leaf(3)];
        assert_eq!(root(&leaves), Some(hash_pair(hash_pair(leaf(1), leaf(2)), leaf(3))));
        assert_eq!(proof(&leaves, 2), Some(vec![hash_pair(leaf(1), leaf(2))]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn root_matches_naive_reference_and_every_proof_verifies(count in 1usize..40, salt: u64) {
            let leaves: Vec<B256> = (0..count as u64).map(|i| leaf(i ^ salt)).collect();
            let root = root(&leaves).expect("non-empty");
            prop_assert_eq!(root, naive_root(&leaves));
            for (index, leaf) in leaves.iter().enumerate() {
                let proof = proof(&leaves, index).expect("in range");
                prop_assert!(verify(root, *leaf, &proof));
                prop_assert!(!verify(root, keccak256(leaf), &proof), "a foreign leaf must fail");
            }
        }
    }
}
