//! The settlement contract's rules, run on the embedded devnet (the very bytecode a real chain
//! gets): deposits, the withdrawal delay, settlement with netting and fees, all-or-nothing
//! batches, exactly-once batch ids, the settler's exclusive right, and the on-chain Merkle root.

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, TxKind, U256};
use gridbook_settlement::bindings::{Settlement, TestToken};
use gridbook_settlement::devnet::{Devnet, DEV_ACCOUNTS};
use gridbook_settlement::{merkle, Chain, ChainError, DeployParams, Deployment, SettlementDeal};

const DELAY_S: u64 = 3_600;

fn setup(fee_bps: u16) -> (Devnet, Deployment) {
    let mut devnet = Devnet::new();
    let params = DeployParams { token: None, fee_bps, withdrawal_delay_s: DELAY_S };
    let deployment = devnet.deploy(&params).expect("deploys");
    (devnet, deployment)
}

fn account(n: u8) -> Address {
    Address::repeat_byte(n)
}

fn deal(deal_id: u64, requester: Address, provider: Address, amount: u64) -> SettlementDeal {
    SettlementDeal { deal_id, requester, provider, amount: U256::from(amount) }
}

fn send<C: SolCall>(devnet: &mut Devnet, to: Address, call: C) -> Result<(), ChainError> {
    devnet.transact(TxKind::Call(to), call.abi_encode().into()).map(|_| ())
}

fn token_balance(devnet: &mut Devnet, d: &Deployment, owner: Address) -> U256 {
    let out = devnet.call(d.token, TestToken::balanceOfCall(owner).abi_encode().into());
    TestToken::balanceOfCall::abi_decode_returns(&out.expect("balanceOf runs")).expect("decodes")
}

fn settle(
    devnet: &mut Devnet,
    d: &Deployment,
    batch_id: u64,
    deals: &[SettlementDeal],
) -> Result<gridbook_settlement::BatchReceipt, ChainError> {
    let pending = devnet.send_batch(d, batch_id, deals)?;
    devnet.confirm(d, &pending)
}

#[test]
fn deploy_makes_a_nine_decimal_test_token_and_the_signer_settler() {
    let (devnet, d) = setup(25);
    assert_eq!((d.token_decimals, d.test_token, d.fee_bps), (9, true, 25));
    assert_eq!(d.settler, devnet.signer_address());
}

#[test]
fn deposit_and_deposit_for_credit_the_escrow_of_the_named_account() {
    let (mut devnet, d) = setup(0);
    let me = devnet.signer_address();
    send(&mut devnet, d.token, TestToken::mintCall { to: me, amount: U256::from(500) }).unwrap();
    send(
        &mut devnet,
        d.token,
        TestToken::approveCall { spender: d.settlement, amount: U256::from(500) },
    )
    .unwrap();
    send(&mut devnet, d.settlement, Settlement::depositCall { amount: U256::from(200) }).unwrap();
    send(
        &mut devnet,
        d.settlement,
        Settlement::depositForCall { account: account(7), amount: U256::from(300) },
    )
    .unwrap();
    assert_eq!(devnet.escrow_of(&d, me).unwrap(), U256::from(200));
    assert_eq!(devnet.escrow_of(&d, account(7)).unwrap(), U256::from(300));
    assert_eq!(token_balance(&mut devnet, &d, d.settlement), U256::from(500));
    // Without tokens (allowance spent), a deposit reverts and changes nothing.
    let error = send(&mut devnet, d.settlement, Settlement::depositCall { amount: U256::from(1) })
        .unwrap_err();
    assert!(matches!(error, ChainError::Reverted { .. }), "{error}");
    assert_eq!(devnet.escrow_of(&d, me).unwrap(), U256::from(200));
}

#[test]
fn withdrawal_waits_for_the_delay_and_settlement_may_still_draw_meanwhile() {
    let (mut devnet, d) = setup(0);
    let requester = DEV_ACCOUNTS[1].address;
    devnet.fund(&d, requester, U256::from(1_000)).unwrap();
    devnet.set_signer(requester);
    send(
        &mut devnet,
        d.settlement,
        Settlement::requestWithdrawalCall { amount: U256::from(1_000) },
    )
    .unwrap();
    let error = send(&mut devnet, d.settlement, Settlement::withdrawCall {}).unwrap_err();
    assert!(error.to_string().contains("WithdrawalLocked"), "{error}");

    // A deal matched before the request is still settled during the delay.
    devnet.set_signer(d.settler);
    settle(&mut devnet, &d, 1, &[deal(1, requester, account(9), 400)]).unwrap();

    devnet.advance_time(DELAY_S);
    devnet.set_signer(requester);
    send(&mut devnet, d.settlement, Settlement::withdrawCall {}).unwrap();
    assert_eq!(
        token_balance(&mut devnet, &d, requester),
        U256::from(600),
        "what is left, not more"
    );
    assert_eq!(devnet.escrow_of(&d, requester).unwrap(), U256::ZERO);
    let error = send(&mut devnet, d.settlement, Settlement::withdrawCall {}).unwrap_err();
    assert!(error.to_string().contains("NoPendingWithdrawal"), "{error}");
}

