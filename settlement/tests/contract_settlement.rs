//! The settlement contract's rules, run on the embedded devnet (the very bytecode a real chain
//! gets): deposits, the withdrawal delay and charged debits, settlement with fees, per-account
//! totals committed as a Merkle root and claimed or charged once per leaf, exactly-once batch
//! ids, the settler's exclusive right, packed calldata checks, and the on-chain Merkle roots.

use alloy::sol_types::SolCall;
use alloy_primitives::{Address, TxKind, U256};
use gridbook_settlement::account_tree::{account_leaves, account_root, leaf_proof, LeafProof};
use gridbook_settlement::audit::{read_balances, Balances};
use gridbook_settlement::bindings::{batch::settle_batch_call, Settlement, TestToken};
use gridbook_settlement::devnet::{Devnet, DEV_ACCOUNTS};
use gridbook_settlement::ledger::{self, account_of};
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

/// `who`'s balances after `batches` (every batch settled so far), read back from the chain.
fn balances(
    devnet: &mut Devnet,
    d: &Deployment,
    batches: &[(u64, Vec<SettlementDeal>)],
    who: Address,
) -> Balances {
    read_balances(devnet, d, batches, [who]).expect("reads back")[&who]
}

fn proved(batch_id: u64, deals: &[SettlementDeal], fee_bps: u16, who: Address) -> LeafProof {
    leaf_proof(batch_id, deals, fee_bps, who).expect("the account has deals in the batch")
}

fn tokens(n: u64) -> U256 {
    U256::from(n)
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
    assert_eq!(account_of(&mut devnet, &d, me).unwrap().deposited, tokens(200));
    assert_eq!(account_of(&mut devnet, &d, account(7)).unwrap().deposited, tokens(300));
    assert_eq!(token_balance(&mut devnet, &d, d.settlement), U256::from(500));
    // Without tokens (allowance spent), a deposit reverts and changes nothing.
    let error = send(&mut devnet, d.settlement, Settlement::depositCall { amount: U256::from(1) })
        .unwrap_err();
    assert!(matches!(error, ChainError::Reverted { .. }), "{error}");
    assert_eq!(account_of(&mut devnet, &d, me).unwrap().deposited, tokens(200));
}

#[test]
fn withdrawal_waits_for_the_delay_and_pays_only_the_escrow_left_after_charged_debits() {
    let (mut devnet, d) = setup(0);
    let requester = DEV_ACCOUNTS[1].address;
    devnet.fund(&d, requester, tokens(1_000)).unwrap();
    devnet.set_signer(requester);
    ledger::request_withdrawal(&mut devnet, &d, tokens(1_000)).unwrap();
    let error = ledger::withdraw(&mut devnet, &d).unwrap_err();
    assert!(error.to_string().contains("WithdrawalLocked"), "{error}");

    // A deal matched before the request is still settled during the delay, and the settler
    // charges it to the escrow before the delay ends.
    devnet.set_signer(d.settler);
    let batch = vec![deal(1, requester, account(9), 400)];
    settle(&mut devnet, &d, 1, &batch).unwrap();
    ledger::charge(&mut devnet, &d, requester, &[proved(1, &batch, 0, requester)]).unwrap();

    devnet.advance_time(DELAY_S);
    devnet.set_signer(requester);
    ledger::withdraw(&mut devnet, &d).unwrap();
    assert_eq!(token_balance(&mut devnet, &d, requester), tokens(600), "what is left, not more");
    let batches = [(1, batch)];
    assert_eq!(balances(&mut devnet, &d, &batches, requester).escrow, U256::ZERO);
    let error = ledger::withdraw(&mut devnet, &d).unwrap_err();
    assert!(error.to_string().contains("NoPendingWithdrawal"), "{error}");
}

/// The trust model's liveness rule (docs/settlement.md): `withdraw` sees only charged debits,
/// so a debit nobody charges during the delay is not taken out of the withdrawal.
#[test]
fn a_debit_nobody_charged_before_the_withdrawal_unlocked_is_not_seen_by_withdraw() {
    let (mut devnet, d) = setup(0);
    let requester = DEV_ACCOUNTS[1].address;
    devnet.fund(&d, requester, tokens(1_000)).unwrap();
    settle(&mut devnet, &d, 1, &[deal(1, requester, account(9), 400)]).unwrap();
    devnet.set_signer(requester);
    ledger::request_withdrawal(&mut devnet, &d, tokens(1_000)).unwrap();
    devnet.advance_time(DELAY_S);
    ledger::withdraw(&mut devnet, &d).unwrap();
    assert_eq!(token_balance(&mut devnet, &d, requester), tokens(1_000));
}

