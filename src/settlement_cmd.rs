//! `gridbook settlement …`: deploy the contracts, fund requesters on a development chain, show
//! the journal's state, and prove that a deal was part of a settled batch; an account's
//! balance, claims, charges and withdrawals are in `settlement_account_cmd`.

use std::path::PathBuf;

use alloy_primitives::Address;
use anyhow::{bail, Context, Result};

use gridbook_settlement::journal;
use gridbook_settlement::journal_state::JournalState;
use gridbook_settlement::{merkle, Chain, DeployParams};

use crate::chain_args::{self, ChainArgs};
use crate::settlement_account_cmd as account;

/// Arguments of `gridbook settlement`.
#[derive(Debug, clap::Args)]
pub(crate) struct SettlementArgs {
    #[command(subcommand)]
    command: SettlementCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SettlementCommand {
    /// Deploy the settlement contract (and a 9-decimal test token with --test-token) and write
    /// the deployment file the other commands read.
    Deploy(DeployArgs),
    /// Development chains with the test token only: mint and deposit, for every requester of
    /// the deals, what its deals cost (tops up; running it twice funds nothing more).
    Fund(FundArgs),
    /// Batches journaled, confirmed and pending, and held deals.
    Status(StatusArgs),
    /// Print a deal's Merkle proof and check it against the batch root (on chain with --rpc).
    Prove(ProveArgs),
    /// An account's escrow and credit, derived from the chain's totals and the journal's
    /// batches (each batch's account root checked on chain).
    Balance(account::BalanceArgs),
    /// Claim the signer's credit with its account leaves' proofs (and the fees, as settler).
    Claim(account::ClaimArgs),
    /// Charge an account's settled debits to its escrow with their proofs (anyone may; the
    /// settler does it when the account asks to withdraw).
    Charge(account::ChargeArgs),
    /// Ask to withdraw escrow (AMOUNT), or after the delay charge the signer's debits and pay
    /// the withdrawal out (--complete).
    Withdraw(account::WithdrawArgs),
}

#[derive(Debug, clap::Args)]
struct DeployArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The settlement token (an ERC-20 already on the chain).
    #[arg(long, value_name = "ADDRESS", conflicts_with = "test_token")]
    token: Option<Address>,
    /// Deploy a 9-decimal mintable test token first (development chains).
    #[arg(long)]
    test_token: bool,
    /// Operator fee in basis points, taken out of each deal's amount.
    #[arg(long, default_value_t = 0, value_name = "BPS")]
    fee_bps: u16,
    /// Seconds between requestWithdrawal and withdraw.
    #[arg(long, default_value_t = 86_400, value_name = "S")]
    withdrawal_delay_s: u64,
}

#[derive(Debug, clap::Args)]
struct FundArgs {
    /// Events of a replay (JSON Lines).
    events: PathBuf,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, clap::Args)]
struct StatusArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The settlement journal (default: settlement.journal beside the deployment file).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ProveArgs {
    /// The deal number (`deal` in the events).
    deal_id: u64,
    #[command(flatten)]
    chain: ChainArgs,
    /// The settlement journal (default: settlement.journal beside the deployment file).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
}

/// Runs `gridbook settlement …`.
pub(crate) fn run(args: &SettlementArgs) -> Result<()> {
    match &args.command {
        SettlementCommand::Deploy(args) => deploy(args),
        SettlementCommand::Fund(args) => fund(args),
        SettlementCommand::Status(args) => status(args),
        SettlementCommand::Prove(args) => prove(args),
        SettlementCommand::Balance(args) => account::balance(args),
        SettlementCommand::Claim(args) => account::claim(args),
        SettlementCommand::Charge(args) => account::charge(args),
        SettlementCommand::Withdraw(args) => account::withdraw(args),
    }
}

fn require_rpc(chain: &ChainArgs) -> Result<&str> {
    chain
        .rpc
        .as_deref()
        .context("--rpc URL is required: the embedded devnet lives only inside `gridbook settle`")
}

fn deploy(args: &DeployArgs) -> Result<()> {
    let url = require_rpc(&args.chain)?;
    if args.token.is_none() && !args.test_token {
        bail!("give --token ADDRESS (an existing ERC-20) or --test-token");
    }
    let mut chain = chain_args::connect_rpc(&args.chain, url)?;
    let params = DeployParams {
        token: args.token,
        fee_bps: args.fee_bps,
        withdrawal_delay_s: args.withdrawal_delay_s,
    };
    if args.chain.deployment.exists() {
        bail!("{} exists: move it away to deploy again", args.chain.deployment.display());
    }
    let deployment = chain.deploy(&params)?;
    chain_args::write_deployment(&args.chain.deployment, &deployment)?;
    println!("chain        {}", deployment.chain_id);
    println!("settlement   {}", deployment.settlement);
    println!("token        {} ({} decimals)", deployment.token, deployment.token_decimals);
    println!("settler      {}", deployment.settler);
    println!("written to   {}", args.chain.deployment.display());
    Ok(())
}

