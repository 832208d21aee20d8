//! Funding hundreds of accounts on a real anvil, one account at a time with automine (a block per
//! transaction, mined while the client polls) and all at once with one-second blocks: every
//! transaction whose receipt exists counts as mined, so none is called "displaced" because the
//! node showed its nonce before its receipt, and every escrow ends at exactly what was granted.

mod anvil_support;

use alloy_primitives::{Address, U256};
use anvil_support::{fast_config, Anvil};
use gridbook_settlement::ledger::account_of;
use gridbook_settlement::rpc::RpcChain;
use gridbook_settlement::{Chain, DeployParams, Deployment};

const ACCOUNTS: u64 = 300;

fn deploy(chain: &mut RpcChain) -> Deployment {
    let params = DeployParams { token: None, fee_bps: 0, withdrawal_delay_s: 60 };
    chain.deploy(&params).expect("deploys")
}

/// Account `n`'s grant: distinct amounts, so a deposit landing on the wrong account shows.
fn grants() -> Vec<(Address, U256)> {
    (0..ACCOUNTS)
        .map(|n| {
            let mut bytes = [0x22u8; 20];
            bytes[12..].copy_from_slice(&n.to_be_bytes());
            (Address::from(bytes), U256::from(1_000_000 + n * 17))
        })
        .collect()
}

fn assert_escrows(chain: &mut RpcChain, d: &Deployment, grants: &[(Address, U256)]) {
    for (account, amount) in grants {
        let deposited = account_of(chain, d, *account).expect("account totals").deposited;
        assert_eq!(deposited, *amount, "{account}");
    }
}

#[test]
fn hundreds_of_accounts_funded_one_by_one_on_automine_each_count_once() {
    let anvil = Anvil::start();
    let mut chain = anvil.client(fast_config());
    let d = deploy(&mut chain);
    let grants = grants();
    for (account, amount) in &grants {
        chain.fund(&d, *account, *amount).expect("funds");
    }
    assert_escrows(&mut chain, &d, &grants);
}

#[test]
fn hundreds_of_accounts_funded_together_on_one_second_blocks_take_a_few_blocks() {
    let anvil = Anvil::start_with_block_time(1);
    let mut chain = anvil.client(fast_config());
    let d = deploy(&mut chain);
    let grants = grants();
    let started = std::time::Instant::now();
    chain.fund_many(&d, &grants).expect("funds");
    let elapsed_s = started.elapsed().as_secs();
    // Mint, approve, then the deposits in two windows: a few blocks (about 5 s here), never
    // three blocks per account (900 s); the bound leaves room for a loaded machine.
    assert!(elapsed_s < 120, "funding {ACCOUNTS} accounts took {elapsed_s} s");
    assert_escrows(&mut chain, &d, &grants);
}
