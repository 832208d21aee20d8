//! A settler that stops between sending a batch and confirming it: a new client (a restart)
//! confirms the journaled transaction, and when the transaction that was mined is a replacement
//! the first client sent before stopping, the batch is found settled through `lastBatchId` —
//! never paid twice.

mod anvil_support;

use alloy_primitives::U256;
use anvil_support::{fast_config, Anvil};
use gridbook_settlement::audit::read_balances;
use gridbook_settlement::devnet::gas::workload_deal;
use gridbook_settlement::rpc::{RpcChain, RpcConfig};
use gridbook_settlement::{Chain, ChainError, DeployParams, Deployment, SettlementDeal};

fn deployed(anvil: &Anvil) -> (Deployment, SettlementDeal) {
    let mut chain = anvil.client(fast_config());
    let params = DeployParams { token: None, fee_bps: 0, withdrawal_delay_s: 0 };
    let d = chain.deploy(&params).expect("deploys");
    let deal = workload_deal(0, 2);
    chain.fund(&d, deal.requester, U256::from(1_000_000_000_000u64)).expect("funds");
    (d, deal)
}

/// The provider's credit read back with the one batch (which must be all the chain settled).
fn credit(chain: &mut RpcChain, d: &Deployment, deal: SettlementDeal) -> U256 {
    let balances =
        read_balances(chain, d, &[(1, vec![deal])], [deal.provider]).expect("reads back");
    balances[&deal.provider].credit
}

#[test]
fn a_restarted_client_confirms_the_transaction_sent_before_the_stop() {
    let anvil = Anvil::start();
    let (d, deal) = deployed(&anvil);
    let pending = anvil.client(fast_config()).send_batch(&d, 1, &[deal]).unwrap();
    // The first client is gone; the journal kept `pending`.
    let mut restarted = anvil.client(fast_config());
    let receipt = restarted.confirm(&d, &pending).unwrap();
    assert_eq!((receipt.batch_id, receipt.tx_hash), (1, pending.tx_hash));
    assert_eq!(credit(&mut restarted, &d, deal), deal.amount);
}

#[test]
fn a_replacement_mined_after_the_stop_is_recognised_as_already_settled() {
    let anvil = Anvil::start();
    let (d, deal) = deployed(&anvil);
    anvil.control("evm_setAutomine", "[false]");
    let first_config =
        RpcConfig { replace_after_ms: 150, confirm_timeout_ms: 1_000, ..fast_config() };
    let mut first = anvil.client(first_config);
    let pending = first.send_batch(&d, 1, &[deal]).unwrap();
    // Nothing is mined: the first client replaces the transaction, then gives up and stops.
    let error = first.confirm(&d, &pending).unwrap_err();
    let ChainError::Timeout { tx_hash: replacement, .. } = error else {
        panic!("expected a timeout, got {error}");
    };
    assert_ne!(replacement, pending.tx_hash, "the first client replaced its transaction");
    drop(first);
    anvil.control("evm_mine", "[]");

    // The journal only knows the original hash, which is never mined.
    let mut restarted = anvil.client(fast_config());
    let error = restarted.confirm(&d, &pending).unwrap_err();
    assert!(
        matches!(error, ChainError::AlreadySettled { batch_id: 1, last_batch_id: 1 }),
        "{error}"
    );
    assert_eq!(credit(&mut restarted, &d, deal), deal.amount, "paid once");
}
