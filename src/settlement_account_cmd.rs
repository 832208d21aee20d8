//! `gridbook settlement balance|claim|charge|withdraw`: an account's side of the contract. A
//! batch stores no balance per account, only the root of its accounts' totals, so balances are
//! derived from the contract's totals and the journal's batches (each batch's account root
//! recomputed and compared with the chain's), and claims and charges carry the leaves' proofs
//! (docs/settlement.md).

use std::path::PathBuf;

use alloy_primitives::{Address, U256};
use anyhow::{bail, Context, Result};

use gridbook_settlement::account_tree::{account_root, leaf_proof, LeafProof};
use gridbook_settlement::audit::{read_balances, settled_batches};
use gridbook_settlement::journal;
use gridbook_settlement::ledger::{self, account_of, accounts_root, applied, pending_withdrawal};
use gridbook_settlement::rpc::RpcChain;
use gridbook_settlement::{Chain, Deployment, SettlementDeal};

use crate::chain_args::{self, format_units, parse_units, ChainArgs};

/// The chain and the journal an account command reads.
#[derive(Debug, clap::Args)]
pub(crate) struct Ledger {
    #[command(flatten)]
    chain: ChainArgs,
    /// The settlement journal (default: settlement.journal beside the deployment file): the
    /// deals of every settled batch, from which the leaves and proofs are computed.
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct BalanceArgs {
    /// The account.
    account: Address,
    #[command(flatten)]
    ledger: Ledger,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ClaimArgs {
    #[command(flatten)]
    ledger: Ledger,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ChargeArgs {
    /// The account whose settled debits are charged to its escrow.
    account: Address,
    #[command(flatten)]
    ledger: Ledger,
}

#[derive(Debug, clap::Args)]
pub(crate) struct WithdrawArgs {
    /// Tokens to ask for (decimal, e.g. 12.5); the withdrawal is paid after the delay with
    /// `--complete`.
    #[arg(required_unless_present = "complete", conflicts_with = "complete")]
    amount: Option<String>,
    /// Charge the signer's settled debits, then pay out its requested withdrawal.
    #[arg(long)]
    complete: bool,
    #[command(flatten)]
    ledger: Ledger,
}

/// An open chain, its deployment and the journal's settled batches.
struct Opened {
    chain: RpcChain,
    deployment: Deployment,
    batches: Vec<(u64, Vec<SettlementDeal>)>,
}

fn open(ledger: &Ledger) -> Result<Opened> {
    let url = ledger.chain.rpc.as_deref().context(
        "--rpc URL is required: the embedded devnet lives only inside `gridbook settle`",
    )?;
    let path = ledger.journal.clone().unwrap_or_else(|| ledger.chain.default_journal());
    if !path.exists() {
        bail!("no journal at {} (gridbook settle writes it)", path.display());
    }
    let batches = settled_batches(&journal::read_state(&path)?);
    let chain = chain_args::connect_rpc(&ledger.chain, url)?;
    let deployment =
        chain_args::read_deployment(&ledger.chain.deployment, chain.connected_chain_id())?;
    Ok(Opened { chain, deployment, batches })
}

impl Opened {
    /// `account`'s leaves with a non-zero `paid` (`debits`) or `received` total that the
    /// contract has not charged (claimed) yet, each checked against the chain's account root.
    fn unapplied(&mut self, account: Address, debits: bool) -> Result<Vec<LeafProof>> {
        let fee_bps = self.deployment.fee_bps;
        let mut leaves = Vec::new();
        for (batch_id, deals) in &self.batches {
            let Some(proved) = leaf_proof(*batch_id, deals, fee_bps, account) else { continue };
            let amount = if debits { proved.leaf.paid } else { proved.leaf.received };
            if amount.is_zero() {
                continue;
            }
            let (charged, claimed) =
                applied(&mut self.chain, &self.deployment, account, *batch_id)?;
            if (debits && charged) || (!debits && claimed) {
                continue;
            }
            let on_chain = accounts_root(&mut self.chain, &self.deployment, *batch_id)?;
            if on_chain != account_root(*batch_id, deals, fee_bps) {
                bail!("batch {batch_id}: the journal's deals do not give the chain's account root");
            }
            leaves.push(proved);
        }
        Ok(leaves)
    }

    fn tokens(&self, amount: U256) -> String {
        format_units(amount, self.deployment.token_decimals)
    }
}

fn total(leaves: &[LeafProof], debits: bool) -> U256 {
    leaves.iter().map(|p| if debits { p.leaf.paid } else { p.leaf.received }).sum()
}

/// `gridbook settlement balance ACCOUNT`.
pub(crate) fn balance(args: &BalanceArgs) -> Result<()> {
    let mut opened = open(&args.ledger)?;
    let account = args.account;
    let derived = read_balances(&mut opened.chain, &opened.deployment, &opened.batches, [account])
        .context("reading balances back (the journal must hold every settled batch)")?[&account];
    let totals = account_of(&mut opened.chain, &opened.deployment, account)?;
    let (withdrawing, unlock_at_s) =
        pending_withdrawal(&mut opened.chain, &opened.deployment, account)?;
    println!("account      {account}");
    println!("escrow       {} tokens", opened.tokens(derived.escrow));
    println!("credit       {} tokens (to claim)", opened.tokens(derived.credit));
    println!(
        "on chain     deposited {}, withdrawn {}, charged {}, claimed {}",
        opened.tokens(totals.deposited),
        opened.tokens(totals.withdrawn),
        opened.tokens(totals.charged),
        opened.tokens(totals.claimed)
    );
    if !withdrawing.is_zero() {
        println!("withdrawal   {} tokens from {unlock_at_s} (unix s)", opened.tokens(withdrawing));
    }
    println!("batches      {} settled, each account root checked on chain", opened.batches.len());
    Ok(())
}

/// `gridbook settlement claim`: the signer's unclaimed credit (and the fees, for the settler).
pub(crate) fn claim(args: &ClaimArgs) -> Result<()> {
    let mut opened = open(&args.ledger)?;
    let signer = opened.chain.signer_address();
    let leaves = opened.unapplied(signer, false)?;
    let amount = total(&leaves, false);
    if !leaves.is_empty() {
        ledger::claim(&mut opened.chain, &opened.deployment, &leaves)?;
    }
    println!(
        "claimed      {} tokens for {signer} ({} batches)",
        opened.tokens(amount),
        leaves.len()
    );
    if signer == opened.deployment.settler {
        let fees = ledger::unclaimed_fees(&mut opened.chain, &opened.deployment)?;
        if !fees.is_zero() {
            ledger::claim_fees(&mut opened.chain, &opened.deployment)?;
        }
        println!("fees         {} tokens", opened.tokens(fees));
    }
    Ok(())
}

/// `gridbook settlement charge ACCOUNT`: applies the account's settled debits to its escrow
/// (the settler does it when the account asks to withdraw).
pub(crate) fn charge(args: &ChargeArgs) -> Result<()> {
    let mut opened = open(&args.ledger)?;
    let leaves = opened.unapplied(args.account, true)?;
    if !leaves.is_empty() {
        ledger::charge(&mut opened.chain, &opened.deployment, args.account, &leaves)?;
    }
    let amount = opened.tokens(total(&leaves, true));
    println!("charged      {amount} tokens to {} ({} batches)", args.account, leaves.len());
    Ok(())
}

/// `gridbook settlement withdraw AMOUNT | --complete`.
pub(crate) fn withdraw(args: &WithdrawArgs) -> Result<()> {
    let mut opened = open(&args.ledger)?;
    let signer = opened.chain.signer_address();
    if let Some(text) = &args.amount {
        let amount = parse_units(text, opened.deployment.token_decimals)?;
        ledger::request_withdrawal(&mut opened.chain, &opened.deployment, amount)?;
        let (_, unlock_at_s) = pending_withdrawal(&mut opened.chain, &opened.deployment, signer)?;
        println!("requested    {} tokens, from {unlock_at_s} (unix s)", opened.tokens(amount));
        return Ok(());
    }
    let leaves = opened.unapplied(signer, true)?;
    if !leaves.is_empty() {
        ledger::charge(&mut opened.chain, &opened.deployment, signer, &leaves)?;
    }
    let before = account_of(&mut opened.chain, &opened.deployment, signer)?.withdrawn;
    ledger::withdraw(&mut opened.chain, &opened.deployment)?;
    let after = account_of(&mut opened.chain, &opened.deployment, signer)?.withdrawn;
    println!("withdrawn    {} tokens", opened.tokens(after - before));
    Ok(())
}
