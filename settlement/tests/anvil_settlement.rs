//! The JSON-RPC client against a real anvil node: deploy, fund and settle a few hundred deals
//! and check every balance against an independent computation; claims and a withdrawal with
//! account-tree proofs from the accounts' own keys; exactly once when a batch is
//! sent twice; a stuck transaction replaced with higher fees; and clear errors for an
//! unreachable node, a wrong chain id and a key without funds.

mod anvil_support;

use std::collections::HashMap;
use std::time::Duration;

use alloy_primitives::{Address, U256};
use anvil_support::{fast_config, free_port, Anvil};
use gridbook_settlement::account_tree::{leaf_proof, LeafProof};
use gridbook_settlement::audit::read_balances;
use gridbook_settlement::devnet::gas::workload_deal;
use gridbook_settlement::devnet::{DevAccount, DEV_ACCOUNTS};
use gridbook_settlement::ledger::{self, account_of};
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
    let mut batches = Vec::new();
    for (batch_id, chunk) in (1u64..).zip(deals.chunks(128)) {
        batches.push((batch_id, chunk.to_vec()));
        let receipt = settle(&mut chain, &d, batch_id, chunk).unwrap();
        let root = merkle::root(&merkle::leaves(batch_id, chunk)).unwrap();
        assert_eq!(
            (receipt.batch_id, receipt.deal_count, receipt.merkle_root),
            (batch_id, chunk.len() as u64, root)
        );
        assert_eq!(chain.batch_root(&d, batch_id).unwrap(), Some(root));
    }
    assert_eq!(chain.last_batch_id(&d).unwrap(), 3);
    let accounts = owed.keys().chain(earned.keys()).copied().chain([d.settler]);
    let balances = read_balances(&mut chain, &d, &batches, accounts).unwrap();
    for (requester, amount) in &owed {
        assert_eq!(balances[requester].escrow, deposit - amount, "{requester}");
    }
    for (provider, amount) in &earned {
        assert_eq!(balances[provider].credit, *amount, "{provider}");
    }
    assert_eq!(balances[&d.settler].credit, fees);
}

/// Claiming and charging with account-tree proofs over JSON-RPC: a provider is paid its
/// credit once, and a requester's withdrawal pays only what its charged debits left.
#[test]
fn a_provider_claims_with_proofs_and_a_requester_withdraws_what_is_left_on_anvil() {
    let anvil = Anvil::start();
    let mut settler = anvil.client(fast_config());
    let params = DeployParams { token: None, fee_bps: FEE_BPS, withdrawal_delay_s: 0 };
    let d = settler.deploy(&params).expect("deploys");
    let (requester, provider) = (DEV_ACCOUNTS[1], DEV_ACCOUNTS[2]);
    settler.fund(&d, requester.address, U256::from(10_000)).unwrap();
    let deals = [1u64, 2].map(|deal_id| SettlementDeal {
        deal_id,
        requester: requester.address,
        provider: provider.address,
        amount: U256::from(4_000),
    });
    for (batch_id, deal) in (1u64..).zip(deals) {
        settle(&mut settler, &d, batch_id, &[deal]).unwrap();
    }
    let proofs = |who: Address| -> Vec<LeafProof> {
        (1u64..)
            .zip(deals)
            .map(|(batch_id, deal)| leaf_proof(batch_id, &[deal], FEE_BPS, who).unwrap())
            .collect()
    };
    let as_account = |account: DevAccount| {
        let key = SigningKey::parse(account.private_key_hex, "test key").unwrap();
        RpcChain::connect(&anvil.url(), key, fast_config()).unwrap()
    };

    let mut provider_chain = as_account(provider);
    ledger::claim(&mut provider_chain, &d, &proofs(provider.address)).unwrap();
    let error = ledger::claim(&mut provider_chain, &d, &proofs(provider.address)).unwrap_err();
    assert!(error.to_string().contains("AlreadyApplied"), "{error}");
    // 2 × (4,000 − 10 fee).
    assert_eq!(account_of(&mut settler, &d, provider.address).unwrap().claimed, U256::from(7_980));

    let mut requester_chain = as_account(requester);
    ledger::request_withdrawal(&mut requester_chain, &d, U256::from(10_000)).unwrap();
    ledger::charge(&mut settler, &d, requester.address, &proofs(requester.address)).unwrap();
    ledger::withdraw(&mut requester_chain, &d).unwrap();
    let totals = account_of(&mut settler, &d, requester.address).unwrap();
    assert_eq!((totals.charged, totals.withdrawn), (U256::from(8_000), U256::from(2_000)));
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
    let batches = [(1, deals.clone())];
    let requester = deals[0].requester;
    let escrow = read_balances(&mut chain, &d, &batches, [requester]).unwrap()[&requester];
    let error = settle(&mut chain, &d, 1, &deals).unwrap_err();
    assert!(
        matches!(error, ChainError::AlreadySettled { batch_id: 1, last_batch_id: 1 }),
        "{error}"
    );
    let again = read_balances(&mut chain, &d, &batches, [requester]).unwrap()[&requester];
    assert_eq!(again, escrow, "no double payment");
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