#[test]
fn batch_moves_amounts_minus_floor_fee_to_providers_and_fees_to_the_settler() {
    let (mut devnet, d) = setup(30);
    let (r1, r2, p1, p2) = (account(1), account(2), account(3), account(4));
    devnet.fund(&d, r1, U256::from(10_000)).unwrap();
    devnet.fund(&d, r2, U256::from(10_000)).unwrap();
    // fee = floor(amount * 30 / 10000): 1234 -> 3, 999 -> 2, 333 -> 0.
    let deals = [deal(1, r1, p1, 1234), deal(2, r2, p1, 999), deal(3, r1, p2, 333)];
    let receipt = settle(&mut devnet, &d, 1, &deals).unwrap();
    assert_eq!((receipt.batch_id, receipt.deal_count, receipt.volume), (1, 3, U256::from(2566)));
    assert_eq!(devnet.escrow_of(&d, r1).unwrap(), U256::from(10_000 - 1234 - 333));
    assert_eq!(devnet.escrow_of(&d, r2).unwrap(), U256::from(10_000 - 999));
    assert_eq!(devnet.credit_of(&d, p1).unwrap(), U256::from(1234 - 3 + 999 - 2));
    assert_eq!(devnet.credit_of(&d, p2).unwrap(), U256::from(333));
    assert_eq!(devnet.credit_of(&d, d.settler).unwrap(), U256::from(5));
    assert_eq!(devnet.last_batch_id(&d).unwrap(), 1);

    // The provider claims its credit in tokens.
    devnet.set_signer(DEV_ACCOUNTS[2].address);
    let provider = DEV_ACCOUNTS[2].address;
    devnet.set_signer(d.settler);
    settle(&mut devnet, &d, 2, &[deal(4, r2, provider, 100)]).unwrap();
    devnet.set_signer(provider);
    send(&mut devnet, d.settlement, Settlement::claimCall {}).unwrap();
    assert_eq!(token_balance(&mut devnet, &d, provider), U256::from(100));
    assert_eq!(devnet.credit_of(&d, provider).unwrap(), U256::ZERO);
}

#[test]
fn zero_fee_pays_providers_the_whole_amount() {
    let (mut devnet, d) = setup(0);
    devnet.fund(&d, account(1), U256::from(777)).unwrap();
    settle(&mut devnet, &d, 1, &[deal(1, account(1), account(2), 777)]).unwrap();
    assert_eq!(devnet.credit_of(&d, account(2)).unwrap(), U256::from(777));
    assert_eq!(devnet.credit_of(&d, d.settler).unwrap(), U256::ZERO);
    assert_eq!(devnet.escrow_of(&d, account(1)).unwrap(), U256::ZERO);
}

#[test]
fn netting_draws_only_the_net_debit_from_an_account_that_also_earns() {
    let (mut devnet, d) = setup(0);
    let (a, b) = (account(1), account(2));
    devnet.fund(&d, a, U256::from(100)).unwrap();
    // b has no escrow at all: it pays 60 but earns 100 in the same batch.
    settle(&mut devnet, &d, 1, &[deal(1, a, b, 100), deal(2, b, a, 60)]).unwrap();
    assert_eq!(devnet.escrow_of(&d, a).unwrap(), U256::from(60), "paid 100, earned 60");
    assert_eq!(devnet.credit_of(&d, a).unwrap(), U256::ZERO);
    assert_eq!(devnet.escrow_of(&d, b).unwrap(), U256::ZERO);
    assert_eq!(devnet.credit_of(&d, b).unwrap(), U256::from(40));
}

