//! The JSON-RPC client against a real anvil node: deploy, fund and settle a few hundred deals
//! and check every balance against an independent computation; exactly once when a batch is
//! sent twice; a stuck transaction replaced with higher fees; and clear errors for an
//! unreachable node, a wrong chain id and a key without funds.

mod anvil_support;

use std::collections::HashMap;
use std::time::Duration;

use alloy_primitives::{Address, U256};
use anvil_support::{fast_config, free_port, Anvil};
use gridbook_settlement::devnet::gas::workload_deal;
use gridbook_settlement::devnet::DEV_ACCOUNTS;
use gridbook_settlement::rpc::{RpcChain, RpcConfig, SigningKey};
use gridbook_settlement::{merkle, Chain, ChainError, DeployParams, Deployment, SettlementDeal};

const FEE_BPS: u16 = 25;

fn deploy(chain: &mut RpcChain) -> Deployment {
    let params = DeployParams { token: None, fee_bps: FEE_BPS, withdrawal_delay_s: 60 };
    chain.deploy(&params).expect("deploys")
}

fn settle(
    chain: &mut RpcChain,
    d: &Deployment,
    batch_id: u64,
    deals: &[SettlementDeal],
) -> Result<gridbook_settlement::BatchReceipt, ChainError> {
    let pending = chain.send_batch(d, batch_id, deals)?;
    chain.confirm(d, &pending)
}

#[test]
fn a_few_hundred_deals_settle_and_every_balance_matches_the_deal_amounts() {
    let anvil = Anvil::start();
    let mut chain = anvil.client(fast_config());
    assert_eq!(chain.chain_id().unwrap(), 31_337);
    let d = deploy(&mut chain);
    let deals: Vec<SettlementDeal> = (0..300).map(|i| workload_deal(i, 20)).collect();

    // Independently: what each requester owes and each provider earns.
    let mut owed: HashMap<Address, U256> = HashMap::new();
    let mut earned: HashMap<Address, U256> = HashMap::new();
    let mut fees = U256::ZERO;
    for deal in &deals {
        let fee = deal.amount * U256::from(FEE_BPS) / U256::from(10_000);
        *owed.entry(deal.requester).or_default() += deal.amount;
        *earned.entry(deal.provider).or_default() += deal.amount - fee;
        fees += fee;
    }
    let deposit = U256::from(1_000_000_000_000u64);
    for requester in owed.keys() {
        chain.fund(&d, *requester, deposit).unwrap();
    }
    for (batch_id, chunk) in (1u64..).zip(deals.chunks(128)) {
        let receipt = settle(&mut chain, &d, batch_id, chunk).unwrap();
        let root = merkle::root(&merkle::leaves(batch_id, chunk)).unwrap();
        assert_eq!(
            (receipt.batch_id, receipt.deal_count, receipt.merkle_root),
            (batch_id, chunk.len() as u64, root)
        );
        assert_eq!(chain.batch_root(&d, batch_id).unwrap(), Some(root));
    }
    assert_eq!(chain.last_batch_id(&d).unwrap(), 3);
    for (requester, amount) in &owed {
        assert_eq!(chain.escrow_of(&d, *requester).unwrap(), deposit - amount, "{requester}");
    }
    for (provider, amount) in &earned {
        assert_eq!(chain.credit_of(&d, *provider).unwrap(), *amount, "{provider}");
    }
    assert_eq!(chain.credit_of(&d, d.settler).unwrap(), fees);
}

#[test]
fn the_same_batch_sent_twice_pays_once_and_reports_already_settled() {
    let anvil = Anvil::start();
    let mut chain = anvil.client(fast_config());
    let d = deploy(&mut chain);
    let deals: Vec<SettlementDeal> = (0..10).map(|i| workload_deal(i, 4)).collect();
    for requester in [deals[0].requester, deals[1].requester] {
        chain.fund(&d, requester, U256::from(1_000_000_000_000u64)).unwrap();
    }
    settle(&mut chain, &d, 1, &deals).unwrap();
    let escrow = chain.escrow_of(&d, deals[0].requester).unwrap();
    let error = settle(&mut chain, &d, 1, &deals).unwrap_err();
    assert!(
        matches!(error, ChainError::AlreadySettled { batch_id: 1, last_batch_id: 1 }),
        "{error}"
    );
    assert_eq!(chain.escrow_of(&d, deals[0].requester).unwrap(), escrow, "no double payment");
}

