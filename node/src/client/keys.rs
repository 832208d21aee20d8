//! Deterministic accounts for simulated traders: account `i` of seed `s` has the private key
//! `keccak256(s ‖ i)` (both big-endian `u64`), so a load run or the demo crowd is reproducible
//! from its seed and any of its orders can be re-signed by a test.
//!
//! The generator's commands name pool addresses nobody holds a key for; [`Accounts`] gives each
//! distinct generator owner the next account, in order of first appearance, so the same
//! generated stream always maps to the same accounts. [`Accounts::folded`] gives them a fixed
//! number of accounts instead (owner `k` in order of appearance to account `k mod n`): a few
//! high-rate traders, each on its own session, as `gridbook load --auth session` runs.

use std::collections::HashMap;

use alloy_primitives::{keccak256, Address, B256};
use alloy_signer_local::PrivateKeySigner;
use gridbook_matcher::Owner;

/// The private key of account `index` under `seed`.
pub fn account_key(seed: u64, index: u64) -> PrivateKeySigner {
    let mut preimage = [0u8; 16];
    preimage[..8].copy_from_slice(&seed.to_be_bytes());
    preimage[8..].copy_from_slice(&index.to_be_bytes());
    let mut secret: B256 = keccak256(preimage);
    loop {
        // A hash is a valid secp256k1 key unless it is zero or at least the curve order
        // (probability about 2^-128); hashing again keeps the derivation total.
        match PrivateKeySigner::from_bytes(&secret) {
            Ok(signer) => return signer,
            Err(_) => secret = keccak256(secret),
        }
    }
}

/// The accounts standing in for a generator's owners.
#[derive(Debug)]
pub struct Accounts {
    seed: u64,
    signers: Vec<PrivateKeySigner>,
    by_owner: HashMap<Owner, usize>,
    /// Generator owners seen so far.
    owners_seen: usize,
    /// With `Some(n)`, every owner maps to one of `n` accounts.
    folded_into: Option<usize>,
}

impl Accounts {
    /// No accounts yet; they are derived from `seed` as owners appear.
    pub fn new(seed: u64) -> Accounts {
        Accounts {
            seed,
            signers: Vec::new(),
            by_owner: HashMap::new(),
            owners_seen: 0,
            folded_into: None,
        }
    }

    /// `accounts` accounts (at least one) derived from `seed`, standing in for every generator
    /// owner: owner `k` in order of first appearance gets account `k mod accounts`.
    pub fn folded(seed: u64, accounts: usize) -> Accounts {
        let accounts = accounts.max(1);
        let signers = (0..accounts as u64).map(|index| account_key(seed, index)).collect();
        Accounts { folded_into: Some(accounts), signers, ..Accounts::new(seed) }
    }

    /// The account standing in for generator owner `owner` (a new one on first sight).
    pub fn index_of(&mut self, owner: Owner) -> usize {
        if let Some(&index) = self.by_owner.get(&owner) {
            return index;
        }
        let index = match self.folded_into {
            Some(accounts) => self.owners_seen % accounts,
            None => {
                self.signers.push(account_key(self.seed, self.owners_seen as u64));
                self.owners_seen
            }
        };
        self.owners_seen += 1;
        self.by_owner.insert(owner, index);
        index
    }

    /// The key of account `index` (one [`Accounts::index_of`] returned).
    pub fn signer(&self, index: usize) -> &PrivateKeySigner {
        &self.signers[index]
    }

    /// The address of account `index`, as the owner of its commands.
    pub fn owner(&self, index: usize) -> Owner {
        owner_of(self.signers[index].address())
    }

    /// How many accounts have been given out.
    pub fn len(&self) -> usize {
        self.signers.len()
    }

    /// Whether no account has been given out yet.
    pub fn is_empty(&self) -> bool {
        self.signers.is_empty()
    }
}

/// The address of a key, as an [`Owner`].
pub fn owner_of(address: Address) -> Owner {
    Owner(address.0 .0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_a_function_of_seed_and_index() {
        assert_eq!(account_key(7, 3).address(), account_key(7, 3).address());
        assert_ne!(account_key(7, 3).address(), account_key(7, 4).address());
        assert_ne!(account_key(7, 3).address(), account_key(8, 3).address());
    }

    #[test]
    fn each_generator_owner_gets_one_account_in_order_of_first_appearance() {
        let mut accounts = Accounts::new(1);
        let (a, b) = (Owner([0xaa; 20]), Owner([0xbb; 20]));
        assert_eq!(accounts.index_of(b), 0);
        assert_eq!(accounts.index_of(a), 1);
        assert_eq!(accounts.index_of(b), 0);
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts.owner(0), owner_of(account_key(1, 0).address()));
    }

    #[test]
    fn folded_accounts_share_out_owners_in_turn_and_keep_each_owner_on_one_account() {
        let mut accounts = Accounts::folded(1, 2);
        let owners = [Owner([1; 20]), Owner([2; 20]), Owner([3; 20])];
        let indices: Vec<usize> = owners.iter().map(|o| accounts.index_of(*o)).collect();
        assert_eq!(indices, [0, 1, 0]);
        assert_eq!(accounts.index_of(owners[1]), 1, "an owner keeps its account");
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts.owner(1), owner_of(account_key(1, 1).address()));
    }
}