#[test]
fn short_escrow_of_one_requester_reverts_the_whole_batch() {
    let (mut devnet, d) = setup(10);
    devnet.fund(&d, account(1), U256::from(1_000)).unwrap();
    devnet.fund(&d, account(2), U256::from(50)).unwrap();
    let deals = [
        deal(1, account(1), account(3), 500),
        deal(2, account(2), account(3), 30),
        deal(3, account(2), account(4), 30),
    ];
    let error = settle(&mut devnet, &d, 1, &deals).unwrap_err();
    match error {
        ChainError::InsufficientEscrow { account: who, escrow, needed } => {
            assert_eq!((who, escrow, needed), (account(2), U256::from(50), U256::from(60)));
        }
        other => panic!("expected InsufficientEscrow, got {other}"),
    }
    assert_eq!(devnet.last_batch_id(&d).unwrap(), 0);
    assert_eq!(devnet.escrow_of(&d, account(1)).unwrap(), U256::from(1_000), "nothing moved");
    assert_eq!(devnet.credit_of(&d, account(3)).unwrap(), U256::ZERO);
    assert_eq!(devnet.batch_root(&d, 1).unwrap(), None);
}

#[test]
fn batch_ids_run_one_by_one_and_a_resubmitted_batch_pays_nothing_twice() {
    let (mut devnet, d) = setup(0);
    devnet.fund(&d, account(1), U256::from(1_000)).unwrap();
    let deals = [deal(1, account(1), account(2), 100)];
    let error = settle(&mut devnet, &d, 2, &deals).unwrap_err();
    assert!(
        matches!(error, ChainError::Reverted { ref reason } if reason.contains("not the next")),
        "{error}"
    );
    settle(&mut devnet, &d, 1, &deals).unwrap();
    let error = settle(&mut devnet, &d, 1, &deals).unwrap_err();
    assert!(
        matches!(error, ChainError::AlreadySettled { batch_id: 1, last_batch_id: 1 }),
        "{error}"
    );
    assert_eq!(devnet.credit_of(&d, account(2)).unwrap(), U256::from(100), "paid once");
    assert_eq!(devnet.escrow_of(&d, account(1)).unwrap(), U256::from(900));
}

#[test]
fn only_the_settler_may_settle() {
    let (mut devnet, d) = setup(0);
    devnet.fund(&d, account(1), U256::from(1_000)).unwrap();
    devnet.set_signer(DEV_ACCOUNTS[1].address);
    let error = settle(&mut devnet, &d, 1, &[deal(1, account(1), account(2), 100)]).unwrap_err();
    assert!(error.to_string().contains("NotSettler"), "{error}");
    devnet.set_signer(d.settler);
    assert_eq!(devnet.last_batch_id(&d).unwrap(), 0);
}

#[test]
fn empty_batch_and_bad_deployment_are_refused_with_clear_errors() {
    let (mut devnet, d) = setup(0);
    let error = settle(&mut devnet, &d, 1, &[]).unwrap_err();
    assert!(error.to_string().contains("EmptyBatch"), "{error}");
    let elsewhere = Deployment { chain_id: 31_337, ..d.clone() };
    let error = devnet.last_batch_id(&elsewhere).unwrap_err();
    assert!(
        matches!(error, ChainError::WrongChainId { expected: 31_337, actual: 1337 }),
        "{error}"
    );
    let error = devnet
        .deploy(&DeployParams { token: None, fee_bps: 10_001, withdrawal_delay_s: 0 })
        .unwrap_err();
    assert!(matches!(error, ChainError::Refused(_)), "{error}");
}

#[test]
fn merkle_root_on_chain_equals_the_rust_computation_and_proves_each_deal() {
    let (mut devnet, d) = setup(5);
    let requesters: Vec<Address> = (1..=4).map(account).collect();
    for r in &requesters {
        devnet.fund(&d, *r, U256::from(1_000_000)).unwrap();
    }
    for (batch_id, size) in [(1u64, 1usize), (2, 2), (3, 7), (4, 33)] {
        let deals: Vec<SettlementDeal> = (0..size)
            .map(|i| {
                deal(
                    batch_id * 100 + i as u64,
                    requesters[i % 4],
                    account(10 + (i % 5) as u8),
                    1_000 + i as u64,
                )
            })
            .collect();
        let receipt = settle(&mut devnet, &d, batch_id, &deals).unwrap();
        let leaves = merkle::leaves(batch_id, &deals);
        let root = merkle::root(&leaves).unwrap();
        assert_eq!(receipt.merkle_root, root, "batch of {size}");
        assert_eq!(devnet.batch_root(&d, batch_id).unwrap(), Some(root));
        for (i, leaf) in leaves.iter().enumerate() {
            assert!(merkle::verify(root, *leaf, &merkle::proof(&leaves, i).unwrap()));
        }
    }
}
