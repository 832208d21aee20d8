//! `gridbook`: the command-line program of the gridbook matching engine.
//!
//! Each subcommand lives in its own module and drives the library crates; this file only
//! parses arguments and reports errors.

mod backtest_cmd;
mod chain_args;
mod cpu_time;
mod demo;
mod demo_crowd;
mod explain_cmd;
mod feeds_cmd;
mod gen_cmd;
mod journal_cmd;
mod lines;
mod load_cmd;
mod load_plan;
mod plural;
mod price_cmd;
mod price_csv;
mod pricing_args;
mod progress;
mod question;
mod quote_cmd;
mod replay_cmd;
mod replay_pipeline;
mod serve_cmd;
mod settle_cmd;
mod settlement_account_cmd;
mod settlement_cmd;
mod simulate_cmd;
mod snapshot_cmd;
mod snapshot_file;
mod sniff;
mod stream_file;
mod tables;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: the node's commands cross threads (parsed on a gateway
/// worker, freed by the publisher), which glibc's arenas handle slowly.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Matching and pricing engine of a decentralized compute marketplace.
#[derive(Debug, Parser)]
#[command(name = "gridbook", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Apply an order stream and write the events (JSON Lines); summary on stderr.
    Replay(replay_cmd::ReplayArgs),
    /// Write a seeded, realistic order stream (the one the benchmarks use).
    Gen(gen_cmd::GenArgs),
    /// Why an order did or did not match: the nearest orders of the other side on its arrival,
    /// the rules that kept each apart, and what happened to it.
    Explain(explain_cmd::ExplainArgs),
    /// Replay one stream under several pricing models and compare them side by side.
    Backtest(backtest_cmd::BacktestArgs),
    /// For a requester: what a bid would get now, its cost, depth and class references.
    Quote(quote_cmd::QuoteArgs),
    /// For a provider: what a machine is worth now, and a suggested ask price.
    Price(price_cmd::PriceArgs),
    /// Replay a stream once and save the market it leaves (engine, model, recent deals) with
    /// its state hash, for `price`, `quote`, `explain` and `replay --from-snapshot`.
    Snapshot(snapshot_cmd::SnapshotArgs),
    /// Run a market simulation scenario (or its sweep) on the real engine and pricing model:
    /// metrics, time series, charts and a report.
    Simulate(simulate_cmd::SimulateArgs),
    /// Settle a replay's deals on chain, in batches, exactly once; without --rpc on the
    /// embedded devnet (deploy, fund and settle in one process).
    Settle(settle_cmd::SettleArgs),
    /// Settlement operations: deploy, fund (development chains), status, prove.
    Settlement(settlement_cmd::SettlementArgs),
    /// Run a live marketplace node: signed orders over HTTP, journaled before they are answered.
    Serve(serve_cmd::ServeArgs),
    /// Read a node's command journal.
    Journal(journal_cmd::JournalArgs),
    /// The market-data feeds of a recorded market (an order stream or a node's data
    /// directory) as tables: trades, candles, references, and tickers and depth at an interval.
    Feeds(feeds_cmd::FeedsArgs),
    /// Drive a running node with a generated market, open loop: acknowledged rate, refusals,
    /// latency from each command's scheduled send time.
    Load(load_cmd::LoadArgs),
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    let result = match &cli.command {
        Commands::Replay(args) => replay_cmd::run(args),
        Commands::Gen(args) => gen_cmd::run(args),
        Commands::Explain(args) => explain_cmd::run(args),
        Commands::Backtest(args) => backtest_cmd::run(args),
        Commands::Quote(args) => quote_cmd::run(args),
        Commands::Price(args) => price_cmd::run(args),
        Commands::Snapshot(args) => snapshot_cmd::run(args),
        Commands::Simulate(args) => simulate_cmd::run(args),
        Commands::Settle(args) => settle_cmd::run(args),
        Commands::Settlement(args) => settlement_cmd::run(args),
        Commands::Serve(args) => serve_cmd::run(args),
        Commands::Journal(args) => journal_cmd::run(args),
        Commands::Feeds(args) => feeds_cmd::run(args),
        Commands::Load(args) => load_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gridbook: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Rust ignores SIGPIPE, so `println!` into a closed pipe (`gridbook settle … | head`) panics.
/// Like any Unix filter, gridbook should just stop when its reader has gone: restore the
/// default action (terminate quietly).
fn restore_default_sigpipe() {
    // SAFETY: called first thing in `main`, before any thread exists; setting a signal's
    // disposition to SIG_DFL has no other precondition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