#[test]
fn batch_commits_amounts_minus_floor_fee_for_providers_and_fees_for_the_settler() {
    let (mut devnet, d) = setup(30);
    let (r1, r2, p1, p2) = (account(1), account(2), account(3), account(4));
    devnet.fund(&d, r1, tokens(10_000)).unwrap();
    devnet.fund(&d, r2, tokens(10_000)).unwrap();
    // fee = floor(amount * 30 / 10000): 1234 -> 3, 999 -> 2, 333 -> 0.
    let first = vec![deal(1, r1, p1, 1234), deal(2, r2, p1, 999), deal(3, r1, p2, 333)];
    let receipt = settle(&mut devnet, &d, 1, &first).unwrap();
    assert_eq!((receipt.batch_id, receipt.deal_count, receipt.volume), (1, 3, tokens(2566)));
    let mut batches = vec![(1, first.clone())];
    let read = |devnet: &mut Devnet, batches: &[(u64, Vec<SettlementDeal>)], who| {
        balances(devnet, &d, batches, who)
    };
    assert_eq!(read(&mut devnet, &batches, r1).escrow, tokens(10_000 - 1234 - 333));
    assert_eq!(read(&mut devnet, &batches, r2).escrow, tokens(10_000 - 999));
    assert_eq!(read(&mut devnet, &batches, p1).credit, tokens(1234 - 3 + 999 - 2));
    assert_eq!(read(&mut devnet, &batches, p2).credit, tokens(333));
    assert_eq!(read(&mut devnet, &batches, d.settler).credit, tokens(5));
    assert_eq!(devnet.last_batch_id(&d).unwrap(), 1);

    // The provider claims its credit in tokens, with its leaves' proofs.
    let provider = DEV_ACCOUNTS[2].address;
    let second = vec![deal(4, r2, provider, 100)];
    settle(&mut devnet, &d, 2, &second).unwrap();
    batches.push((2, second.clone()));
    devnet.set_signer(provider);
    ledger::claim(&mut devnet, &d, &[proved(2, &second, 30, provider)]).unwrap();
    assert_eq!(token_balance(&mut devnet, &d, provider), tokens(100));
    assert_eq!(read(&mut devnet, &batches, provider).credit, U256::ZERO);

    // The settler claims the fees.
    devnet.set_signer(d.settler);
    ledger::claim_fees(&mut devnet, &d).unwrap();
    assert_eq!(token_balance(&mut devnet, &d, d.settler), tokens(5));
    assert_eq!(read(&mut devnet, &batches, d.settler).credit, U256::ZERO);
}

#[test]
fn a_leaf_is_claimed_once_and_charged_once_and_a_forged_leaf_or_unknown_batch_is_refused() {
    let (mut devnet, d) = setup(0);
    let provider = DEV_ACCOUNTS[2].address;
    devnet.fund(&d, account(1), tokens(1_000)).unwrap();
    let batch = vec![deal(1, account(1), provider, 300), deal(2, account(1), account(5), 7)];
    settle(&mut devnet, &d, 1, &batch).unwrap();
    let mine = proved(1, &batch, 0, provider);

    devnet.set_signer(provider);
    let mut forged = mine.clone();
    forged.leaf.received += tokens(1);
    let error = ledger::claim(&mut devnet, &d, &[forged]).unwrap_err();
    assert!(error.to_string().contains("BadProof"), "{error}");
    let mut elsewhere = mine.clone();
    elsewhere.leaf.batch_id = 2;
    let error = ledger::claim(&mut devnet, &d, &[elsewhere]).unwrap_err();
    assert!(error.to_string().contains("UnknownBatch"), "{error}");
    // Another account's leaf does not pay the caller.
    let error = ledger::claim(&mut devnet, &d, &[proved(1, &batch, 0, account(5))]).unwrap_err();
    assert!(error.to_string().contains("BadProof"), "{error}");

    ledger::claim(&mut devnet, &d, std::slice::from_ref(&mine)).unwrap();
    let error = ledger::claim(&mut devnet, &d, std::slice::from_ref(&mine)).unwrap_err();
    assert!(error.to_string().contains("AlreadyApplied"), "{error}");
    assert_eq!(token_balance(&mut devnet, &d, provider), tokens(300), "paid once");

    let theirs = proved(1, &batch, 0, account(1));
    ledger::charge(&mut devnet, &d, account(1), std::slice::from_ref(&theirs)).unwrap();
    let error = ledger::charge(&mut devnet, &d, account(1), &[theirs]).unwrap_err();
    assert!(error.to_string().contains("AlreadyApplied"), "{error}");
    assert_eq!(account_of(&mut devnet, &d, account(1)).unwrap().charged, tokens(307));
    assert_eq!(ledger::applied(&mut devnet, &d, account(1), 1).unwrap(), (true, false));
    assert_eq!(ledger::applied(&mut devnet, &d, provider, 1).unwrap(), (false, true));
}

