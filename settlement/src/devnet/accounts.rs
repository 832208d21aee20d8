//! The development accounts: the first five accounts of the well-known test mnemonic
//! `test test test test test test test test test test test junk` (the same as anvil's and
//! hardhat's defaults), each funded with [`DEV_BALANCE_WEI`] on the embedded devnet. Their keys
//! are public knowledge: never use them on a chain with real value.

use alloy_primitives::{address, Address, U256};

/// A development account: its address and its (public, well-known) private key, hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevAccount {
    /// The account.
    pub address: Address,
    /// Its private key, 0x-prefixed hex (the mnemonic's key at this index).
    pub private_key_hex: &'static str,
}

/// 10,000 ether per development account.
pub const DEV_BALANCE_WEI: U256 = U256::from_limbs([0x19e0c9bab2400000, 0x21e, 0, 0]);

/// Accounts 0..5 of the test mnemonic; account 0 is the devnet's default signer (the settler).
pub const DEV_ACCOUNTS: [DevAccount; 5] = [
    DevAccount {
        address: address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
        private_key_hex: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    },
    DevAccount {
        address: address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        private_key_hex: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    },
    DevAccount {
        address: address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        private_key_hex: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    },
    DevAccount {
        address: address!("0x90F79bf6EB2c4f870365E785982E1f101E93b906"),
        private_key_hex: "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    },
    DevAccount {
        address: address!("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
        private_key_hex: "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::local::PrivateKeySigner;

    #[test]
    fn each_listed_key_derives_its_listed_address() {
        for account in DEV_ACCOUNTS {
            let signer: PrivateKeySigner = account.private_key_hex.parse().unwrap();
            assert_eq!(signer.address(), account.address);
        }
    }

    #[test]
    fn dev_balance_is_ten_thousand_ether() {
        assert_eq!(DEV_BALANCE_WEI, U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18)));
    }
}