fn fund(args: &FundArgs) -> Result<()> {
    let url = require_rpc(&args.chain)?;
    let deals = chain_args::read_deals(&args.events)?;
    let mut chain = chain_args::connect_rpc(&args.chain, url)?;
    let deployment =
        chain_args::read_deployment(&args.chain.deployment, chain.connected_chain_id())?;
    if !deployment.test_token {
        bail!("fund mints the test token; this deployment settles in {}", deployment.token);
    }
    let funded = chain_args::fund_requesters(&mut chain, &deployment, &deals)?;
    for (requester, escrow) in &funded {
        let tokens = chain_args::format_units(*escrow, deployment.token_decimals);
        println!("{requester}  escrow {tokens}");
    }
    println!("{} requesters funded for {} deals", funded.len(), deals.len());
    Ok(())
}

fn journal_state(path: &std::path::Path) -> Result<JournalState> {
    if !path.exists() {
        bail!("no journal at {} (gridbook settle writes it)", path.display());
    }
    Ok(journal::read_state(path)?)
}

fn status(args: &StatusArgs) -> Result<()> {
    let path = args.journal.clone().unwrap_or_else(|| args.chain.default_journal());
    let state = journal_state(&path)?;
    let settled = state.batches.values().filter(|b| b.settled_root.is_some()).count();
    let sent = state.batches.values().filter(|b| b.pending.is_some()).count();
    let deals: usize = state.batches.values().map(|b| b.deals.len()).sum();
    println!("journal            {}", path.display());
    println!("batches journaled  {} ({deals} deals)", state.batches.len());
    println!("batches sent       {sent}");
    println!("batches confirmed  {settled}");
    println!("batches pending    {}", state.batches.len() - settled);
    println!("batches abandoned  {} (reverted; deals re-queued)", state.abandoned);
    println!("deals held         {}", state.held.len());
    for (deal_id, reason) in &state.held {
        println!("  deal {deal_id}: {reason}");
    }
    if let Some(url) = &args.chain.rpc {
        let mut chain = chain_args::connect_rpc(&args.chain, url)?;
        let deployment =
            chain_args::read_deployment(&args.chain.deployment, chain.connected_chain_id())?;
        println!("chain lastBatchId  {}", chain.last_batch_id(&deployment)?);
    }
    Ok(())
}

fn prove(args: &ProveArgs) -> Result<()> {
    let path = args.journal.clone().unwrap_or_else(|| args.chain.default_journal());
    let state = journal_state(&path)?;
    let Some((batch_id, index)) = state.find_deal(args.deal_id) else {
        bail!("deal {} is in no journaled batch of {}", args.deal_id, path.display());
    };
    let batch = &state.batches[&batch_id];
    let leaves = merkle::leaves(batch_id, &batch.deals);
    let (Some(root), Some(proof)) = (merkle::root(&leaves), merkle::proof(&leaves, index)) else {
        bail!("batch {batch_id} has no leaves");
    };
    let leaf = leaves[index];
    if !merkle::verify(root, leaf, &proof) {
        bail!("the proof does not verify against the batch's own root (a bug; please report)");
    }
    let journal_check = match batch.settled_root {
        Some(settled) if settled == root => "matches the root the chain reported",
        Some(_) => bail!("batch {batch_id}: the journal's deals do not give the settled root"),
        None => "batch not confirmed yet",
    };
    let deal = &batch.deals[index];
    println!("deal         {} (batch {batch_id}, leaf {index})", deal.deal_id);
    println!("requester    {}", deal.requester);
    println!("provider     {}", deal.provider);
    println!("amount       {} base units", deal.amount);
    println!("leaf         {leaf}");
    println!(
        "proof        [{}]",
        proof.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
    );
    println!("root         {root}  ({journal_check})");
    if let Some(url) = &args.chain.rpc {
        let mut chain = chain_args::connect_rpc(&args.chain, url)?;
        let deployment =
            chain_args::read_deployment(&args.chain.deployment, chain.connected_chain_id())?;
        match chain.batch_root(&deployment, batch_id)? {
            Some(on_chain) if on_chain == root => {
                println!("on chain     verified: batchRoot({batch_id}) = root")
            }
            Some(on_chain) => bail!("on chain batchRoot({batch_id}) is {on_chain}, not {root}"),
            None => bail!("batch {batch_id} is not settled on chain"),
        }
    }
    Ok(())
}