#[test]
fn zero_fee_pays_providers_the_whole_amount() {
    let (mut devnet, d) = setup(0);
    devnet.fund(&d, account(1), tokens(777)).unwrap();
    let batches = [(1, vec![deal(1, account(1), account(2), 777)])];
    settle(&mut devnet, &d, 1, &batches[0].1).unwrap();
    assert_eq!(balances(&mut devnet, &d, &batches, account(2)).credit, tokens(777));
    assert_eq!(balances(&mut devnet, &d, &batches, d.settler).credit, U256::ZERO);
    assert_eq!(balances(&mut devnet, &d, &batches, account(1)).escrow, U256::ZERO);
}

#[test]
fn an_account_that_pays_and_earns_in_one_batch_keeps_both_totals() {
    let (mut devnet, d) = setup(0);
    let (a, b) = (account(1), account(2));
    devnet.fund(&d, a, tokens(100)).unwrap();
    devnet.fund(&d, b, tokens(60)).unwrap();
    let batches = [(1, vec![deal(1, a, b, 100), deal(2, b, a, 60)])];
    settle(&mut devnet, &d, 1, &batches[0].1).unwrap();
    let leaves = account_leaves(1, &batches[0].1, 0);
    assert_eq!((leaves[0].paid, leaves[0].received), (tokens(100), tokens(60)));
    let of_a = balances(&mut devnet, &d, &batches, a);
    assert_eq!((of_a.escrow, of_a.credit), (U256::ZERO, tokens(60)), "paid 100, earned 60");
    let of_b = balances(&mut devnet, &d, &batches, b);
    assert_eq!((of_b.escrow, of_b.credit), (U256::ZERO, tokens(100)));
}

/// The trust model (docs/settlement.md): escrow sufficiency is the settler's check, off chain;
/// the contract settles a batch beyond a requester's escrow, and the shortfall is evident on
/// chain once charged: charged beyond deposited, and nothing left to withdraw.
#[test]
fn the_contract_does_not_check_escrow_and_a_shortfall_shows_once_charged() {
    let (mut devnet, d) = setup(0);
    let requester = DEV_ACCOUNTS[1].address;
    devnet.fund(&d, requester, tokens(50)).unwrap();
    let batch = vec![deal(1, requester, account(3), 30), deal(2, requester, account(4), 30)];
    settle(&mut devnet, &d, 1, &batch).unwrap();
    ledger::charge(&mut devnet, &d, requester, &[proved(1, &batch, 0, requester)]).unwrap();
    let totals = account_of(&mut devnet, &d, requester).unwrap();
    assert_eq!((totals.deposited, totals.charged), (tokens(50), tokens(60)));
    devnet.set_signer(requester);
    ledger::request_withdrawal(&mut devnet, &d, tokens(50)).unwrap();
    devnet.advance_time(DELAY_S);
    ledger::withdraw(&mut devnet, &d).unwrap();
    assert_eq!(token_balance(&mut devnet, &d, requester), U256::ZERO);
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
    let batches = [(1, deals.to_vec())];
    assert_eq!(balances(&mut devnet, &d, &batches, account(2)).credit, tokens(100), "paid once");
    assert_eq!(balances(&mut devnet, &d, &batches, account(1)).escrow, tokens(900));
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
fn packed_accounts_must_ascend_and_deals_must_index_them() {
    let (mut devnet, d) = setup(0);
    let good = settle_batch_call(1, &[deal(1, account(2), account(1), 5)]).unwrap();
    let mut descending = good.clone();
    descending.accounts = [account(2).as_slice(), account(1).as_slice()].concat().into();
    let error = send(&mut devnet, d.settlement, descending).unwrap_err();
    assert!(error.to_string().contains("AccountsNotAscending"), "{error}");
    let mut repeated = good.clone();
    repeated.accounts = [account(1).as_slice(), account(1).as_slice()].concat().into();
    let error = send(&mut devnet, d.settlement, repeated).unwrap_err();
    assert!(error.to_string().contains("AccountsNotAscending"), "{error}");
    let mut ragged = good.clone();
    ragged.accounts = [account(1).as_slice(), &[7u8]].concat().into();
    let error = send(&mut devnet, d.settlement, ragged).unwrap_err();
    assert!(error.to_string().contains("BadAccountsLength"), "{error}");
    let mut out_of_range = good.clone();
    out_of_range.deals[0] |= U256::from(2u8) << 160;
    let error = send(&mut devnet, d.settlement, out_of_range).unwrap_err();
    assert!(error.to_string().contains("BadAccountIndex"), "{error}");
    send(&mut devnet, d.settlement, good).unwrap();
}

#[test]
fn merkle_roots_on_chain_equal_the_rust_computation_and_prove_each_deal_and_account() {
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
        let accounts_root = account_root(batch_id, &deals, 5);
        assert_eq!(ledger::accounts_root(&mut devnet, &d, batch_id).unwrap(), accounts_root);
        for leaf in account_leaves(batch_id, &deals, 5) {
            let proved = proved(batch_id, &deals, 5, leaf.account);
            let root = accounts_root.expect("a batch with deals has an account root");
            assert!(merkle::verify(root, proved.leaf.hash(), &proved.proof));
        }
    }
}