#[test]
fn a_stuck_transaction_is_replaced_at_its_nonce_with_higher_fees_and_confirmed() {
    let anvil = Anvil::start();
    let config = RpcConfig { replace_after_ms: 300, ..fast_config() };
    let mut chain = anvil.client(config);
    let d = deploy(&mut chain);
    let deal = workload_deal(0, 2);
    chain.fund(&d, deal.requester, U256::from(1_000_000_000_000u64)).unwrap();

    anvil.control("evm_setAutomine", "[false]");
    let pending = chain.send_batch(&d, 1, &[deal]).unwrap();
    // Mine only after the client has had time to replace the transaction.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(1_500));
            anvil.control("evm_mine", "[]");
        });
        let receipt = chain.confirm(&d, &pending).unwrap();
        assert_ne!(receipt.tx_hash, pending.tx_hash, "the replacement was mined, not the original");
        assert_eq!(receipt.batch_id, 1);
        let original =
            anvil.control("eth_getTransactionReceipt", &format!("[\"{}\"]", pending.tx_hash));
        assert!(original.contains("\"result\":null"), "the original is never mined: {original}");
    });
    assert_eq!(chain.last_batch_id(&d).unwrap(), 1);
}

#[test]
fn transport_failures_are_retried_with_backoff_until_the_node_answers() {
    let port = free_port();
    // The node comes up only after the first attempts have failed (connection refused).
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        Anvil::start_on(port)
    });
    let key = SigningKey::parse(DEV_ACCOUNTS[0].private_key_hex, "test key").unwrap();
    let config = RpcConfig { max_retries: 8, retry_backoff_ms: 100, ..fast_config() };
    let chain = RpcChain::connect(&format!("http://127.0.0.1:{port}"), key, config);
    let _anvil = starter.join().unwrap();
    assert_eq!(chain.unwrap().connected_chain_id(), 31_337);
}

#[test]
fn unreachable_node_wrong_chain_and_key_without_funds_give_clear_errors() {
    let port = free_port();
    let key = SigningKey::parse(DEV_ACCOUNTS[0].private_key_hex, "test key").unwrap();
    let error = RpcChain::connect(
        &format!("http://user:secret@127.0.0.1:{port}/v3/apikey"),
        key,
        fast_config(),
    )
    .unwrap_err();
    let shown = error.to_string();
    assert!(matches!(error, ChainError::Unreachable { .. }), "{shown}");
    assert!(shown.contains(&format!("127.0.0.1:{port}")), "{shown}");
    assert!(!shown.contains("secret") && !shown.contains("apikey"), "no credential shown: {shown}");

    for (url, says) in
        [("https://node.example/v3/k", "https"), ("ws://127.0.0.1:1", "ws"), ("not a url", "parse")]
    {
        let key = SigningKey::parse(DEV_ACCOUNTS[0].private_key_hex, "test key").unwrap();
        let error = RpcChain::connect(url, key, fast_config()).unwrap_err();
        assert!(matches!(error, ChainError::Refused(ref m) if m.contains(says)), "{url}: {error}");
    }

    let anvil = Anvil::start();
    let mut chain = anvil.client(fast_config());
    let d = deploy(&mut chain);
    let elsewhere = Deployment { chain_id: 1, ..d };
    let error = chain.last_batch_id(&elsewhere).unwrap_err();
    assert!(matches!(error, ChainError::WrongChainId { expected: 1, actual: 31_337 }), "{error}");

    // A valid key anvil never funded.
    let poor = SigningKey::parse(&format!("0x{}", "11".repeat(32)), "test key").unwrap();
    let mut poor_chain = RpcChain::connect(&anvil.url(), poor, fast_config()).unwrap();
    let error = poor_chain
        .deploy(&DeployParams { token: None, fee_bps: 0, withdrawal_delay_s: 0 })
        .unwrap_err();
    assert!(
        matches!(error, ChainError::InsufficientGasFunds { balance_wei, .. } if balance_wei.is_zero()),
        "{error}"
    );
}
