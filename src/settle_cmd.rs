//! `gridbook settle`: settles the deals of a replay's events on chain, in batches, exactly
//! once (the journal makes a rerun resume, never repeat), and reports volume and gas per deal.
//!
//! Without `--rpc` it runs on the embedded devnet: deploy, fund and settle in one process (that
//! chain lives in memory), then check every account's balances against the deals.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use gridbook_settlement::audit::{check_balances, expected_balances, settled_batches};
use gridbook_settlement::batcher::{Batcher, BatcherConfig, SettleReport};
use gridbook_settlement::deals::DealRecord;
use gridbook_settlement::devnet::{Devnet, DEVNET_CHAIN_ID};
use gridbook_settlement::journal::{self, Journal, Record};
use gridbook_settlement::{Chain, DeployParams, Deployment};

use crate::chain_args::{self, ChainArgs};

/// Arguments of `gridbook settle`.
#[derive(Debug, clap::Args)]
pub(crate) struct SettleArgs {
    /// Events of a replay (JSON Lines, as `gridbook replay` writes them).
    events: PathBuf,
    #[command(flatten)]
    chain: ChainArgs,
    /// Settle on the embedded devnet (the default without --rpc): deploy, fund and settle in
    /// this process.
    #[arg(long, conflicts_with = "rpc")]
    devnet: bool,
    /// Deals per batch at most (one transaction each).
    #[arg(long, default_value_t = 256, value_name = "N")]
    batch_size: usize,
    /// A batch also closes once its first deal is this old, in seconds of the events' clock.
    #[arg(long, default_value_t = 60, value_name = "S")]
    batch_interval_s: u64,
    /// The settlement journal (default: settlement.journal beside the deployment file, where
    /// `gridbook settlement status|prove` look; on the devnet too, replacing the journal of an
    /// earlier devnet run there).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// The operator fee of the contract deployed on the devnet (or on anvil without a
    /// deployment file), in basis points.
    #[arg(long, default_value_t = 0, value_name = "BPS")]
    fee_bps: u16,
}

/// Runs `gridbook settle`.
pub(crate) fn run(args: &SettleArgs) -> Result<()> {
    let deals = chain_args::read_deals(&args.events)?;
    let config = BatcherConfig {
        batch_size_max: args.batch_size,
        batch_interval_ms: args.batch_interval_s.saturating_mul(1000),
    };
    let Some(url) = &args.chain.rpc else {
        return settle_on_devnet(args, &deals, config);
    };
    let mut chain = chain_args::connect_rpc(&args.chain, url)?;
    let chain_id = chain.connected_chain_id();
    let deployment = if !args.chain.deployment.exists() && chain_id == chain_args::ANVIL_CHAIN_ID {
        // A development chain and no deployment yet: one flag more than the devnet run.
        let params =
            DeployParams { token: None, fee_bps: args.fee_bps, withdrawal_delay_s: 86_400 };
        let deployment = chain.deploy(&params).context("deploying on the development chain")?;
        chain_args::write_deployment(&args.chain.deployment, &deployment)?;
        chain_args::fund_requesters(&mut chain, &deployment, &deals)?;
        println!("deployed and funded on anvil: {}", args.chain.deployment.display());
        deployment
    } else {
        chain_args::read_deployment(&args.chain.deployment, chain_id)?
    };
    let journal = args.journal.clone().unwrap_or_else(|| args.chain.default_journal());
    let report = settle(&mut chain, &deployment, &journal, config, &deals)?;
    print_report(&report, &deployment, &journal, &format!("chain {chain_id}"));
    Ok(())
}

fn settle_on_devnet(args: &SettleArgs, deals: &[DealRecord], config: BatcherConfig) -> Result<()> {
    let journal = args.journal.clone().unwrap_or_else(|| args.chain.default_journal());
    fresh_devnet_journal(&journal)?;
    let mut devnet = Devnet::new();
    let params = DeployParams { token: None, fee_bps: args.fee_bps, withdrawal_delay_s: 86_400 };
    let deployment = devnet.deploy(&params).context("deploying on the devnet")?;
    let funded = chain_args::fund_requesters(&mut devnet, &deployment, deals)?;
    let report = settle(&mut devnet, &deployment, &journal, config, deals)?;
    print_report(&report, &deployment, &journal, "the embedded devnet (chain 1337)");
    let settled = settled_batches(&journal::read_state(&journal)?);
    let batches: Vec<_> = settled.iter().map(|(_, deals)| deals.clone()).collect();
    let expected = expected_balances(&batches, &funded, deployment.fee_bps, deployment.settler);
    let mismatches = check_balances(&mut devnet, &deployment, &settled, &expected)?;
    if !mismatches.is_empty() {
        bail!("balances differ from the deals: {mismatches:?}");
    }
    println!("  balances          {} accounts match the deals exactly", expected.len());
    Ok(())
}

/// The devnet's chain is new on every run, so its journal must be too; a journal of another
/// chain, or one a running settler holds, is never removed.
fn fresh_devnet_journal(path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let journal = Journal::open(path)?;
    match journal.records().first() {
        None | Some(Record::Opened { chain_id: DEVNET_CHAIN_ID, .. }) => {
            std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))
        }
        Some(_) => bail!(
            "{} is the journal of another chain; the devnet needs a fresh one (--journal)",
            path.display()
        ),
    }
}

fn settle<C: Chain + ?Sized>(
    chain: &mut C,
    deployment: &Deployment,
    journal: &Path,
    config: BatcherConfig,
    deals: &[DealRecord],
) -> Result<SettleReport> {
    let mut batcher = Batcher::open(chain, deployment.clone(), journal, config)
        .with_context(|| format!("resuming from journal {}", journal.display()))?;
    for deal in deals {
        batcher.push(deal)?;
    }
    Ok(batcher.finish()?)
}

fn print_report(report: &SettleReport, deployment: &Deployment, journal: &Path, target: &str) {
    let batches = report.batches_confirmed + report.batches_recovered;
    println!(
        "settled {} deals in {} batches on {target}, contract {}",
        report.deals_settled, batches, deployment.settlement
    );
    let volume = chain_args::format_units(report.volume, deployment.token_decimals);
    println!("  volume            {volume} tokens ({} base units)", report.volume);
    let per_deal = report.gas_used.checked_div(report.deals_settled).unwrap_or(0);
    println!("  gas               {} in all, {per_deal} per deal", report.gas_used);
    if report.batches_recovered > 0 {
        println!(
            "  recovered         {} batches settled before a restart",
            report.batches_recovered
        );
    }
    if report.deals_already_journaled > 0 {
        println!("  skipped           {} deals already settled", report.deals_already_journaled);
    }
    println!(
        "  held              {} deals (escrow short; retried on the next run)",
        report.held.len()
    );
    for held in report.held.iter().take(20) {
        println!("    deal {}: {}", held.deal.deal_id, held.reason);
    }
    println!(
        "  deals read        {} = {} settled now + {} settled before + {} held",
        report.deals_seen,
        report.deals_settled,
        report.deals_already_journaled,
        report.held.len()
    );
    println!("  journal           {}", journal.display());
}
